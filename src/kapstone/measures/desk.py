"""Desk queues of measurement (kapstone.shell.desk): open safety tasks by level, and questionnaires
due for the clinician's clients."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone

from kapstone.access.policy import allows
from kapstone.accounts.models import Role
from kapstone.clients.selectors import clients_scoped
from kapstone.core.actor import Actor
from kapstone.core.localtime import format_date
from kapstone.measures.instruments import get_instrument_or_newest
from kapstone.measures.models import MeasureSchedule, SafetyTask
from kapstone.measures.portal_signed_in import open_links
from kapstone.measures.selectors import open_safety_tasks
from kapstone.shell.client_header import HeaderFact, register_header
from kapstone.shell.desk import Queue, QueueItem, register_queue
from kapstone.shell.portal import PortalItem, register_portal_items


def safety_tasks(actor: Actor) -> Queue | None:
    if not allows(actor, "safety.acknowledge"):
        return None
    tasks = open_safety_tasks(actor, limit=50)
    levels: dict[str, int] = {}
    for task in tasks:
        levels[str(SafetyTask.Level(task.level).label)] = (
            levels.get(str(SafetyTask.Level(task.level).label), 0) + 1
        )
    items = [
        QueueItem(
            task.client.display_name,
            reverse("measures:safety_task", args=[task.pk]),
            at=task.opened_at,
            level=str(SafetyTask.Level(task.level).label),
            note=task.message,
        )
        for task in tasks[:10]
    ]
    return Queue(
        "safety",
        "Safety tasks",
        items,
        total=len(tasks),
        levels=levels,
        order=5,
        empty="No open safety task for your clients.",
    )


def measures_due(actor: Actor) -> Queue | None:
    if not allows(actor, "measure.assign"):
        return None
    due = (
        MeasureSchedule.objects.filter(
            client__in=clients_scoped(actor, "measure.assign").values("pk"),
            active=True,
            next_due_at__lte=timezone.now(),
        )
        .select_related("client")
        .order_by("next_due_at", "pk")
    )
    items = [
        QueueItem(
            f"{s.client.display_name}: {s.instrument_id.upper()}",
            reverse("measures:schedules", args=[s.client_id]),
            at=s.next_due_at,
        )
        for s in due[:10]
    ]
    return Queue(
        "measures_due",
        "Questionnaires due",
        items,
        total=due.count(),
        order=30,
        empty="No questionnaire is due.",
    )


for _role in (Role.THERAPIST, Role.TRAINEE, Role.PRESCRIBER, Role.SUPERVISOR):
    register_queue(_role.value, safety_tasks)
for _role in (Role.THERAPIST, Role.TRAINEE):
    register_queue(_role.value, measures_due)


def safety_fact(actor: Actor, client: Any) -> list[HeaderFact]:
    """Open safety tasks for this client, by level (highest first)."""
    if not allows(actor, "safety.acknowledge"):
        return []
    open_tasks = SafetyTask.objects.filter(
        organization_id=client.organization_id, client=client, acknowledged_at__isnull=True
    ).order_by("-level_rank")
    counts: dict[str, int] = {}
    for level in open_tasks.values_list("level", flat=True):
        counts[str(SafetyTask.Level(level).label)] = counts.get(str(SafetyTask.Level(level).label), 0) + 1
    if not counts:
        return [HeaderFact("Safety tasks", "None open", order=20)]
    text = ", ".join(f"{n} {name.lower()}" for name, n in counts.items())
    url = reverse("measures:client", args=[client.pk])
    return [HeaderFact("Safety tasks", f"Open: {text}", "alert", url, order=1)]


register_header(safety_fact)


def open_questionnaires(client: Any) -> list[PortalItem]:
    """The client's questionnaires still open, for their portal home after sign-in."""
    items = []
    for link in open_links(client):
        try:
            title = get_instrument_or_newest(link.instrument_id, link.instrument_version).title
        except LookupError:  # an instrument no longer shipped: still listed, by its id
            title = link.instrument_id.upper()
        started = " You started it: your answers are kept." if link.saved_at else ""
        items.append(
            PortalItem(
                "questionnaire",
                title,
                f"Open until {format_date(link.expires_at)}.{started}",
                post_url=reverse("questionnaire:start", args=[link.pk]),
                until=link.expires_at,
            )
        )
    return items


register_portal_items(open_questionnaires)
