"""Return a trainee's note with comments instead of co-signing it (issue #12 item 1).

The signed note never changes: the supervisor's comments are kept beside it, the trainee answers
by addendum (which marks the return answered), and the note waits in the co-sign queue until a
supervisor co-signs it.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from kapstone.access.scoping import deny
from kapstone.audit.services import record
from kapstone.core.actor import Actor
from kapstone.notes.models import NoteReturn, ProgressNote
from kapstone.notes.selectors import may_cosign

MAX_RETURN_CHARS = 4_000


def note_return(actor: Actor, note: ProgressNote, *, comment: str) -> NoteReturn:
    """A supervisor who may co-sign the note returns it to its author with comments."""
    if actor.user is None or not may_cosign(actor, note):
        raise deny(
            actor, "note.return", object_type="progress_note", object_id=note.pk, client_id=note.client_id
        )
    comment = (comment or "").replace("\r\n", "\n").strip()
    if not comment:
        raise ValidationError({"comment": "Write what the trainee should add or correct."})
    if len(comment) > MAX_RETURN_CHARS:
        raise ValidationError({"comment": f"Keep the comments under {MAX_RETURN_CHARS:,} characters."})
    with transaction.atomic():
        current = ProgressNote.objects.select_for_update().get(pk=note.pk)
        if current.status != ProgressNote.Status.PENDING_COSIGN:
            raise ValidationError("This note is not waiting for a co-sign: it cannot be returned.")
        returned = NoteReturn.objects.create(note=current, returned_by=actor.user, comment=comment)
        detail = {"return_id": returned.pk, "chars": len(comment)}
        record(actor, "note.return", object_type="progress_note", object_id=current.pk,
               client_id=current.client_id, detail=detail)  # fmt: skip
    return returned


def returns_answer(actor: Actor, note: ProgressNote) -> int:
    """The author's addendum answers the note's open returns (called inside addendum_add)."""
    if actor.user_id != note.author_id:
        return 0
    return NoteReturn.objects.filter(note=note, answered_at__isnull=True).update(
        answered_at=timezone.now(), answered_by_id=actor.user_id
    )


def open_returns_of(note: ProgressNote) -> list[NoteReturn]:
    return list(note.returns.select_related("returned_by", "answered_by").order_by("returned_at", "pk"))
