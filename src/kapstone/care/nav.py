"""The side navigation's Dosing section (registered with kapstone.shell.navigation in CareConfig.ready)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from kapstone.care.models import CareSession
from kapstone.care.selectors import sessions_scoped
from kapstone.core.actor import Actor
from kapstone.core.localtime import format_time
from kapstone.shell.navigation import NavLink

SHOWN = 8


def dosing_nav(actor: Actor) -> list[NavLink]:
    """The live dosing sessions and today's scheduled ones (today in the person's zone) of the
    clients this person may monitor, each linking to its dosing room."""
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    today = Q(
        status=CareSession.Status.SCHEDULED,
        scheduled_at__gte=start,
        scheduled_at__lt=start + timedelta(days=1),
    )
    rows = (
        sessions_scoped(actor, "dosing.record")
        .filter(Q(status=CareSession.Status.IN_PROGRESS) | today, kind=CareSession.Kind.DOSING)
        .select_related("client")
        .only(  # what a link shows: who, and live or when
            "status", "scheduled_at", "client__preferred_name", "client__given_name", "client__family_name"
        )
        .order_by("scheduled_at", "pk")[:SHOWN]
    )
    links = []
    for row in rows:
        who = f"{row.client.preferred_name or row.client.given_name} {row.client.family_name[:1]}."
        when = "live now" if row.status == CareSession.Status.IN_PROGRESS else format_time(row.scheduled_at)
        links.append(NavLink(f"{who}, {when}", reverse("care:dosing", kwargs={"pk": row.pk})))
    return links or [NavLink("No dosing sessions today")]
