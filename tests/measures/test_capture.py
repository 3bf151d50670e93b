"""Clinician capture: scored with the pure core, stored with its version, refused when incomplete."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.utils import timezone
from measures_helpers import actor, phq9, phq9_post

from kapstone.audit.models import AuditEvent
from kapstone.measures.models import InstrumentSettings, MeasureSchedule, Response, SafetyTask
from kapstone.measures.services import IncompleteResponse, response_submit, schedule_create

pytestmark = pytest.mark.django_db


def test_capture_stores_answers_version_and_the_full_result(world):
    rowan = world.clients["rowan"]
    response = response_submit(actor(world, "theo"), rowan, "phq9", phq9(base=2, phq9_10=1))
    stored = Response.objects.get()
    assert stored.pk == response.pk
    assert (stored.instrument_id, stored.instrument_version) == ("phq9", "1.0.0")
    assert stored.answers["phq9_1"] == 2 and stored.answers["phq9_10"] == 1  # unscored item kept too
    assert stored.total == 16 and stored.band == "Moderately severe depression"
    assert stored.result["version"] == "1.0.0" and stored.result["complete"] is True
    assert stored.result["options"]["item9_flag_min"] == 1
    assert stored.source == "clinician" and stored.recorded_by == world.users["theo"]
    assert stored.organization_id == world.org_a.pk
    event = AuditEvent.objects.get(action="measure.record")
    assert (event.object_id, event.client_id, event.outcome) == (str(stored.pk), rowan.pk, "success")
    assert event.detail == {"instrument": "phq9", "version": "1.0.0", "source": "clinician"}


REFUSALS = [
    # (case, answers as (item, value) pairs, item ids named in the error, a phrase in the message)
    ("missing item", list(phq9(phq9_3=None).items()), {"phq9_3"}, "Question 3 has no answer"),
    ("two missing", list(phq9(phq9_3=None, phq9_7=None).items()), {"phq9_3", "phq9_7"}, "questions 3, 7"),
    ("out of range", list(phq9(phq9_1=7).items()), {"phq9_1"}, "not an allowed answer"),
    ("not a number", list(phq9(phq9_2="often").items()), {"phq9_2"}, "not a number"),
    ("duplicate", [*phq9().items(), ("phq9_4", 1)], {"phq9_4"}, "answered more than once"),
    ("unknown item", [*phq9().items(), ("phq9_99", 1)], set(), "phq9_99"),
    ("nothing at all", [], {f"phq9_{i}" for i in range(1, 10)}, "questions 1, 2, 3"),
]


@pytest.mark.parametrize(("case", "pairs", "named", "phrase"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_incomplete_or_invalid_is_refused_naming_each_item_and_nothing_is_stored(
    world, case, pairs, named, phrase
):
    with pytest.raises(IncompleteResponse) as caught:
        response_submit(actor(world, "theo"), world.clients["rowan"], "phq9", pairs)
    errors = caught.value.message_dict
    assert set(errors) - {NON_FIELD_ERRORS} == named
    assert phrase in " ".join(m for msgs in errors.values() for m in msgs)
    assert errors[NON_FIELD_ERRORS][0].startswith("Nothing was saved.")
    assert Response.objects.count() == 0
    # Item 9 left unanswered is not a "no": it opens a low-level review task (issue #11 item 3);
    # any other refusal leaves no task.
    tasks = list(SafetyTask.objects.values_list("flag_id", "level"))
    assert tasks == ([("phq9_item9_unanswered", "low")] if "phq9_9" in named else [])
    refused = AuditEvent.objects.get(action="measure.refused")
    assert refused.outcome == "failure" and refused.client_id == world.clients["rowan"].pk


def test_unknown_instrument_and_future_date_are_refused(world):
    theo, rowan = actor(world, "theo"), world.clients["rowan"]
    with pytest.raises(ValidationError) as caught:
        response_submit(theo, rowan, "nosuch", {})
    assert "instrument" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        response_submit(theo, rowan, "phq9", phq9(), administered_at=timezone.now() + timedelta(days=1))
    assert "administered_at" in caught.value.message_dict
    assert not Response.objects.exists()


@pytest.mark.parametrize("name", ["tamsin", "olive", "avery", "sam"])
def test_the_service_itself_refuses_people_who_may_not_record_for_rowan(world, name):
    with pytest.raises(PermissionDenied):
        response_submit(actor(world, name), world.clients["rowan"], "phq9", phq9())
    assert not Response.objects.exists()


def test_clinic_options_are_passed_to_scoring_and_stored(world):
    InstrumentSettings.objects.create(
        organization=world.org_a, instrument_id="phq9", options={"rci_sd": 5.5, "rci_reliability": 0.84}
    )
    response = response_submit(actor(world, "theo"), world.clients["rowan"], "phq9", phq9(item9=1))
    assert response.result["options"]["rci_sd"] == 5.5
    assert [f["id"] for f in response.result["flags"] if f["severity"] == "safety"] == ["phq9_item9"]


def test_a_stored_item9_threshold_past_the_floor_fails_closed(world):
    """A clinic that had raised the item-9 threshold (allowed before issue #11) silenced answers of
    1; such a stored setting now refuses the response, naming the floor, instead of silencing."""
    InstrumentSettings.objects.create(
        organization=world.org_a, instrument_id="phq9", options={"item9_flag_min": 2}
    )
    with pytest.raises(IncompleteResponse) as refused:
        response_submit(actor(world, "theo"), world.clients["rowan"], "phq9", phq9(item9=1))
    assert "safety floor" in str(refused.value)


def test_a_response_advances_the_matching_interval_schedule(world):
    theo, rowan = actor(world, "theo"), world.clients["rowan"]
    schedule = schedule_create(theo, rowan, "phq9", kind="interval", interval_days=14)
    assert schedule.is_due()
    response = response_submit(theo, rowan, "phq9", phq9())
    schedule.refresh_from_db()
    assert schedule.next_due_at == response.administered_at + timedelta(days=14)
    assert not schedule.is_due()
    assert MeasureSchedule.objects.count() == 1


# --- the pages ----------------------------------------------------------------------------------


def _url(world, instrument="phq9"):
    return f"/measures/clients/{world.clients['rowan'].pk}/record/{instrument}/"


def test_the_form_is_generated_from_the_definition_with_a_fieldset_per_item(world, as_user):
    page = as_user("theo").get(_url(world)).content.decode()
    assert page.count("<fieldset") == 10
    assert page.count("<legend>") == 10
    assert "9. Thoughts that you would be better off dead" in page
    assert page.count('type="radio" name="phq9_1"') == 4
    assert 'value="" ' in page or 'value=""' in page  # the optional difficulty item can be left blank
    chooser = as_user("theo").get(f"/measures/clients/{world.clients['rowan'].pk}/record/").content.decode()
    assert "C-SSRS screener" in chooser and "PHQ-9" in chooser


def test_submitting_the_form_stores_and_shows_the_band_flags_and_interpretation(world, as_user):
    http = as_user("theo")
    reply = http.post(_url(world), phq9_post(base=1, item9=0))
    response = Response.objects.get()
    assert reply.status_code == 302 and reply["Location"] == f"/measures/responses/{response.pk}/"
    page = http.get(reply["Location"]).content.decode()
    assert "Mild depression" in page and "Mild depression (5-9)" in page and "1.0.0" in page


def test_a_refused_form_names_the_items_and_keeps_every_typed_answer(world, as_user):
    post = phq9_post(base=2)
    del post["phq9_3"], post["phq9_6"]
    reply = as_user("theo").post(_url(world), post)
    assert reply.status_code == 200
    page = reply.content.decode()
    assert "Please answer or correct questions 3, 6." in page
    assert "Question 3 has no answer." in page and "Question 6 has no answer." in page
    for item in ("phq9_1", "phq9_2", "phq9_9"):  # what was typed is still selected
        assert re.search(rf'<input type="radio" name="{item}" value="{post[item]}"[^>]*checked', page), item
    assert not Response.objects.exists()


def test_a_repeated_item_in_the_post_is_refused(world, as_user):
    post = phq9_post()
    body = "&".join(f"{k}={v}" for k, v in post.items()) + "&phq9_5=3"
    reply = as_user("theo").post(_url(world), body, content_type="application/x-www-form-urlencoded")
    assert reply.status_code == 200 and b"answered more than once" in reply.content
    assert not Response.objects.exists()


def test_clinic_supplied_item_wording_is_shown(world, as_user):
    InstrumentSettings.objects.create(
        organization=world.org_a,
        instrument_id="ebi",
        item_text={"ebi_1": "Clinic licensed wording for item one"},
    )
    page = as_user("theo").get(_url(world, "ebi")).content.decode()
    assert "1. Clinic licensed wording for item one" in page
    assert 'type="number"' in page and 'max="100"' in page


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("theo", 200),
        ("priya", 200),
        ("toby", 200),
        ("sam", 404),
        ("tamsin", 404),
        ("olive", 404),
        ("avery", 404),
    ],
)
def test_who_may_open_and_post_the_form_for_rowan(world, as_user, name, status):
    http = as_user(name)
    assert http.get(_url(world)).status_code == status
    reply = http.post(_url(world), phq9_post())
    assert reply.status_code == (302 if status == 200 else 404)
    assert Response.objects.count() == (1 if status == 200 else 0)


def test_a_posted_form_is_audited_once_by_the_response_it_stored(world, as_user):
    rowan = world.clients["rowan"]
    as_user("theo").post(_url(world), phq9_post(base=1))
    stored = Response.objects.get()
    rows = list(
        AuditEvent.objects.filter(client_id=rowan.pk).values_list("action", "object_type", "object_id")
    )
    assert rows == [("measure.record", "response", str(stored.pk))]  # the client's read is covered by it


def test_a_form_shown_again_without_a_service_answer_records_the_clients_read(world, as_user):
    rowan = world.clients["rowan"]
    reply = as_user("theo").post(_url(world), {**phq9_post(), "administered_at": "not a date"})
    assert reply.status_code == 200 and not Response.objects.exists()
    event = AuditEvent.objects.get(client_id=rowan.pk)
    assert (event.action, event.object_type, event.object_id, event.outcome) == (
        "measure.record",
        "client",
        str(rowan.pk),
        "success",
    )


def test_a_refused_post_is_audited_by_its_refusal_only(world, as_user):
    post = phq9_post()
    del post["phq9_3"]
    as_user("theo").post(_url(world), post)
    actions = list(
        AuditEvent.objects.filter(client_id=world.clients["rowan"].pk).values_list("action", flat=True)
    )
    assert actions == ["measure.refused"]


def test_a_post_for_a_client_outside_the_team_is_refused_and_audited_as_denied(world, as_user):
    reply = as_user("tamsin").post(_url(world), phq9_post())
    assert reply.status_code == 404 and not Response.objects.exists()
    event = AuditEvent.objects.get(action="measure.record")
    assert (event.outcome, event.object_id) == ("denied", str(world.clients["rowan"].pk))


@pytest.mark.parametrize("name", ["tamsin", "olive", "avery"])
def test_rowans_measures_and_responses_are_404_for_people_outside_his_team(world, as_user, name):
    response = response_submit(actor(world, "theo"), world.clients["rowan"], "phq9", phq9())
    http = as_user(name)
    assert http.get(f"/measures/clients/{world.clients['rowan'].pk}/").status_code == 404
    assert http.get(f"/measures/responses/{response.pk}/").status_code == 404
    denied = AuditEvent.objects.filter(actor_id=world.users[name].pk, outcome="denied")
    assert denied.exists()


def test_reads_of_the_measures_page_and_a_response_are_audited(world, as_user):
    response = response_submit(actor(world, "theo"), world.clients["rowan"], "phq9", phq9())
    http = as_user("priya")
    assert http.get(f"/measures/clients/{world.clients['rowan'].pk}/").status_code == 200
    assert http.get(f"/measures/responses/{response.pk}/").status_code == 200
    reads = AuditEvent.objects.filter(actor_id=world.users["priya"].pk, action="measure.view")
    assert {(e.object_type, e.object_id) for e in reads} == {
        ("client", str(world.clients["rowan"].pk)),
        ("response", str(response.pk)),
    }


def test_the_client_page_links_to_measures_by_policy(world, as_user):
    url = f"/clients/{world.clients['rowan'].pk}/"
    theo_page = as_user("theo").get(url).content.decode()
    assert f"/measures/clients/{world.clients['rowan'].pk}/" in theo_page and "Record a measure" in theo_page
    sam_page = as_user("sam").get(url).content.decode()  # the supervisor reads measures, does not record
    assert (
        f"/measures/clients/{world.clients['rowan'].pk}/" in sam_page and "Record a measure" not in sam_page
    )


def test_the_response_page_shows_each_answer_with_its_label(world, as_user):
    response = response_submit(actor(world, "theo"), world.clients["rowan"], "phq9", phq9(base=1, phq9_10=2))
    page = as_user("sam").get(f"/measures/responses/{response.pk}/").content.decode()
    assert "Little interest or pleasure in doing things" in page and "1 — Several days" in page
    assert "2 — Very difficult" in page and "Positive screen" not in page
