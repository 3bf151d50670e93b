"""The care section of the staff dashboard: dosing sessions in progress (with open alerts) and the
sessions booked for today, for the actor's clients."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from kapstone.access.policy import allows
from kapstone.care.models import CareSession
from kapstone.care.selectors import sessions_scoped
from kapstone.core.actor import Actor
from kapstone.shell.navigation import DashboardSection


def care_section(actor: Actor) -> DashboardSection | None:
    if not allows(actor, "course.view"):
        return None

    now = timezone.now()
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    scoped = sessions_scoped(actor, "course.view").select_related("client")
    live = list(
        scoped.filter(kind=CareSession.Kind.DOSING, status=CareSession.Status.IN_PROGRESS)
        .annotate(open_alerts=Count("alerts", filter=Q(alerts__acknowledged_at__isnull=True)))
        .order_by("started_at")[:20]
    )
    today = list(
        scoped.filter(status=CareSession.Status.SCHEDULED, scheduled_at__gte=start)
        .filter(scheduled_at__lt=start + timedelta(days=1))
        .order_by("scheduled_at")[:20]
    )
    return DashboardSection(
        "care/_dashboard.html",
        {"live": live, "today": today, "can_dose": allows(actor, "dosing.record")},
    )
