"""Every notes write that refuses the actor goes through the one contract (issue #10 item 3): an
audited DENIED row, then ``NotYours``, which every page, htmx request and API call answers as the
same 404 as a missing note. Another therapist of the organization and a therapist of another
organization are refused alike, by the service as well as by the page."""

from __future__ import annotations

import json
from typing import Any

import pytest
from notes_helpers import DAP, actor, add_supervisor, signed_note

from kapstone.audit.models import AuditEvent, Outcome
from kapstone.core.contract import NotYours
from kapstone.notes import returns, services
from kapstone.notes.models import Addendum, ProgressNote, PsychNoteGrant, PsychotherapyNote

pytestmark = pytest.mark.django_db

OUTSIDERS = ("tamsin", "olive")  # another therapist here; a therapist of another organization


def denied(action: str, who: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, outcome=Outcome.DENIED, actor_id=who.pk))


def test_starting_a_draft_for_someone_elses_client_is_refused_and_audited(world: Any, as_user: Any) -> None:
    rowan = world.clients["rowan"]
    for name in OUTSIDERS:
        with pytest.raises(NotYours):
            services.draft_create(actor(world, name), rowan, "dap", sections=DAP)
        assert as_user(name).post(f"/notes/clients/{rowan.pk}/new/", {"template": "dap"}).status_code == 404
        assert len(denied("note.write", world.users[name])) == 2, name
    # no note.write at all (an organization's administrator): audited too, not a bare PermissionError
    with pytest.raises(NotYours):
        services.draft_create(actor(world, "avery"), rowan, "dap")
    [row] = denied("note.write", world.users["avery"])
    assert (row.object_type, row.client_id) == ("client", rowan.pk)
    assert not ProgressNote.objects.exists()


def test_an_addendum_to_a_note_of_someone_elses_client_is_refused_and_audited(
    world: Any, as_user: Any
) -> None:
    note = signed_note(world, "theo")
    for name in OUTSIDERS:
        with pytest.raises(NotYours):
            services.addendum_add(actor(world, name), note, "Not mine to add.")
        assert as_user(name).post(f"/notes/{note.pk}/addendum/", {"text": "x"}).status_code == 404
        api = as_user(name).post(
            f"/api/notes/{note.pk}/addenda", json.dumps({"text": "x"}), content_type="application/json"
        )
        assert api.status_code == 404 and "application/json" in api["Content-Type"], name
        rows = denied("note.addendum", world.users[name])
        assert len(rows) == 3 and rows[0].client_id == rowan_id(world), name
    assert not Addendum.objects.exists()


def rowan_id(world: Any) -> int:
    return int(world.clients["rowan"].pk)


def test_a_cosign_or_return_by_the_wrong_supervisor_is_a_404_on_pages_and_the_api(
    world: Any, as_user: Any
) -> None:
    note = signed_note(world, "toby")
    add_supervisor(world, "sol")  # a supervisor of the organization, not on Rowan's team
    for name in ("sol", "olive"):
        assert as_user(name).post(f"/notes/{note.pk}/cosign/").status_code == 404
        assert as_user(name).post(f"/api/notes/{note.pk}/cosign").status_code == 404
        assert as_user(name).post(f"/notes/{note.pk}/return/", {"comment": "x"}).status_code == 404
        with pytest.raises(NotYours):
            returns.note_return(actor(world, name), note, comment="x")
        assert denied("note.return", world.users[name]), name
    note.refresh_from_db()
    assert (note.status, note.cosigned_by_id) == (ProgressNote.Status.PENDING_COSIGN, None)


def test_a_psychotherapy_note_for_someone_elses_client_is_refused_and_audited(
    world: Any, as_user: Any
) -> None:
    rowan = world.clients["rowan"]
    for name in OUTSIDERS:
        with pytest.raises(NotYours):
            services.psychnote_create(actor(world, name), rowan, "Not my client.")
        url = f"/notes/clients/{rowan.pk}/psychotherapy/new/"
        assert as_user(name).post(url, {"body": "Not my client."}).status_code == 404
        assert len(denied("psychnote.write", world.users[name])) == 2, name
    with pytest.raises(NotYours):  # a supervisor may read under a grant, never write one
        services.psychnote_create(actor(world, "sam"), rowan, "x")
    assert denied("psychnote.write", world.users["sam"])
    assert not PsychotherapyNote.objects.exists()


def test_granting_or_revoking_someone_elses_psychotherapy_notes_is_refused_and_audited(
    world: Any, as_user: Any
) -> None:
    theos = services.psychnote_create(actor(world, "theo"), world.clients["rowan"], "Theo's own words.")
    grant = services.psychnote_grant(actor(world, "theo"), world.users["sam"], note=theos)
    for name in OUTSIDERS:
        with pytest.raises(NotYours):
            services.psychnote_grant(actor(world, name), world.users["sam"], note=theos)
        [row] = denied("psychnote.grant", world.users[name])
        assert (row.object_type, row.object_id, row.client_id) == ("psychotherapy_note", str(theos.pk), None)
        with pytest.raises(NotYours):
            services.psychnote_revoke(actor(world, name), grant)
        assert as_user(name).post(f"/notes/psychotherapy/grants/{grant.pk}/revoke/").status_code == 404
        assert len(denied("psychnote.revoke", world.users[name])) == 1, name
    with pytest.raises(NotYours):  # no psychnote.grant at all: audited as well
        services.psychnote_grant(actor(world, "sam"), world.users["sam"])
    assert denied("psychnote.grant", world.users["sam"])
    grant.refresh_from_db()
    assert grant.revoked_at is None and PsychNoteGrant.objects.count() == 1
