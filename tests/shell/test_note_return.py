"""Co-sign's other answer: a supervisor returns a trainee's note with comments; the signed note
never changes, the trainee answers by addendum, and both desks show what is waiting."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from tests.notes.notes_helpers import actor, signed_note

from kapstone.audit.models import AuditEvent
from kapstone.core.contract import NotYours
from kapstone.notes import returns
from kapstone.notes.models import NoteReturn, ProgressNote
from kapstone.notes.services import addendum_add

pytestmark = pytest.mark.django_db


def test_the_supervisor_returns_the_note_and_the_trainee_answers_by_addendum(
    world: Any, as_user: Any
) -> None:
    note = signed_note(world, "toby")
    signed = (note.content_hash, note.sections, note.signed_at)
    sam = as_user("sam")
    page = sam.get(f"/notes/{note.pk}/").content.decode()
    assert "Return with comments instead" in page and "Comments for the trainee" in page

    response = sam.post(
        f"/notes/{note.pk}/return/", {"comment": "Add the client's own words about the plan."}
    )
    assert response.status_code == 302
    note.refresh_from_db()
    assert (note.content_hash, note.sections, note.signed_at) == signed  # the signed note is unchanged
    assert note.status == ProgressNote.Status.PENDING_COSIGN
    back = NoteReturn.objects.get(note=note)
    assert back.returned_by == world.users["sam"] and back.is_open
    assert AuditEvent.objects.filter(action="note.return", object_id=str(note.pk), outcome="success").exists()

    toby = as_user("toby")
    desk = toby.get("/dashboard/").content.decode()
    assert "Notes returned to you" in desk and "Add the client" in desk
    assert "Returned notes waiting for an addendum" in sam.get("/dashboard/").content.decode()
    author = world.users["toby"].full_name
    assert f"waiting for {author}'s addendum" in toby.get(f"/notes/{note.pk}/").content.decode()

    addendum_add(actor(world, "toby"), note, "Client: 'I want to sleep through the night.'")
    back.refresh_from_db()
    assert not back.is_open and back.answered_by == world.users["toby"]
    assert "Add the client" not in toby.get("/dashboard/").content.decode()
    assert sam.post(f"/notes/{note.pk}/cosign/").status_code == 302  # still co-signable afterwards
    note.refresh_from_db()
    assert note.status == ProgressNote.Status.SIGNED


def test_an_empty_comment_is_refused_and_nothing_is_written(world: Any, as_user: Any) -> None:
    note = signed_note(world, "toby")
    response = as_user("sam").post(f"/notes/{note.pk}/return/", {"comment": "   "})
    assert response.status_code == 422 and "This field is required" in response.content.decode()
    assert not NoteReturn.objects.exists()


def test_only_a_supervisor_who_may_cosign_returns_a_note(world: Any, as_user: Any) -> None:
    note = signed_note(world, "toby")
    for name in ("theo", "toby", "priya", "olive", "avery"):
        assert as_user(name).post(f"/notes/{note.pk}/return/", {"comment": "x"}).status_code == 404
    with pytest.raises(NotYours):
        returns.note_return(actor(world, "theo"), note, comment="x")
    assert not NoteReturn.objects.exists()


def test_a_note_already_cosigned_cannot_be_returned(world: Any, as_user: Any) -> None:
    note = signed_note(world, "toby")
    as_user("sam").post(f"/notes/{note.pk}/cosign/")
    note.refresh_from_db()
    with pytest.raises(ValidationError):
        returns.note_return(actor(world, "sam"), note, comment="Too late")
    assert not NoteReturn.objects.exists()
