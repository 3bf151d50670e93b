"""Progress notes: templates, drafts, signing, addenda, the trainee's co-sign, pages and the JSON API."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from notes_helpers import DAP, actor, add_supervisor, draft, editor_post, signed_note

from kapstone.audit.models import AuditEvent
from kapstone.core.contract import NotYours
from kapstone.notes import services
from kapstone.notes.definitions import get_template, newest_templates
from kapstone.notes.models import Addendum, ProgressNote

pytestmark = pytest.mark.django_db


# --- Templates as data ------------------------------------------------------------------------------------


def test_dap_and_soap_templates_are_data_with_labels_prompts_and_versions():
    templates = {t.id: t for t in newest_templates()}
    assert set(templates) >= {"dap", "soap"}
    assert templates["dap"].keys == ("data", "assessment", "plan")
    assert templates["soap"].keys == ("subjective", "objective", "assessment", "plan")
    for template in templates.values():
        assert template.version
        assert all(s.label and s.prompt for s in template.sections)
    assert get_template("dap", "1") is templates["dap"]


def test_an_unknown_template_is_refused(world):
    with pytest.raises(ValidationError):
        services.draft_create(actor(world, "theo"), world.clients["rowan"], "no-such-template")


# --- Drafts over HTTP -------------------------------------------------------------------------------------


def test_a_therapist_starts_a_draft_and_the_server_sets_owner_and_organization(world, as_user):
    theo = as_user("theo")
    rowan = world.clients["rowan"]
    assert theo.get(f"/notes/clients/{rowan.pk}/new/").status_code == 200
    response = theo.post(
        f"/notes/clients/{rowan.pk}/new/",
        {
            "template": "dap",
            "author": world.users["tamsin"].pk,
            "organization": world.org_b.pk,
            "status": "signed",
            "client": world.clients["harper"].pk,
            "signed_at": "2020-01-01T00:00:00Z",
        },
    )
    note = ProgressNote.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/notes/{note.pk}/edit/"
    assert (note.author_id, note.organization_id, note.client_id) == (
        world.users["theo"].pk,
        world.org_a.pk,
        rowan.pk,
    )
    assert (note.status, note.version, note.signed_at, note.template_id, note.template_version) == (
        "draft",
        1,
        None,
        "dap",
        "1",
    )
    assert (
        AuditEvent.objects.filter(action="note.create", object_id=str(note.pk), client_id=rowan.pk).count()
        == 1
    )


def test_saving_a_draft_bumps_its_version_and_keeps_the_text(world, as_user):
    note = draft(world)
    theo = as_user("theo")
    page = theo.get(f"/notes/{note.pk}/edit/")
    assert page.status_code == 200
    assert "What was observed and reported" in page.content.decode()  # the template's prompt
    assert "{#" not in page.content.decode() and "{%" not in page.content.decode()
    response = theo.post(f"/notes/{note.pk}/edit/", editor_post(note, DAP, version=1))
    assert response.status_code == 302
    note.refresh_from_db()
    assert (note.version, note.sections, note.status) == (2, DAP, "draft")
    writes = [e.detail for e in AuditEvent.objects.filter(action="note.write", object_id=str(note.pk))]
    assert {"version": 2} in writes  # the audit says what happened, never the note's text
    assert "sleeping" not in json.dumps(list(AuditEvent.objects.values("detail")))


def test_a_draft_is_its_authors_only(world, as_user):
    note = draft(world, sections=DAP)
    for name in ("priya", "sam", "toby"):  # on the care team, but not the author
        http = as_user(name)
        assert http.get(f"/notes/{note.pk}/").status_code == 404
        assert http.get(f"/notes/{note.pk}/edit/").status_code == 404
        assert b"sleeping better" not in http.get(f"/notes/clients/{world.clients['rowan'].pk}/").content
    assert as_user("theo").get(f"/notes/{note.pk}/").status_code == 200
    with pytest.raises(NotYours):
        services.draft_save(actor(world, "priya"), note, {"data": "hijack"}, expected_version=1)


def test_signing_from_the_editor_saves_then_signs_and_the_hash_verifies(world, as_user):
    note = draft(world)
    theo = as_user("theo")
    response = theo.post(
        f"/notes/{note.pk}/edit/", editor_post(note, DAP, version=1, action="sign"), follow=True
    )
    assert response.redirect_chain == [(f"/notes/{note.pk}/", 302)]
    note.refresh_from_db()
    assert note.status == "signed" and note.sections == DAP
    assert note.signed_by_id == world.users["theo"].pk and note.signed_at is not None
    assert len(note.content_hash) == 64 and services.note_verify(note)
    body = response.content.decode()
    assert "verified: the note is as signed" in body and note.content_hash in body
    signs = [e.detail for e in AuditEvent.objects.filter(action="note.sign", object_id=str(note.pk))]
    assert {"content_hash": note.content_hash, "status": "signed"} in signs


def test_signing_with_an_empty_required_section_is_refused_and_the_text_is_kept(world, as_user):
    note = draft(world)
    theo = as_user("theo")
    partial = {"data": "Only the data so far.", "assessment": "", "plan": ""}
    response = theo.post(f"/notes/{note.pk}/edit/", editor_post(note, partial, version=1, action="sign"))
    assert response.status_code == 400
    body = response.content.decode()
    assert "Assessment is needed before the note can be signed." in body
    assert "Only the data so far." in body  # the text is on the form ...
    note.refresh_from_db()
    assert note.status == "draft" and note.sections["data"] == "Only the data so far."  # ... and saved
    assert f'name="version" value="{note.version}"' in body  # the form names the version it now holds
    response = theo.post(
        f"/notes/{note.pk}/edit/", editor_post(note, DAP, version=note.version, action="sign")
    )
    assert response.status_code == 302


def test_the_client_page_lists_notes_for_the_care_team(world, as_user):
    note = signed_note(world)
    rowan = world.clients["rowan"]
    page = as_user("sam").get(f"/clients/{rowan.pk}/").content.decode()
    assert "Progress notes" in page and f"/notes/{note.pk}/" in page
    listing = as_user("priya").get(f"/notes/clients/{rowan.pk}/").content.decode()
    assert f"/notes/{note.pk}/" in listing and "Signed" in listing


def test_a_note_can_name_one_of_the_clients_sessions(world):
    from django.utils import timezone

    from kapstone.care.models import CareSession, Course, ProtocolVersion

    theo, rowan, harper = world.users["theo"], world.clients["rowan"], world.clients["harper"]
    protocol = ProtocolVersion.objects.create(
        organization=world.org_a,
        protocol_id="im_kap",
        version="1",
        title="t",
        route="intramuscular",
        product="racemic_ketamine",
        origin="shipped",
        text="",
        sha256="0" * 64,
    )

    def session_for(client):
        course = Course.objects.create(
            organization=world.org_a,
            client=client,
            protocol=protocol,
            protocol_key="im_kap",
            protocol_version="1",
            started_by=theo,
        )
        return CareSession.objects.create(
            organization=world.org_a,
            client=client,
            course=course,
            kind="integration",
            started_at=timezone.now(),
            created_by=theo,
        )

    mine, other = session_for(rowan), session_for(harper)
    who = actor(world, "theo")
    with pytest.raises(ValidationError):
        services.draft_create(who, rowan, "dap", session=other)
    note = services.draft_create(
        who,
        rowan,
        "soap",
        session=mine,
        sections={"subjective": "s", "objective": "o", "assessment": "a", "plan": "p"},
    )
    signed = services.note_sign(who, note, expected_version=1)
    assert signed.session_id == mine.pk and services.note_verify(signed)


# --- Addenda ----------------------------------------------------------------------------------------------


def test_an_addendum_leaves_the_signed_note_exactly_as_it_was(world, as_user):
    note = signed_note(world)
    before = ProgressNote.objects.filter(pk=note.pk).values().get()
    priya = as_user("priya")  # another member of the care team may add one
    assert priya.get(f"/notes/{note.pk}/addendum/").status_code == 200
    response = priya.post(
        f"/notes/{note.pk}/addendum/", {"text": "Correction: PHQ-9 was 8, not 9."}, follow=True
    )
    assert response.redirect_chain == [(f"/notes/{note.pk}/#addenda", 302)]
    assert ProgressNote.objects.filter(pk=note.pk).values().get() == before
    addendum = Addendum.objects.get()
    assert (addendum.note_id, addendum.author_id, addendum.text) == (
        note.pk,
        world.users["priya"].pk,
        "Correction: PHQ-9 was 8, not 9.",
    )
    assert addendum.created_at is not None and len(addendum.content_hash) == 64
    body = response.content.decode()
    assert "Addendum by Priya Test" in body and "Correction: PHQ-9 was 8, not 9." in body
    assert "Rowan reports sleeping better" in body  # the original is shown, intact
    assert services.note_verify(note)


def test_an_empty_addendum_is_refused_and_a_draft_has_none(world, as_user):
    note = signed_note(world)
    theo = as_user("theo")
    assert theo.post(f"/notes/{note.pk}/addendum/", {"text": "   "}).status_code == 400
    assert not Addendum.objects.exists()
    mine = draft(world)
    assert theo.get(f"/notes/{mine.pk}/addendum/").status_code == 409
    with pytest.raises(ValidationError):
        services.addendum_add(actor(world, "theo"), mine, "something")


# --- A trainee's note and the supervisor's co-sign --------------------------------------------------------


def test_a_trainees_note_is_pending_until_a_supervisor_on_the_team_cosigns(world, as_user):
    note = signed_note(world, "toby")
    assert (note.status, note.cosign_required, note.cosigned_at) == ("pending_cosign", True, None)
    assert services.note_verify(note)

    sam = as_user("sam")
    dashboard = sam.get("/dashboard/").content.decode()
    assert "Notes awaiting your co-sign" in dashboard and f"/notes/{note.pk}/" in dashboard
    assert f"/notes/{note.pk}/" in sam.get("/notes/cosign/").content.decode()
    assert "Co-sign as supervisor" in sam.get(f"/notes/{note.pk}/").content.decode()

    response = sam.post(f"/notes/{note.pk}/cosign/")
    assert response.status_code == 302
    note.refresh_from_db()
    assert (note.status, note.cosigned_by_id) == ("signed", world.users["sam"].pk) and note.cosigned_at
    assert services.note_verify(note)  # the co-sign stamp is not part of the signed content
    assert (
        AuditEvent.objects.filter(action="note.cosign", object_id=str(note.pk), outcome="success").count()
        == 1
    )

    # Once only.
    assert sam.post(f"/notes/{note.pk}/cosign/").status_code == 409
    stamp = (note.cosigned_by_id, note.cosigned_at)
    note.refresh_from_db()
    assert (note.cosigned_by_id, note.cosigned_at) == stamp
    assert f"/notes/{note.pk}/" not in sam.get("/dashboard/").content.decode()


def test_only_a_supervisor_on_the_clients_team_can_cosign(world, as_user):
    note = signed_note(world, "toby")
    add_supervisor(world, "sol")  # a supervisor in the organization, not on Rowan's care team
    for name in ("sol", "theo", "priya", "toby", "tamsin", "avery", "olive"):
        assert as_user(name).post(f"/notes/{note.pk}/cosign/").status_code == 404, name
    assert "Notes awaiting" in as_user("sol").get("/dashboard/").content.decode()
    assert f"/notes/{note.pk}/" not in as_user("sol").get("/dashboard/").content.decode()
    with pytest.raises(NotYours):
        services.note_cosign(actor(world, "sol"), note)
    note.refresh_from_db()
    assert (note.status, note.cosigned_by_id) == ("pending_cosign", None)


def test_when_the_trainees_row_names_a_supervisor_only_that_one_cosigns(world, as_user):
    from kapstone.clients.models import CareTeamMember

    sol = add_supervisor(world, "sol", on_rowans_team=True)
    CareTeamMember.objects.filter(client=world.clients["rowan"], user=world.users["toby"]).update(
        supervisor=sol
    )
    note = signed_note(world, "toby")
    assert as_user("sam").post(f"/notes/{note.pk}/cosign/").status_code == 404
    assert as_user("sol").post(f"/notes/{note.pk}/cosign/").status_code == 302
    note.refresh_from_db()
    assert note.cosigned_by_id == sol.pk


def test_a_therapists_note_needs_no_cosign(world):
    note = signed_note(world, "theo")
    assert (note.status, note.cosign_required) == ("signed", False)
    with pytest.raises(services.NoteLocked):
        services.note_cosign(actor(world, "sam"), note)


# --- JSON API ---------------------------------------------------------------------------------------------


def _json(response):
    return json.loads(response.content)


def test_api_conditional_writes_428_412_and_200_with_etag(world, as_user):
    note = draft(world)
    theo = as_user("theo")
    got = theo.get(f"/api/notes/{note.pk}")
    assert got.status_code == 200 and got["ETag"] == '"1"' and _json(got)["status"] == "draft"
    url, body = f"/api/notes/{note.pk}", json.dumps({"sections": DAP})
    assert theo.put(url, body, content_type="application/json").status_code == 428
    ok = theo.put(url, body, content_type="application/json", headers={"If-Match": '"1"'})
    assert ok.status_code == 200 and ok["ETag"] == '"2"' and _json(ok)["sections"] == DAP
    mine = {"data": "my other text", "assessment": "", "plan": ""}
    stale = theo.put(
        url, json.dumps({"sections": mine}), content_type="application/json", headers={"If-Match": '"1"'}
    )
    assert stale.status_code == 412
    assert _json(stale)["current"]["sections"] == DAP and _json(stale)["current"]["version"] == 2
    assert _json(stale)["yours"] == mine
    note.refresh_from_db()
    assert note.sections == DAP  # nothing overwritten


def test_api_sign_addendum_and_cosign(world, as_user):
    toby = as_user("toby")
    created = toby.post(
        f"/api/clients/{world.clients['rowan'].pk}/notes",
        json.dumps(
            {
                "template": "soap",
                "sections": {"subjective": "s", "objective": "o", "assessment": "a", "plan": "p"},
            }
        ),
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    note_id = _json(created)["id"]
    assert toby.post(f"/api/notes/{note_id}/sign").status_code == 428
    signed = toby.post(f"/api/notes/{note_id}/sign", headers={"If-Match": 'W/"1"'})
    assert signed.status_code == 200 and _json(signed)["status"] == "pending_cosign"
    assert _json(signed)["verified"] is True and len(_json(signed)["content_hash"]) == 64
    added = toby.post(
        f"/api/notes/{note_id}/addenda", json.dumps({"text": "late entry"}), content_type="application/json"
    )
    assert added.status_code == 201 and _json(added)["text"] == "late entry"
    assert as_user("priya").post(f"/api/notes/{note_id}/cosign").status_code == 404
    cosigned = as_user("sam").post(f"/api/notes/{note_id}/cosign")
    assert cosigned.status_code == 200 and _json(cosigned)["status"] == "signed"
    assert as_user("sam").post(f"/api/notes/{note_id}/cosign").status_code == 409
    listing = _json(as_user("priya").get(f"/api/clients/{world.clients['rowan'].pk}/notes"))
    assert [n["id"] for n in listing] == [note_id] and listing[0]["addenda"][0]["text"] == "late entry"


def test_api_is_scoped_like_the_pages(world, as_user):
    note = signed_note(world)
    for name in ("tamsin", "avery", "olive"):
        http = as_user(name)
        assert http.get(f"/api/notes/{note.pk}").status_code == 404
        assert http.get(f"/api/clients/{world.clients['rowan'].pk}/notes").status_code == 404
        assert (
            http.post(
                f"/api/notes/{note.pk}/addenda", json.dumps({"text": "x"}), content_type="application/json"
            ).status_code
            == 404
        )
    assert not Addendum.objects.exists()
    # Mass assignment: unknown fields are refused, not ignored silently.
    refused = as_user("theo").post(
        f"/api/clients/{world.clients['rowan'].pk}/notes",
        json.dumps({"template": "dap", "author": world.users["tamsin"].pk}),
        content_type="application/json",
    )
    assert refused.status_code == 422
    assert ProgressNote.objects.count() == 1
