"""Screening: run against the clinic's rule set (stored with its version and every rule's outcome),
submit to the prescriber, and the report the prescriber reads."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from tests.clients.intake_helpers import (
    actor,
    edited_default,
    give_birthday,
    ready_for_screening,
    record_measures,
    save_intake,
)

from kapstone.audit.models import AuditEvent
from kapstone.screening.models import ScreeningEvaluation
from kapstone.screening.ruleset import default_ruleset
from kapstone.screening.selectors import shipped_ruleset
from kapstone.screening.services import screening_run, screening_settings_save, screening_submit

pytestmark = pytest.mark.django_db


def run(world, by: str = "theo") -> ScreeningEvaluation:
    return screening_run(actor(world, by), world.clients["rowan"])


def test_a_run_stores_the_rule_set_version_facts_settings_and_every_rule(world) -> None:
    ready_for_screening(world)
    evaluation = run(world)
    shipped = default_ruleset()
    assert (evaluation.ruleset_id, evaluation.ruleset_version) == (shipped.id, shipped.version)
    assert evaluation.ruleset_sha256 == shipped_ruleset().sha256 and evaluation.clinic_ruleset is None
    assert evaluation.status == "draft" and evaluation.outcome == "no_flags"
    assert evaluation.facts["phq9_item9"] == 0 and evaluation.facts["cssrs_risk"] == "none"
    assert set(evaluation.fact_sources) == {"phq9_item9", "cssrs_risk"}
    assert evaluation.settings_used == shipped.defaults
    stored = {r["id"]: r for r in evaluation.result["rules"] + evaluation.result["checklist"]}
    assert set(stored) == {r.id for r in shipped.rules}
    assert all(
        r["rationale"] and r["outcome"] in ("flagged", "clear", "insufficient_information")
        for r in stored.values()
    )
    cited = {key for r in shipped.rules for key in r.source}
    assert set(evaluation.sources) == cited
    assert AuditEvent.objects.filter(action="screening.run", object_id=str(evaluation.pk)).exists()


def test_missing_facts_are_insufficient_information_never_a_pass(world) -> None:
    give_birthday(world)
    save_intake(world, psychosis=None, bp_systolic=None, bp_diastolic=None)
    evaluation = run(world)  # and no measures at all
    assert evaluation.outcome == "insufficient_information"
    rules = {r["id"]: r for r in evaluation.result["rules"]}
    assert rules["psychosis_history"]["outcome"] == "insufficient_information"
    assert rules["psychosis_history"]["rationale"] == "insufficient information: history.psychosis"
    assert rules["cssrs_high_risk"]["rationale"] == "insufficient information: cssrs_risk"
    assert set(evaluation.result["missing_facts"]) >= {
        "history.psychosis",
        "bp_systolic",
        "phq9_item9",
        "cssrs_risk",
    }


def test_measure_results_are_facts(world) -> None:
    give_birthday(world)
    save_intake(world)
    record_measures(world, item9=2, cssrs="high")
    evaluation = run(world)
    assert evaluation.outcome == "contraindicated"
    assert evaluation.result["contraindicated"] == ["cssrs_high_risk"]
    assert "phq9_item9_positive" in evaluation.result["needs_review"]


def test_clinic_setting_overrides_are_used_and_stored(world) -> None:
    ready_for_screening(world, bp_systolic=135, bp_diastolic=80)
    screening_settings_save(
        actor(world, "avery"),
        overrides={"bp_review_systolic_mmhg": 130},
        clearance_valid_days=None,
        measure_max_age_days=None,
        expected_version=0,
    )
    evaluation = run(world)
    assert evaluation.settings_used["bp_review_systolic_mmhg"] == 130
    assert evaluation.settings_overridden == ["bp_review_systolic_mmhg"]
    assert evaluation.result["needs_review"] == ["bp_above_review_threshold"]


def test_submit_sends_the_draft_and_replaces_older_undecided_submissions(world) -> None:
    ready_for_screening(world)
    first = screening_submit(actor(world, "theo"), run(world))
    assert first.status == "submitted" and first.submitted_by == world.users["theo"]
    second = screening_submit(actor(world, "priya"), run(world))
    first.refresh_from_db()
    assert first.superseded_reason == "a newer screening was submitted" and second.superseded_at is None


def test_a_draft_cannot_be_submitted_after_the_facts_changed(world) -> None:
    ready_for_screening(world)
    draft = run(world)
    record_measures(world, item9=1)
    with pytest.raises(ValidationError, match=r"facts changed since this screening was run \(phq9_item9\)"):
        screening_submit(actor(world, "theo"), draft)


def test_a_draft_cannot_be_submitted_after_the_rule_set_changed(world) -> None:
    from kapstone.screening.services import ruleset_save

    ready_for_screening(world)
    draft = run(world)
    ruleset_save(actor(world, "avery"), edited_default(version="1.0.1"))
    with pytest.raises(ValidationError, match="rule set changed to kapstone-default 1.0.1"):
        screening_submit(actor(world, "theo"), draft)


def test_running_again_replaces_the_old_draft(world) -> None:
    ready_for_screening(world)
    old = run(world)
    run(world)
    old.refresh_from_db()
    assert old.superseded_reason == "a newer screening was run"
    with pytest.raises(ValidationError):
        screening_submit(actor(world, "theo"), old)


def test_the_report_puts_flags_first_with_sources(world, as_user) -> None:
    give_birthday(world)
    save_intake(world, psychosis=True, allergy_ketamine=True, seizure=None)
    record_measures(world)
    evaluation = run(world)
    url = reverse("screening:evaluation", kwargs={"pk": world.clients["rowan"].pk, "eid": evaluation.pk})
    html = as_user("priya").get(url).content.decode()
    contraindication = html.index("Hypersensitivity to ketamine")
    judgement = (
        html.index("History of psychosis") if "History of psychosis" in html else html.index("psychosis")
    )
    insufficient = html.index("insufficient information: Seizures")  # the fact in words
    checklist = html.index("Clinic checklist")
    assert contraindication < judgement < insufficient < checklist
    assert "SPRAVATO (esketamine) US Prescribing Information" in html  # a cited source, in full


def test_the_pages_through_http(world, as_user) -> None:
    ready_for_screening(world)
    rowan = world.clients["rowan"]
    theo = as_user("theo")
    response = theo.post(reverse("screening:run", kwargs={"pk": rowan.pk}))
    evaluation = ScreeningEvaluation.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/screening/{evaluation.pk}/")
    response = theo.post(
        reverse("screening:submit", kwargs={"pk": rowan.pk, "eid": evaluation.pk}), {"note": "Over to you"}
    )
    assert response.status_code == 302
    evaluation.refresh_from_db()
    assert evaluation.status == "submitted" and evaluation.submission_note == "Over to you"
    listing = theo.get(reverse("screening:list", kwargs={"pk": rowan.pk})).content.decode()
    assert "awaiting the prescriber" in listing


@pytest.mark.parametrize("persona", ["tamsin", "olive", "avery", "sam", "toby", "rowan_portal"])
def test_only_the_team_therapist_or_prescriber_runs_a_screening(world, as_user, persona) -> None:
    ready_for_screening(world)
    response = as_user(persona).post(reverse("screening:run", kwargs={"pk": world.clients["rowan"].pk}))
    assert response.status_code == 404
    assert not ScreeningEvaluation.objects.exists()


@pytest.mark.parametrize("persona", ["tamsin", "olive", "avery", "rowan_portal"])
def test_other_teams_other_orgs_and_the_admin_cannot_read_a_screening(world, as_user, persona) -> None:
    ready_for_screening(world)
    evaluation = run(world)
    url = reverse("screening:evaluation", kwargs={"pk": world.clients["rowan"].pk, "eid": evaluation.pk})
    assert as_user(persona).get(url).status_code == 404
    assert as_user("sam").get(url).status_code == 200  # the supervisor on the team reads it


def test_a_screening_id_under_another_clients_url_is_404(world, as_user) -> None:
    ready_for_screening(world)
    evaluation = run(world)
    from kapstone.clients.models import CareTeamMember

    CareTeamMember.objects.create(
        client=world.clients["harper"], user=world.users["theo"], team_role="therapist"
    )
    url = reverse("screening:evaluation", kwargs={"pk": world.clients["harper"].pk, "eid": evaluation.pk})
    assert as_user("theo").get(url).status_code == 404
    assert AuditEvent.objects.filter(
        action="screening.view", outcome="denied", object_type="screening"
    ).exists()
