"""The overall outcome's precedence, the evaluation's shape, and clinic settings overrides."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from screening_support import baseline, patch, remove

from kapstone.screening import engine
from kapstone.screening.engine import CLEAR, FLAGGED, evaluate
from kapstone.screening.facts import FactsError
from kapstone.screening.ruleset import RuleSet, SettingsError

CONTRA = {"allergies.ketamine": True}
REVIEW = {"pregnant": True}
UNKNOWN = ["history.psychosis"]

# (case, facts set over the baseline, facts removed, expected overall outcome)
PRECEDENCE = [
    ("all decided, nothing fired", {}, [], "no_flags"),
    ("a judgement flag", REVIEW, [], "needs_prescriber_review"),
    ("a missing fact", {}, UNKNOWN, "insufficient_information"),
    ("a judgement flag and a missing fact", REVIEW, UNKNOWN, "insufficient_information"),
    ("a contraindication", CONTRA, [], "contraindicated"),
    ("a contraindication and a judgement flag", {**CONTRA, **REVIEW}, [], "contraindicated"),
    ("a contraindication and a missing fact", CONTRA, UNKNOWN, "contraindicated"),
    (
        "a contraindication with most facts missing",
        CONTRA,
        ["age_years", "bp_systolic", "bp_diastolic", "history.mania", "medications", "cssrs_risk"],
        "contraindicated",
    ),
    (
        "a missing contraindication fact and a judgement flag",
        REVIEW,
        ["history.intracerebral_hemorrhage"],
        "insufficient_information",
    ),
    ("only a checklist item is undecided", {"product": "racemic_ketamine"}, ["route"], "no_flags"),
    ("an unused fact is missing", {}, ["weight_kg"], "no_flags"),
]


@pytest.mark.parametrize(
    ("case", "changes", "removed", "expected"), PRECEDENCE, ids=[p[0] for p in PRECEDENCE]
)
def test_overall_outcome_precedence(
    ruleset: RuleSet, case: str, changes: dict[str, object], removed: list[str], expected: str
) -> None:
    evaluation = evaluate(ruleset, remove(patch(baseline(), changes), removed))
    assert evaluation.outcome == expected, case


def test_empty_facts_are_insufficient_and_name_every_fact_a_decision_needs(ruleset: RuleSet) -> None:
    evaluation = evaluate(ruleset, {})
    assert evaluation.outcome == "insufficient_information"
    needed = {f for r in ruleset.rules if r.level != "clinic_policy" for f in r.facts}
    assert set(evaluation.missing_facts) == needed
    assert "weight_kg" not in evaluation.missing_facts
    assert evaluation.summary.startswith("Insufficient information: 39 rule(s) cannot be decided")


def test_only_a_known_contraindication_with_nothing_else_known(ruleset: RuleSet) -> None:
    evaluation = evaluate(ruleset, {"allergies": {"ketamine": True}})
    assert evaluation.outcome == "contraindicated"
    assert evaluation.contraindications == ("ketamine_hypersensitivity",)
    assert "ketamine_hypersensitivity" in evaluation.summary
    assert evaluation.missing_facts  # still reported, for completing the record
    assert "age_years" in evaluation.undecided or "under_minimum_age" in evaluation.undecided


def test_review_summary_and_lists(ruleset: RuleSet) -> None:
    evaluation = evaluate(ruleset, patch(baseline(), {"pregnant": True, "phq9_item9": 2}))
    assert evaluation.outcome == "needs_prescriber_review"
    assert evaluation.review_flags == ("pregnancy", "phq9_item9_positive")
    assert evaluation.summary == "Needs prescriber review with attestation: pregnancy, phq9_item9_positive."
    assert evaluation.contraindications == () and evaluation.undecided == ()


def test_no_flags_summary_names_the_ruleset(ruleset: RuleSet) -> None:
    evaluation = evaluate(ruleset, baseline())
    assert evaluation.summary.startswith(
        f"No contraindication or review flag under {ruleset.id} {ruleset.version}"
    )


def test_checklist_is_separate_and_never_changes_the_outcome(ruleset: RuleSet) -> None:
    evaluation = evaluate(ruleset, baseline())
    assert {r.level for r in evaluation.checklist} == {"clinic_policy"}
    assert "clinic_policy" not in {r.level for r in evaluation.rules}
    assert len(evaluation.rules) + len(evaluation.checklist) == len(ruleset.rules)
    applies = evaluation.ids("clinic_policy", FLAGGED)
    assert applies == ("fasting", "escort_home", "no_driving", "spravato_rems")
    assert evaluation.ids("clinic_policy", CLEAR)
    fasting = evaluation.result("fasting")
    assert (
        fasting.rationale
        == "No food for 2 h and no liquids for 0.5 h before dosing (nausea, vomiting and aspiration)."
    )


def test_result_lookup_of_an_unknown_rule(ruleset: RuleSet) -> None:
    with pytest.raises(KeyError):
        evaluate(ruleset, baseline()).result("nope")


def test_to_dict_shape_is_json_and_complete(ruleset: RuleSet) -> None:
    doc = patch(
        baseline(),
        {"medications": [{"classes": ["stimulant", "benzodiazepine"], "diazepam_equivalent_mg_per_day": 2}]},
    )
    evaluation = evaluate(ruleset, doc, {"no_driving_hours": 12})
    data = json.loads(json.dumps(evaluation.to_dict()))
    assert set(data) == {
        "outcome",
        "summary",
        "ruleset",
        "settings",
        "settings_overridden",
        "derived_facts",
        "contraindicated",
        "needs_review",
        "insufficient_information",
        "missing_facts",
        "rules",
        "checklist",
    }
    assert data["outcome"] == "needs_prescriber_review"
    assert data["ruleset"] == {
        "id": "kapstone-default",
        "version": ruleset.version,
        "effective": ruleset.effective.isoformat(),
    }
    assert data["settings"]["no_driving_hours"] == 12
    assert data["settings"]["benzodiazepine_max_diazepam_eq_mg_per_day"] == 8
    assert data["settings_overridden"] == ["no_driving_hours"]
    assert data["needs_review"] == ["stimulant_or_maoi_use"]
    rule = next(r for r in data["rules"] if r["id"] == "stimulant_or_maoi_use")
    assert set(rule) == {"id", "level", "title", "outcome", "rationale", "source", "missing_facts", "facts"}
    assert rule["facts"] == {"medications.classes": ["benzodiazepine", "stimulant"]}
    assert rule["source"] == ["L1", "L9"]
    no_driving = next(r for r in data["checklist"] if r["id"] == "no_driving")
    assert "at least 12 h" in no_driving["rationale"]


def test_invalid_facts_raise_with_fields(ruleset: RuleSet) -> None:
    with pytest.raises(FactsError) as caught:
        evaluate(ruleset, patch(baseline(), {"bp_systolic": 400}))
    assert [e.field for e in caught.value.errors] == ["bp_systolic"]


# -- settings overrides ---------------------------------------------------------------------------


def _benzo(dose: float) -> dict[str, object]:
    return patch(
        baseline(), {"medications": [{"classes": ["benzodiazepine"], "diazepam_equivalent_mg_per_day": dose}]}
    )


@pytest.mark.parametrize(
    ("dose", "threshold", "expected"),
    [
        (10, None, FLAGGED),  # default 8 mg/day [D4]
        (8, None, CLEAR),
        (10, 12, CLEAR),
        (6, 5, FLAGGED),
        (20, 30, CLEAR),  # a clinic following [G8]'s 3 mg lorazepam-equivalent (~30 mg diazepam)
    ],
)
def test_benzodiazepine_threshold_setting(
    ruleset: RuleSet, dose: float, threshold: float | None, expected: str
) -> None:
    overrides = None if threshold is None else {"benzodiazepine_max_diazepam_eq_mg_per_day": threshold}
    result = evaluate(ruleset, _benzo(dose), overrides).result("benzodiazepine_above_threshold")
    assert result.outcome == expected
    if expected == FLAGGED:
        shown = 8 if threshold is None else threshold
        assert f"above {shown} mg diazepam equivalent" in result.rationale
        assert result.title == f"Benzodiazepine above {shown} mg/day diazepam equivalent"
    else:
        assert result.rationale.endswith(
            f"> {threshold or 8} (setting benzodiazepine_max_diazepam_eq_mg_per_day)"
        )


def test_bp_review_threshold_setting(ruleset: RuleSet) -> None:
    doc = patch(baseline(), {"bp_systolic": 150, "bp_diastolic": 85})
    assert evaluate(ruleset, doc).result("bp_above_review_threshold").outcome == FLAGGED
    evaluation = evaluate(ruleset, doc, {"bp_review_systolic_mmhg": 160})
    assert evaluation.result("bp_above_review_threshold").outcome == CLEAR
    assert evaluation.outcome == "no_flags"
    assert evaluation.settings["bp_review_systolic_mmhg"] == 160


def test_bp_hold_threshold_setting(ruleset: RuleSet) -> None:
    doc = patch(baseline(), {"bp_systolic": 185, "bp_diastolic": 95})
    evaluation = evaluate(ruleset, doc)
    assert evaluation.outcome == "contraindicated"
    assert evaluation.result("bp_above_hold_threshold").title == "Resting BP above 180/100 mmHg"
    relaxed = evaluate(ruleset, doc, {"bp_hold_systolic_mmhg": 190, "bp_hold_diastolic_mmhg": 110})
    assert relaxed.result("bp_above_hold_threshold").outcome == CLEAR
    assert relaxed.outcome == "needs_prescriber_review"  # still above the 140/90 review guide
    stricter = evaluate(
        ruleset, patch(baseline(), {"bp_systolic": 150, "bp_diastolic": 85}), {"bp_hold_systolic_mmhg": 145.5}
    )
    assert stricter.result("bp_above_hold_threshold").outcome == FLAGGED
    assert "145.5/100 mmHg" in stricter.result("bp_above_hold_threshold").rationale


def test_other_settings_move_their_thresholds(ruleset: RuleSet) -> None:
    # The item-9 threshold is no longer among them: it sits on its safety floor (issue #11), so an
    # answer of 1 is never silenced (test_safety_floors.py).
    doc = patch(baseline(), {"age_years": 70, "heart_rate": 115})
    evaluation = evaluate(ruleset, doc, {"upper_age_review_years": 75, "heart_rate_review_bpm": 120})
    assert evaluation.outcome == "no_flags"
    assert evaluation.result("older_adult_review").title == "Age 75 or older"


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"benzo": 3}, "settings.benzo", "no such setting"),
        ({"bp_review_systolic_mmhg": "150"}, "settings.bp_review_systolic_mmhg", "expected a number"),
        ({"bp_review_systolic_mmhg": True}, "settings.bp_review_systolic_mmhg", "expected a number"),
        ({"bp_review_systolic_mmhg": float("nan")}, "settings.bp_review_systolic_mmhg", "finite"),
        ({"bp_review_systolic_mmhg": 20}, "settings.bp_review_systolic_mmhg", "at least 100"),
        ({"bp_review_systolic_mmhg": 400}, "settings.bp_review_systolic_mmhg", "safety floor: at most 179"),
        ({"upper_age_review_years": 70.5}, "settings.upper_age_review_years", "whole number"),
        ({"upper_age_review_years": "x"}, "settings.upper_age_review_years", "whole number"),
    ],
)
def test_bad_settings_are_refused_naming_the_setting(
    ruleset: RuleSet, overrides: dict[str, object], field: str, fragment: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        evaluate(ruleset, baseline(), overrides)
    assert [e.field for e in caught.value.errors] == [field]
    assert fragment in str(caught.value)


# The pure core (the Django side of screening -- evaluations, clearance -- may live beside it).
CORE = ("__init__.py", "facts.py", "ruleset.py", "engine.py", "cli.py")


def test_core_imports_no_django() -> None:
    src = Path(engine.__file__).parent
    for name in CORE:
        text = (src / name).read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import)\s+django", text, re.M), name
    code = (
        "import sys, kapstone.screening.engine, kapstone.screening.cli; "
        "assert not any(m.split('.')[0] == 'django' for m in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env={"PYTHONPATH": str(src.parent.parent)})
