"""Medical clearance: only the prescriber on the care team decides, on one report; contraindications
need a documented override, judgement flags an attestation each; clearance expires (clinic setting)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from tests.clients.intake_helpers import (
    actor,
    clear,
    give_birthday,
    record_measures,
    save_intake,
    submitted_screening,
)

from kapstone.audit.models import AuditEvent
from kapstone.screening.models import Clearance, ScreeningSettings
from kapstone.screening.readiness import dosing_readiness
from kapstone.screening.services import clearance_decide, screening_run

pytestmark = pytest.mark.django_db


def decide_url(world, evaluation) -> str:
    return reverse("screening:decide", kwargs={"pk": world.clients["rowan"].pk, "eid": evaluation.pk})


def test_the_prescriber_clears_on_the_report_page(world, as_user) -> None:
    evaluation = submitted_screening(world)
    priya = as_user("priya")
    page = priya.get(decide_url(world, evaluation))
    assert page.status_code == 200 and "Medical clearance decision" in page.content.decode()
    response = priya.post(decide_url(world, evaluation), {"decision": "cleared", "note": "Fit for KAP."})
    assert response.status_code == 302
    clearance = Clearance.objects.get()
    assert (clearance.decision, clearance.prescriber, clearance.note) == (
        "cleared",
        world.users["priya"],
        "Fit for KAP.",
    )
    assert clearance.valid_days == 90 and clearance.expires_at == clearance.decided_at + dt.timedelta(days=90)
    event = AuditEvent.objects.get(action="clearance.decide", object_type="clearance")
    assert event.detail["decision"] == "cleared" and event.client_id == world.clients["rowan"].pk


def test_the_clinic_sets_how_long_a_clearance_lasts(world) -> None:
    ScreeningSettings.objects.create(organization=world.org_a, clearance_valid_days=14)
    clearance = clear(world, submitted_screening(world))
    assert clearance.valid_days == 14 and clearance.expires_at - clearance.decided_at == dt.timedelta(days=14)


def test_cleared_with_conditions_needs_the_conditions(world) -> None:
    evaluation = submitted_screening(world)
    with pytest.raises(ValidationError) as refused:
        clear(world, evaluation, decision="cleared_with_conditions")
    assert "conditions" in refused.value.message_dict
    clearance = clear(
        world, evaluation, decision="cleared_with_conditions", conditions="BP check at every session"
    )
    assert clearance.conditions == "BP check at every session"
    assert dosing_readiness(world.clients["rowan"]).conditions == "BP check at every session"


def test_a_decision_needs_a_note(world) -> None:
    evaluation = submitted_screening(world)
    with pytest.raises(ValidationError) as refused:
        clear(world, evaluation, decision="declined", note="")
    assert refused.value.message_dict["note"] == ["Write a note for the care team."]


def test_a_contraindicated_screening_is_cleared_only_with_a_documented_override(world, as_user) -> None:
    evaluation = submitted_screening(world, aneurysmal_vascular_disease=True)
    assert evaluation.outcome == "contraindicated"
    response = as_user("priya").post(decide_url(world, evaluation), {"decision": "cleared", "note": "ok"})
    assert response.status_code == 400
    assert "document the reason for overriding it" in response.context["form"].errors["override_reason"][0]
    assert not Clearance.objects.exists()
    clearance = clear(world, evaluation, override_reason="Repaired 2019; vascular surgeon's letter on file.")
    assert clearance.override_reason.startswith("Repaired 2019")
    assert (
        AuditEvent.objects.get(action="clearance.decide", object_type="clearance").detail["override"] is True
    )


def test_each_judgement_flag_needs_an_attestation(world, as_user) -> None:
    evaluation = submitted_screening(world, psychosis=True, sleep_apnoea=True)
    assert evaluation.outcome == "needs_prescriber_review"
    response = as_user("priya").post(
        decide_url(world, evaluation),
        {
            "decision": "cleared",
            "note": "Weighed.",
            "attest_psychosis_history": "on",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["attest_sleep_apnoea"] == [
        "Attest that you weighed 'Sleep apnoea'."
    ]
    response = as_user("priya").post(
        decide_url(world, evaluation),
        {
            "decision": "cleared",
            "note": "Weighed.",
            "attest_psychosis_history": "on",
            "attest_note_psychosis_history": "Single episode 2010, stable since",
            "attest_sleep_apnoea": "on",
        },
    )
    assert response.status_code == 302
    assert Clearance.objects.get().attestations == {
        "psychosis_history": {"attested": True, "note": "Single episode 2010, stable since"},
        "sleep_apnoea": {"attested": True, "note": ""},
    }


def test_an_incomplete_screening_cannot_be_cleared_but_can_be_declined(world) -> None:
    evaluation = submitted_screening(world, psychosis=None)
    assert evaluation.outcome == "insufficient_information"
    with pytest.raises(ValidationError, match=r"insufficient information: history.psychosis"):
        clear(world, evaluation)
    declined = clear(world, evaluation, decision="declined", note="Complete the psychiatric history first.")
    assert declined.expires_at is None and not declined.is_current()


def test_only_a_submitted_current_screening_can_be_decided_once(world) -> None:
    give_birthday(world)
    save_intake(world)
    record_measures(world)
    draft = screening_run(actor(world, "theo"), world.clients["rowan"])
    with pytest.raises(ValidationError, match="not awaiting a decision"):
        clear(world, draft)
    evaluation = submitted_screening(world)
    clear(world, evaluation)
    with pytest.raises(ValidationError):
        clear(world, evaluation)


def test_a_new_decision_supersedes_the_previous_clearance(world) -> None:
    first = clear(world, submitted_screening(world))
    second = clear(world, submitted_screening(world))
    first.refresh_from_db()
    assert first.superseded_at is not None and second.superseded_at is None
    assert dosing_readiness(world.clients["rowan"]).clearance == second


@pytest.mark.parametrize("persona", ["theo", "sam", "toby", "tamsin", "olive", "avery", "rowan_portal"])
def test_nobody_but_the_team_prescriber_decides(world, as_user, persona) -> None:
    evaluation = submitted_screening(world)
    response = as_user(persona).post(decide_url(world, evaluation), {"decision": "cleared", "note": "x"})
    assert response.status_code == 404
    assert not Clearance.objects.exists()


def test_a_prescriber_not_on_the_care_team_cannot_decide(world, as_user) -> None:
    from kapstone.accounts.models import Membership, Role, User

    pat = User.objects.create_user("pat@test.example", world.password, full_name="Pat Test")
    Membership.objects.create(user=pat, organization=world.org_a, role=Role.PRESCRIBER)
    world.users["pat"] = pat
    evaluation = submitted_screening(world)
    assert (
        as_user("pat").post(decide_url(world, evaluation), {"decision": "cleared", "note": "x"}).status_code
        == 404
    )
    from kapstone.core.actor import Actor

    pat_actor = Actor(user=pat, organization=world.org_a, roles=frozenset({"prescriber"}))
    with pytest.raises(PermissionError):
        clearance_decide(pat_actor, evaluation, decision="cleared", note="x")
    with pytest.raises(PermissionError):  # the therapist, directly at the service
        clearance_decide(actor(world, "theo"), evaluation, decision="cleared", note="x")
    assert not Clearance.objects.exists()


def test_the_report_shows_the_decision_afterwards(world, as_user) -> None:
    evaluation = submitted_screening(world)
    clear(world, evaluation, decision="cleared_with_conditions", conditions="Escort required", note="Fine.")
    url = reverse("screening:evaluation", kwargs={"pk": world.clients["rowan"].pk, "eid": evaluation.pk})
    html = as_user("theo").get(url).content.decode()
    assert (
        "Prescriber&#x27;s decision: Cleared with conditions" in html
        or "decision: Cleared with conditions" in html
    )
    assert "Escort required" in html


def test_contraindicated_with_missing_facts_cannot_be_cleared_even_with_an_override(world) -> None:
    evaluation = submitted_screening(world, aneurysmal_vascular_disease=True, seizure=None)
    assert evaluation.outcome == "contraindicated"
    assert evaluation.result["missing_facts"] == ["history.seizure"]
    with pytest.raises(ValidationError, match=r"insufficient information: history.seizure"):
        clear(world, evaluation, override_reason="Repaired 2019; vascular surgeon's letter on file.")
