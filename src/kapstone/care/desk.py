"""Desk queues of the care module (kapstone.shell.desk): today's sessions for the clinicians;
dosing decisions waiting for a prescriber's justification and open alerts for the prescriber."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone

from kapstone.access.policy import allows
from kapstone.accounts.models import Role
from kapstone.care.models import Alert, CareSession, Course, DosingDetail, ProtocolVersion
from kapstone.care.selectors import course_overview, sessions_scoped
from kapstone.core.actor import Actor
from kapstone.core.localtime import format_time
from kapstone.shell.client_header import HeaderFact, register_header
from kapstone.shell.desk import Queue, QueueItem, register_health, register_queue


def todays_sessions(actor: Actor) -> Queue | None:
    if not allows(actor, "course.view") or actor.user_id is None:
        return None
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    today = (
        sessions_scoped(actor, "course.view")
        .filter(client__care_team__user_id=actor.user_id)
        .filter(scheduled_at__gte=start, scheduled_at__lt=start + timedelta(days=1))
        .exclude(status=CareSession.Status.CANCELLED)
        .select_related("client")
        .order_by("scheduled_at", "pk")
        .distinct()
    )
    items = [
        QueueItem(
            f"{format_time(s.scheduled_at)} · {s.get_kind_display()} · {s.client.display_name}",
            reverse("care:session", args=[s.pk]),
            note=s.get_status_display(),
        )
        for s in today[:12]
    ]
    return Queue(
        "today", "Today's sessions", items, total=today.count(), order=10, empty="No session booked today."
    )


def doses_to_justify(actor: Actor) -> Queue | None:
    if not allows(actor, "dosing.override"):
        return None
    waiting = (
        DosingDetail.objects.filter(
            session__in=sessions_scoped(actor, "dosing.override").values("pk"),
            session__status=CareSession.Status.IN_PROGRESS,
            decision=DosingDetail.Decision.NEEDS_JUSTIFICATION,
            decision_justified_by__isnull=True,
        )
        .select_related("session__client")
        .order_by("session__started_at")
    )
    items = [
        QueueItem(
            d.session.client.display_name,
            reverse("care:dosing", args=[d.session_id]),
            at=d.session.started_at,
        )
        for d in waiting[:10]
    ]
    return Queue(
        "justify",
        "Doses waiting for your justification",
        items,
        total=waiting.count(),
        order=20,
        empty="No dosing decision is waiting for a justification.",
    )


def open_alerts(actor: Actor) -> Queue | None:
    if not allows(actor, "alert.acknowledge"):
        return None
    waiting = (
        Alert.objects.filter(
            session__in=sessions_scoped(actor, "alert.acknowledge").values("pk"), acknowledged_at__isnull=True
        )
        .select_related("session__client")
        .order_by("raised_at")
    )
    levels: dict[str, int] = {}
    for alert in waiting:
        levels[alert.severity.capitalize()] = levels.get(alert.severity.capitalize(), 0) + 1
    items = [
        QueueItem(
            f"{a.session.client.display_name}: {a.message}",
            reverse("care:dosing", args=[a.session_id]),
            at=a.raised_at,
            level=a.severity.capitalize(),
        )
        for a in waiting[:10]
    ]
    return Queue(
        "alerts",
        "Open dosing-room alerts",
        items,
        total=len(waiting),
        levels=levels,
        order=30,
        empty="No open alert.",
    )


for _role in (Role.THERAPIST, Role.TRAINEE, Role.PRESCRIBER):
    register_queue(_role.value, todays_sessions)
register_queue(Role.PRESCRIBER.value, doses_to_justify)
register_queue(Role.PRESCRIBER.value, open_alerts)


def course_fact(actor: Actor, client: Any) -> list[HeaderFact]:
    """The client's open course: protocol, phase and the core's next required step."""
    if not allows(actor, "course.view"):
        return []
    current = (  # the newest open course only, not every course the client had
        client.courses.filter(
            organization_id=client.organization_id,
            status__in=Course.OPEN_STATUSES,
        )
        .select_related("protocol")
        .order_by("-started_at")
        .first()
    )
    if current is None:
        return [HeaderFact("Course", "No open course", order=50)]
    overview = course_overview(current)
    url = reverse("care:course", args=[current.pk])
    course = f"{current.protocol.title} · {current.get_status_display()} · {overview.phase}"
    facts = [HeaderFact("Course", course, url=url, order=50)]
    level = "alert" if overview.step.overdue else ""
    facts.append(HeaderFact("Course step", overview.step.text, level, url, order=55))
    if overview.open_alerts:
        facts.append(HeaderFact("Dosing alerts", f"{overview.open_alerts} open", "alert", url, order=5))
    return facts


register_header(course_fact)


def protocols_installed(actor: Actor) -> list[QueueItem]:
    """The admin's configuration health: no course can start before a protocol is installed."""

    if actor.organization is None or ProtocolVersion.objects.filter(organization=actor.organization).exists():
        return []
    text = "Install the KAP protocols: no course can start without one"
    return [QueueItem(text, reverse("care:protocols"), level="Setting")]


register_health(protocols_installed)
