"""The prescriber's desk: screenings submitted for a clearance decision (kapstone.shell.desk)."""

from __future__ import annotations

from django.urls import reverse

from kapstone.access.policy import allows
from kapstone.accounts.models import Role
from kapstone.clients.selectors import clients_scoped
from kapstone.core.actor import Actor
from kapstone.screening.models import ScreeningEvaluation
from kapstone.shell.desk import Queue, QueueItem, register_queue


def clearances_queue(actor: Actor) -> Queue | None:
    if not allows(actor, "clearance.decide"):
        return None
    waiting = (
        ScreeningEvaluation.objects.filter(
            client__in=clients_scoped(actor, "clearance.decide").values("pk"),
            client__care_team__user_id=actor.user_id,
            client__care_team__team_role="prescriber",
            status=ScreeningEvaluation.Status.SUBMITTED,
            superseded_at__isnull=True,
            clearance__isnull=True,
        )
        .select_related("client")
        .order_by("submitted_at", "pk")
        .distinct()
    )
    items = [
        QueueItem(
            e.client.display_name,
            reverse("screening:evaluation", args=[e.client_id, e.pk]),
            at=e.submitted_at,
        )
        for e in waiting[:10]
    ]
    return Queue(
        "clearances",
        "Clearances to decide",
        items,
        total=waiting.count(),
        order=10,
        empty="No screening is waiting for your decision.",
    )


register_queue(Role.PRESCRIBER.value, clearances_queue)
