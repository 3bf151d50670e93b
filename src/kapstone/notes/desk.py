"""Desk queues of notes (kapstone.core.desk): the author's drafts to sign; the supervisor's notes
to co-sign."""

from __future__ import annotations

from django.urls import reverse

from kapstone.access.policy import allows
from kapstone.accounts.models import Role
from kapstone.clients.selectors import clients_scoped
from kapstone.core.actor import Actor
from kapstone.core.desk import Queue, QueueItem, register_queue
from kapstone.notes.models import ProgressNote
from kapstone.notes.selectors import cosign_queue


def drafts_to_sign(actor: Actor) -> Queue | None:
    if not allows(actor, "note.sign"):
        return None
    drafts = (
        ProgressNote.objects.filter(
            client__in=clients_scoped(actor, "note.sign").values("pk"),
            author_id=actor.user_id,
            status=ProgressNote.Status.DRAFT,
        )
        .select_related("client")
        .only(
            "pk",
            "client_id",
            "created_at",
            "client__given_name",
            "client__preferred_name",
            "client__family_name",
        )
        .order_by("created_at", "pk")
    )
    items = [
        QueueItem(n.client.display_name, reverse("notes:edit", args=[n.pk]), at=n.created_at)
        for n in drafts[:10]
    ]
    return Queue(
        "drafts", "Drafts to sign", items, total=drafts.count(), order=40, empty="No unsigned draft."
    )


def cosigns(actor: Actor) -> Queue | None:
    if not allows(actor, "note.cosign"):
        return None
    notes = cosign_queue(actor, limit=50)
    items = [
        QueueItem(
            f"{n.client.display_name} · by {n.author.full_name}",
            reverse("notes:detail", args=[n.pk]),
            at=n.signed_at,
        )
        for n in notes[:10]
    ]
    return Queue(
        "cosign",
        "Notes to co-sign",
        items,
        total=len(notes),
        url=reverse("notes:cosign_queue"),
        order=10,
        empty="No note is waiting for your co-sign.",
    )


for _role in (Role.THERAPIST, Role.TRAINEE, Role.PRESCRIBER):
    register_queue(_role.value, drafts_to_sign)
register_queue(Role.SUPERVISOR.value, cosigns)
