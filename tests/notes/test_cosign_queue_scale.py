"""The supervisor's co-sign queue: the same answer as ``may_cosign`` note by note, in a constant
number of queries whatever the number of pending notes (it was two queries per note)."""

from __future__ import annotations

from typing import Any

import pytest
from notes_helpers import actor, add_supervisor, signed_note

from kapstone.clients.models import CareTeamMember
from kapstone.notes.selectors import cosign_queue, may_cosign
from query_counts import plus_audit_lock

pytestmark = pytest.mark.django_db

# Session + user + memberships (3); candidate notes, their care teams (2); the audit row (2: previous
# hash, insert).
COSIGN_PAGE_QUERIES = 7


@pytest.mark.parametrize("count", [1, 12])
def test_the_cosign_queue_takes_a_constant_number_of_queries(
    world: Any, as_user: Any, django_assert_num_queries: Any, count: int
) -> None:
    notes = [signed_note(world, "toby") for _ in range(count)]
    http = as_user("sam")
    http.get("/dashboard/")
    with django_assert_num_queries(plus_audit_lock(COSIGN_PAGE_QUERIES)):
        reply = http.get("/notes/cosign/")
    assert reply.status_code == 200
    page = reply.content.decode()
    assert all(f"/notes/{note.pk}/" in page for note in notes)


def test_the_queue_agrees_with_may_cosign_note_by_note(world: Any) -> None:
    sol = add_supervisor(world, on_rowans_team=True)
    notes = [signed_note(world, "toby") for _ in range(3)]
    for name in ("sam", "sol"):
        who = actor(world, name)
        assert [n.pk for n in cosign_queue(who)] == [n.pk for n in notes if may_cosign(who, n)]
    # Toby's row names Sol as the supervisor for Rowan: Sam's queue empties, Sol's keeps them.
    CareTeamMember.objects.filter(client=world.clients["rowan"], user=world.users["toby"]).update(
        supervisor=sol
    )
    assert cosign_queue(actor(world, "sam")) == []
    assert [n.pk for n in cosign_queue(actor(world, "sol"))] == [n.pk for n in notes]
