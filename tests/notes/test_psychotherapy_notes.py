"""Psychotherapy notes (45 CFR 164.501, 164.508(a)(2), 164.524): a separate model, its author's only,
a supervisor only through the author's explicit, audited, per-relationship grant for training;
never in the portal, the API (so never in an export or FHIR), or anyone's lists.
"""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from notes_helpers import DAP, actor, add_supervisor, signed_note

from kapstone.audit.models import AuditEvent
from kapstone.core.contract import NotYours
from kapstone.notes import services
from kapstone.notes.models import TRAINING_REASON, ProgressNote, PsychNoteGrant, PsychotherapyNote

pytestmark = pytest.mark.django_db

SECRET = "Process note canary: the client spoke about the lake house."


def theo_writes(world, body: str = SECRET) -> PsychotherapyNote:
    return services.psychnote_create(actor(world, "theo"), world.clients["rowan"], body)


def test_the_author_writes_and_reads_their_note_and_each_read_is_audited(world, as_user):
    theo = as_user("theo")
    rowan = world.clients["rowan"]
    assert theo.get(f"/notes/clients/{rowan.pk}/psychotherapy/new/").status_code == 200
    response = theo.post(f"/notes/clients/{rowan.pk}/psychotherapy/new/", {"body": SECRET, "author": 999})
    note = PsychotherapyNote.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/notes/psychotherapy/{note.pk}/"
    assert (note.author_id, note.organization_id, note.client_id) == (
        world.users["theo"].pk,
        world.org_a.pk,
        rowan.pk,
    )
    assert SECRET in theo.get(f"/notes/psychotherapy/{note.pk}/").content.decode()
    assert (
        f"/notes/psychotherapy/{note.pk}/"
        in theo.get(f"/notes/clients/{rowan.pk}/psychotherapy/").content.decode()
    )
    reads = AuditEvent.objects.filter(
        action="psychnote.read", object_type="psychotherapy_note", outcome="success"
    )
    assert [e.detail for e in reads] == [{"as": "author"}]
    assert not any(SECRET in json.dumps(e.detail) for e in AuditEvent.objects.all())  # never the text


@pytest.mark.parametrize("name", ["tamsin", "olive", "avery", "sam", "priya", "toby", "rowan_portal"])
def test_nobody_else_reads_it_without_a_grant(world, as_user, name):
    note = theo_writes(world)
    http = as_user(name)
    response = http.get(f"/notes/psychotherapy/{note.pk}/")
    assert response.status_code in (404,), response.status_code
    assert SECRET not in response.content.decode()
    listing = http.get(f"/notes/clients/{world.clients['rowan'].pk}/psychotherapy/")
    assert (
        listing.status_code in (200, 404)
        and f"/notes/psychotherapy/{note.pk}/" not in listing.content.decode()
    )
    if name != "rowan_portal":
        assert AuditEvent.objects.filter(action="psychnote.read", outcome="denied").exists()


def test_a_supervisor_reads_only_with_an_active_grant_and_every_read_is_audited_with_it(world, as_user):
    note = theo_writes(world)
    theo, sam = as_user("theo"), as_user("sam")
    assert sam.get(f"/notes/psychotherapy/{note.pk}/").status_code == 404

    assert theo.get("/notes/psychotherapy/grants/").status_code == 200
    response = theo.post("/notes/psychotherapy/grants/", {"supervisor": world.users["sam"].pk, "note": ""})
    assert response.status_code == 302
    grant = PsychNoteGrant.objects.get()
    assert (grant.granted_by_id, grant.supervisor_id, grant.note_id, grant.reason, grant.revoked_at) == (
        world.users["theo"].pk,
        world.users["sam"].pk,
        None,
        TRAINING_REASON,
        None,
    )
    granted = AuditEvent.objects.get(action="psychnote.grant")
    assert granted.detail == {
        "supervisor_id": world.users["sam"].pk,
        "note_id": "all",
        "reason": TRAINING_REASON,
    }

    for _ in range(2):
        page = sam.get(f"/notes/psychotherapy/{note.pk}/")
        assert page.status_code == 200 and SECRET in page.content.decode()
    sam_reads = AuditEvent.objects.filter(
        action="psychnote.read",
        object_type="psychotherapy_note",
        actor_id=world.users["sam"].pk,
        outcome="success",
    )
    assert [e.detail for e in sam_reads] == [{"grant_id": grant.pk, "reason": TRAINING_REASON}] * 2
    assert (
        f"/notes/psychotherapy/{note.pk}/"
        in sam.get(f"/notes/clients/{world.clients['rowan'].pk}/psychotherapy/").content.decode()
    )

    # The others stay out: a grant is for one supervisor.
    for name in ("priya", "toby", "tamsin"):
        assert as_user(name).get(f"/notes/psychotherapy/{note.pk}/").status_code == 404

    # Revoked: back to 404.
    assert theo.post(f"/notes/psychotherapy/grants/{grant.pk}/revoke/").status_code == 302
    assert sam.get(f"/notes/psychotherapy/{note.pk}/").status_code == 404
    assert AuditEvent.objects.filter(action="psychnote.revoke", object_id=str(grant.pk)).count() == 1


def test_a_per_note_grant_covers_that_note_only(world):
    first, second = theo_writes(world, "first"), theo_writes(world, "second")
    from kapstone.notes.selectors import psychnote_get

    grant = services.psychnote_grant(actor(world, "theo"), world.users["sam"], note=first)
    sam = actor(world, "sam")
    assert psychnote_get(sam, first.pk) == (first, grant)
    from django.http import Http404

    with pytest.raises(Http404):
        psychnote_get(sam, second.pk)


def test_a_grant_does_not_reach_past_the_supervisors_care_teams(world, as_user):
    # Tamsin (Harper's therapist) grants Sam; Sam is not on Harper's care team: still 404.
    note = services.psychnote_create(actor(world, "tamsin"), world.clients["harper"], SECRET)
    services.psychnote_grant(actor(world, "tamsin"), world.users["sam"])
    assert as_user("sam").get(f"/notes/psychotherapy/{note.pk}/").status_code == 404


def test_grants_name_an_active_supervisor_and_only_the_author_grants_or_revokes(world, as_user):
    note = theo_writes(world)
    theo = actor(world, "theo")
    for not_a_supervisor in ("priya", "tamsin", "theo"):
        with pytest.raises(ValidationError):
            services.psychnote_grant(theo, world.users[not_a_supervisor])
    response = as_user("theo").post("/notes/psychotherapy/grants/", {"supervisor": world.users["priya"].pk})
    assert response.status_code == 400  # not offered as a choice
    with pytest.raises(NotYours):  # Toby cannot share Theo's note
        services.psychnote_grant(actor(world, "toby"), world.users["sam"], note=note)
    grant = services.psychnote_grant(theo, world.users["sam"])
    with pytest.raises(ValidationError):  # no duplicate active grant
        services.psychnote_grant(theo, world.users["sam"])
    assert as_user("toby").post(f"/notes/psychotherapy/grants/{grant.pk}/revoke/").status_code == 404
    for name in ("sam", "avery", "priya"):  # no psychnote.grant for them at all
        assert as_user(name).get("/notes/psychotherapy/grants/").status_code == 404
    grant.refresh_from_db()
    assert grant.revoked_at is None


def test_a_supervisor_in_another_role_or_organization_cannot_be_granted(world):
    other_org_supervisor = add_supervisor(world, "sol")
    from kapstone.accounts.models import Membership

    Membership.objects.filter(user=other_org_supervisor).update(organization=world.org_b)
    with pytest.raises(ValidationError):
        services.psychnote_grant(actor(world, "theo"), other_org_supervisor)


def test_never_in_the_portal_the_api_or_the_progress_notes(world, as_user):
    note = theo_writes(world)
    signed_note(world)
    services.psychnote_grant(actor(world, "theo"), world.users["sam"])
    rowan = world.clients["rowan"]

    portal = as_user("rowan_portal")
    for url in ("/portal/", f"/notes/psychotherapy/{note.pk}/", f"/notes/clients/{rowan.pk}/psychotherapy/"):
        response = portal.get(url)
        assert SECRET not in response.content.decode(), url
    assert portal.get(f"/notes/psychotherapy/{note.pk}/").status_code == 404

    theo = as_user("theo")
    schema = theo.get("/api/openapi.json").content.decode().lower()
    assert "psychotherapy" not in schema and "psychnote" not in schema  # no API road at all
    for url in (
        f"/api/clients/{rowan.pk}/notes",
        f"/notes/clients/{rowan.pk}/",
        f"/clients/{rowan.pk}/",
        "/clients/",
        "/dashboard/",
    ):
        assert SECRET not in theo.get(url).content.decode(), url
    assert SECRET not in json.dumps(list(ProgressNote.objects.values("sections")))
    # The audit export (the one export there is) carries no note text.
    as_user("sam").get(f"/notes/psychotherapy/{note.pk}/")
    export = as_user("avery").get("/audit/export.csv")
    text = b"".join(export.streaming_content).decode() if export.streaming else export.content.decode()
    assert "psychnote.read" in text and SECRET not in text


def test_the_progress_note_and_the_psychotherapy_note_are_separate_records(world):
    assert PsychotherapyNote._meta.db_table != ProgressNote._meta.db_table
    assert not {f.name for f in PsychotherapyNote._meta.get_fields()} & {"sections", "status", "content_hash"}
    assert DAP  # (progress-note content lives in ProgressNote.sections only)
