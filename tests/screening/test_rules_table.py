"""Every shipped rule, table-driven: its flagged path, its clear path and its
insufficient-information path. A rule added to default.toml without a row here fails
``test_every_shipped_rule_has_a_row``."""

from __future__ import annotations

import pytest
from screening_support import baseline, patch, remove

from kapstone.screening.engine import CLEAR, FLAGGED, INSUFFICIENT, evaluate
from kapstone.screening.ruleset import Always, RuleSet

BENZO = "benzodiazepine"

# rule id -> (facts that flag it, facts that clear it), each applied over the all-clear baseline.
# Boundary values sit on the clear side of each threshold.
TABLE: dict[str, tuple[dict[str, object], dict[str, object]]] = {
    # contraindicated
    "ketamine_hypersensitivity": ({"allergies.esketamine": True}, {}),
    "aneurysmal_vascular_disease_or_avm": ({"history.arteriovenous_malformation": True}, {}),
    "intracerebral_hemorrhage_history": ({"history.intracerebral_hemorrhage": True}, {}),
    "raised_intracranial_pressure": ({"history.raised_intracranial_pressure": True}, {}),
    "open_eye_injury": ({"history.open_eye_injury": True}, {}),
    "racemic_bp_elevation_hazard": (
        {"product": "racemic_ketamine", "route": "intramuscular", "history.cardiovascular_disease": True},
        {"product": "esketamine", "history.cardiovascular_disease": True},
    ),
    "bp_above_hold_threshold": (
        {"bp_systolic": 181, "bp_diastolic": 95},
        {"bp_systolic": 180, "bp_diastolic": 100},
    ),
    "hepatic_impairment_severe_esketamine": (
        {"history.hepatic_impairment": "severe"},
        {"history.hepatic_impairment": "severe", "product": "racemic_ketamine"},
    ),
    "schizophrenia_spectrum_disorder": ({"history.schizophrenia_spectrum": True}, {}),
    "current_psychotic_symptoms": ({"history.current_psychotic_symptoms": True}, {}),
    "current_manic_symptoms": ({"history.current_manic_symptoms": True}, {}),
    "cssrs_high_risk": ({"cssrs_risk": "high"}, {"cssrs_risk": "moderate"}),
    "under_minimum_age": ({"age_years": 17}, {"age_years": 18}),
    # prescriber judgement
    "bp_above_review_threshold": ({"bp_diastolic": 91}, {"bp_systolic": 140, "bp_diastolic": 90}),
    "heart_rate_above_review_threshold": ({"heart_rate": 111}, {"heart_rate": 110}),
    "cardiovascular_or_cerebrovascular_condition": ({"history.cerebrovascular_event": True}, {}),
    "hypertensive_encephalopathy_history": ({"history.hypertensive_encephalopathy": True}, {}),
    "raised_intraocular_pressure": ({"history.raised_intraocular_pressure": True}, {}),
    "hepatic_impairment": (
        {"history.hepatic_impairment": "moderate"},
        {"history.hepatic_impairment": "mild"},
    ),
    "pregnancy": ({"pregnant": True}, {}),
    "lactation": ({"lactating": True}, {}),
    "psychosis_history": ({"history.psychosis": True}, {}),
    "mania_history": ({"history.mania": True}, {}),
    "family_history_psychosis": ({"history.family_history_psychosis": True}, {}),
    "substance_use_disorder": ({"history.substance_use_disorder": True}, {}),
    "ketamine_misuse_history": ({"history.ketamine_misuse": True}, {}),
    "benzodiazepine_above_threshold": (
        {
            "medications": [
                {"classes": [BENZO], "diazepam_equivalent_mg_per_day": 5},
                {"classes": [BENZO], "diazepam_equivalent_mg_per_day": 3.5},
            ]
        },
        {"medications": [{"classes": [BENZO], "diazepam_equivalent_mg_per_day": 8}]},
    ),
    "opioid_or_sedative_use": ({"medications": [{"classes": ["opioid"]}]}, {"medications": []}),
    "stimulant_or_maoi_use": ({"medications": [{"classes": ["other", "maoi"]}]}, {}),
    "cyp_interaction": ({"medications": [{"classes": ["cyp2b6_inhibitor"]}]}, {}),
    "uncontrolled_hyperthyroidism": ({"history.uncontrolled_hyperthyroidism": True}, {}),
    "cystitis_or_urological_symptoms": ({"history.cystitis_or_urological_symptoms": True}, {}),
    "sleep_apnoea": ({"history.sleep_apnoea": True}, {}),
    "seizure_history": ({"history.seizure": True}, {}),
    "traumatic_brain_injury": ({"history.traumatic_brain_injury": True}, {}),
    "neurocognitive_disorder": ({"history.neurocognitive_disorder": True}, {}),
    "older_adult_review": ({"age_years": 65}, {"age_years": 64}),
    "phq9_item9_positive": ({"phq9_item9": 1}, {"phq9_item9": 0}),
    "cssrs_moderate_risk": ({"cssrs_risk": "moderate"}, {"cssrs_risk": "low"}),
    # clinic policy (checklist)
    "fasting": ({}, {}),
    "escort_home": ({}, {}),
    "no_driving": ({}, {}),
    "medication_holds": ({"medications": [{"classes": ["lamotrigine"]}]}, {}),
    "nasal_product_timing": (
        {"medications": [{"classes": ["nasal_corticosteroid"]}]},
        {
            "product": "racemic_ketamine",
            "route": "oral",
            "medications": [{"classes": ["nasal_corticosteroid"]}],
        },
    ),
    "spravato_rems": ({}, {"product": "racemic_ketamine", "route": "oral"}),
    "airway_readiness": (
        {"product": "racemic_ketamine", "route": "intravenous"},
        {"product": "racemic_ketamine", "route": "sublingual"},
    ),
    "breastfeeding_pause": ({"lactating": True}, {}),
    "pregnancy_prevention_counselling": (
        {"contraception": False},
        {"contraception": False, "sex_at_birth": "male", "pregnant": False, "lactating": False},
    ),
}


def test_every_shipped_rule_has_a_row(ruleset: RuleSet) -> None:
    assert sorted(TABLE) == sorted(r.id for r in ruleset.rules)


def test_baseline_clears_every_decidable_rule(ruleset: RuleSet) -> None:
    evaluation = evaluate(ruleset, baseline())
    assert evaluation.outcome == "no_flags"
    assert all(r.outcome == CLEAR for r in evaluation.rules)


@pytest.mark.parametrize("rule_id", sorted(TABLE))
def test_flagged_path(ruleset: RuleSet, rule_id: str) -> None:
    rule = ruleset.rule(rule_id)
    result = evaluate(ruleset, patch(baseline(), TABLE[rule_id][0])).result(rule_id)
    assert result.outcome == FLAGGED
    assert result.level == rule.level
    assert result.source == rule.source and result.source
    assert result.rationale == ruleset.render(rule.rationale, ruleset.defaults)
    assert "{" not in result.rationale and "{" not in result.title
    assert result.missing_facts == ()


@pytest.mark.parametrize("rule_id", sorted(TABLE))
def test_clear_path(ruleset: RuleSet, rule_id: str) -> None:
    result = evaluate(ruleset, patch(baseline(), TABLE[rule_id][1])).result(rule_id)
    if isinstance(ruleset.rule(rule_id).when, Always):
        assert result.outcome == FLAGGED  # an always-applicable checklist item has no clear path
        return
    assert result.outcome == CLEAR
    assert result.rationale.startswith("clear: condition not met: ")


@pytest.mark.parametrize("rule_id", sorted(TABLE))
def test_insufficient_information_path(ruleset: RuleSet, rule_id: str) -> None:
    rule = ruleset.rule(rule_id)
    for start in (baseline(), patch(baseline(), TABLE[rule_id][0])):
        result = evaluate(ruleset, remove(start, rule.facts)).result(rule_id)
        if isinstance(rule.when, Always):
            assert result.outcome == FLAGGED  # applies whatever is known
            continue
        assert result.outcome == INSUFFICIENT
        assert result.missing_facts == rule.facts
        assert result.rationale == "insufficient information: " + ", ".join(rule.facts)
        assert "pass" not in result.rationale
        assert all(value is None for value in result.facts.values())


@pytest.mark.parametrize("rule_id", sorted(TABLE))
def test_no_facts_at_all_never_clears(ruleset: RuleSet, rule_id: str) -> None:
    result = evaluate(ruleset, {}).result(rule_id)
    expected = FLAGGED if isinstance(ruleset.rule(rule_id).when, Always) else INSUFFICIENT
    assert result.outcome == expected


# -- rules whose three-valued behaviour matters --------------------------------------------------


def test_any_known_finding_flags_even_when_the_other_fact_is_unknown(ruleset: RuleSet) -> None:
    doc = remove(patch(baseline(), {"allergies.ketamine": True}), ["allergies.esketamine"])
    assert evaluate(ruleset, doc).result("ketamine_hypersensitivity").outcome == FLAGGED


def test_any_with_one_false_and_one_unknown_is_insufficient(ruleset: RuleSet) -> None:
    result = evaluate(ruleset, remove(baseline(), ["allergies.esketamine"])).result(
        "ketamine_hypersensitivity"
    )
    assert result.outcome == INSUFFICIENT
    assert result.missing_facts == ("allergies.esketamine",)
    assert result.rationale == "insufficient information: allergies.esketamine"


def test_all_with_a_known_false_part_is_clear_despite_an_unknown(ruleset: RuleSet) -> None:
    # esketamine is not racemic: decided without the cardiovascular history
    doc = remove(baseline(), ["history.cardiovascular_disease", "history.cerebrovascular_event"])
    assert evaluate(ruleset, doc).result("racemic_bp_elevation_hazard").outcome == CLEAR
    # no severe hepatic impairment: decided without the product
    assert (
        evaluate(ruleset, remove(baseline(), ["product"]))
        .result("hepatic_impairment_severe_esketamine")
        .outcome
        == CLEAR
    )


def test_racemic_with_unknown_cardiovascular_history_is_insufficient(ruleset: RuleSet) -> None:
    doc = remove(
        patch(baseline(), {"product": "racemic_ketamine", "route": "oral"}),
        ["history.cardiovascular_disease"],
    )
    result = evaluate(ruleset, doc).result("racemic_bp_elevation_hazard")
    assert result.outcome == INSUFFICIENT
    assert result.missing_facts == ("history.cardiovascular_disease",)


def test_severe_hepatic_impairment_with_unknown_product(ruleset: RuleSet) -> None:
    doc = remove(patch(baseline(), {"history.hepatic_impairment": "severe"}), ["product"])
    evaluation = evaluate(ruleset, doc)
    assert evaluation.result("hepatic_impairment_severe_esketamine").outcome == INSUFFICIENT
    assert evaluation.result("hepatic_impairment").outcome == FLAGGED
    assert evaluation.outcome == "insufficient_information"


def test_one_blood_pressure_value_above_threshold_flags_without_the_other(ruleset: RuleSet) -> None:
    doc = remove(patch(baseline(), {"bp_systolic": 185}), ["bp_diastolic"])
    evaluation = evaluate(ruleset, doc)
    assert evaluation.result("bp_above_hold_threshold").outcome == FLAGGED
    assert evaluation.outcome == "contraindicated"


def test_benzodiazepine_dose_unknown_is_insufficient_not_zero(ruleset: RuleSet) -> None:
    doc = patch(baseline(), {"medications": [{"name": "clonazepam", "classes": [BENZO]}]})
    evaluation = evaluate(ruleset, doc)
    result = evaluation.result("benzodiazepine_above_threshold")
    assert result.outcome == INSUFFICIENT
    assert result.missing_facts == ("medications.benzodiazepine_diazepam_equivalent_mg_per_day",)
    # the classes are still known
    assert evaluation.result("medication_holds").outcome == FLAGGED


def test_no_medications_means_no_benzodiazepine(ruleset: RuleSet) -> None:
    evaluation = evaluate(ruleset, patch(baseline(), {"medications": []}))
    result = evaluation.result("benzodiazepine_above_threshold")
    assert result.outcome == CLEAR
    assert result.facts == {"medications.benzodiazepine_diazepam_equivalent_mg_per_day": 0}


def test_male_client_pregnancy_and_lactation_are_derived_false(ruleset: RuleSet) -> None:
    doc = remove(patch(baseline(), {"sex_at_birth": "male"}), ["pregnant", "lactating", "contraception"])
    evaluation = evaluate(ruleset, doc)
    assert evaluation.result("pregnancy").outcome == CLEAR
    assert evaluation.result("lactation").outcome == CLEAR
    assert evaluation.result("pregnancy_prevention_counselling").outcome == CLEAR
    assert dict(evaluation.derived_facts) == {
        "pregnant": "false because sex_at_birth is male",
        "lactating": "false because sex_at_birth is male",
    }
    assert evaluation.outcome == "no_flags"


def test_pregnancy_unknown_for_a_female_client_is_insufficient(ruleset: RuleSet) -> None:
    evaluation = evaluate(ruleset, remove(baseline(), ["pregnant"]))
    assert evaluation.result("pregnancy").outcome == INSUFFICIENT
    assert evaluation.derived_facts == {}
