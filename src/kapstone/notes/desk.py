"""Desk queues of notes (kapstone.shell.desk): the author's drafts to sign; the supervisor's notes
to co-sign."""

from __future__ import annotations

from django.urls import reverse

from kapstone.access.policy import allows
from kapstone.accounts.models import Role
from kapstone.clients.selectors import clients_scoped
from kapstone.core.actor import Actor
from kapstone.notes.models import NoteReturn, ProgressNote
from kapstone.notes.selectors import cosign_queue
from kapstone.shell.desk import Queue, QueueItem, register_queue


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


def _open_returns(actor: Actor, action: str) -> list[NoteReturn]:
    return list(
        NoteReturn.objects.filter(
            note__client__in=clients_scoped(actor, action).values("pk"), answered_at__isnull=True
        )
        .select_related("note__client", "note__author", "returned_by")
        .order_by("returned_at", "pk")[:50]
    )


def returned_by_me(actor: Actor) -> Queue | None:
    """The supervisor's returns still waiting for the trainee's addendum."""
    if not allows(actor, "note.cosign"):
        return None
    waiting = [r for r in _open_returns(actor, "note.cosign") if r.returned_by_id == actor.user_id]
    items = [
        QueueItem(
            f"{r.note.client.display_name} · {r.note.author.full_name}",
            reverse("notes:detail", args=[r.note_id]),
            at=r.returned_at,
            note=r.comment,
        )
        for r in waiting[:10]
    ]
    return Queue(
        "returned",
        "Returned notes waiting for an addendum",
        items,
        total=len(waiting),
        order=20,
        empty="No returned note is waiting.",
    )


def returned_to_me(actor: Actor) -> Queue | None:
    """The author's notes a supervisor returned with comments."""
    if not allows(actor, "note.addendum"):
        return None
    waiting = [r for r in _open_returns(actor, "note.addendum") if r.note.author_id == actor.user_id]
    items = [
        QueueItem(
            f"{r.note.client.display_name} · from {r.returned_by.full_name}",
            reverse("notes:detail", args=[r.note_id]),
            at=r.returned_at,
            note=r.comment,
        )
        for r in waiting[:10]
    ]
    return Queue(
        "returned_to_me",
        "Notes returned to you",
        items,
        total=len(waiting),
        order=35,
        empty="No note was returned to you.",
    )


for _role in (Role.THERAPIST, Role.TRAINEE, Role.PRESCRIBER):
    register_queue(_role.value, drafts_to_sign)
register_queue(Role.TRAINEE.value, returned_to_me)
register_queue(Role.SUPERVISOR.value, cosigns)
register_queue(Role.SUPERVISOR.value, returned_by_me)
