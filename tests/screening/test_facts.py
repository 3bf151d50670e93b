"""Facts validation: every refusal names the field; the catalogue, FACTS.md and the JSON Schema agree."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from screening_support import baseline, patch

from kapstone.screening import facts as facts_module
from kapstone.screening.facts import (
    FACT_SPECS,
    MEDICATION_CLASSES,
    Bound,
    Facts,
    FactsError,
    facts_json_schema,
    validate_facts,
)
from kapstone.screening.ruleset import RuleSet


def refused(ruleset: RuleSet, doc: object) -> list[tuple[str, str]]:
    with pytest.raises(FactsError) as caught:
        validate_facts(doc, ruleset.bounds)
    assert str(caught.value)  # a readable message
    return [(e.field, e.code) for e in caught.value.errors]


# (case, changes over the baseline, expected (field, code) errors)
REFUSALS = [
    ("lactating male", {"sex_at_birth": "male", "lactating": True}, [("lactating", "inconsistent")]),
    ("pregnant male", {"sex_at_birth": "male", "pregnant": True}, [("pregnant", "inconsistent")]),
    (
        "BP 400/20",
        {"bp_systolic": 400, "bp_diastolic": 20},
        [("bp_systolic", "implausible"), ("bp_diastolic", "implausible")],
    ),
    (
        "diastolic equal to systolic",
        {"bp_systolic": 120, "bp_diastolic": 120},
        [("bp_diastolic", "inconsistent")],
    ),
    (
        "diastolic above systolic",
        {"bp_systolic": 80, "bp_diastolic": 120},
        [("bp_diastolic", "inconsistent")],
    ),
    ("weight 0", {"weight_kg": 0}, [("weight_kg", "implausible")]),
    ("weight absurd", {"weight_kg": 5000}, [("weight_kg", "implausible")]),
    ("weight below bounds", {"weight_kg": 0.5}, [("weight_kg", "implausible")]),
    ("age negative", {"age_years": -1}, [("age_years", "implausible")]),
    ("age above 120", {"age_years": 121}, [("age_years", "implausible")]),
    ("heart rate implausible", {"heart_rate": 900}, [("heart_rate", "implausible")]),
    ("unknown top-level key", {"psychosys": True}, [("psychosys", "unknown_key")]),
    ("unknown history key", {"history.psychosys": True}, [("history.psychosys", "unknown_key")]),
    ("unknown allergy key", {"allergies.penicillin": True}, [("allergies.penicillin", "unknown_key")]),
    ("boolean as text", {"pregnant": "no"}, [("pregnant", "wrong_type")]),
    ("boolean as number", {"history.mania": 0}, [("history.mania", "wrong_type")]),
    ("age not whole", {"age_years": 42.5}, [("age_years", "wrong_type")]),
    ("age as text", {"age_years": "forty"}, [("age_years", "wrong_type")]),
    ("age as boolean", {"age_years": True}, [("age_years", "wrong_type")]),
    ("BP as text", {"bp_systolic": "120"}, [("bp_systolic", "wrong_type")]),
    ("BP as boolean", {"bp_systolic": True}, [("bp_systolic", "wrong_type")]),
    ("BP not finite", {"bp_systolic": math.inf}, [("bp_systolic", "not_finite")]),
    ("weight NaN", {"weight_kg": math.nan}, [("weight_kg", "not_finite")]),
    ("choice not listed", {"cssrs_risk": "severe"}, [("cssrs_risk", "not_a_choice")]),
    ("choice wrong type", {"product": 1}, [("product", "not_a_choice")]),
    (
        "hepatic not listed",
        {"history.hepatic_impairment": "child-pugh c"},
        [("history.hepatic_impairment", "not_a_choice")],
    ),
    ("PHQ-9 item 9 above 3", {"phq9_item9": 4}, [("phq9_item9", "out_of_range")]),
    ("PHQ-9 item 9 negative", {"phq9_item9": -1}, [("phq9_item9", "out_of_range")]),
    ("history not an object", {"history": [True]}, [("history", "wrong_type")]),
    ("allergies not an object", {"allergies": "ketamine"}, [("allergies", "wrong_type")]),
    ("medications not a list", {"medications": {"classes": ["opioid"]}}, [("medications", "wrong_type")]),
    ("medication not an object", {"medications": ["sertraline"]}, [("medications[0]", "wrong_type")]),
    (
        "medication unknown key",
        {"medications": [{"classes": ["other"], "dose": 5}]},
        [("medications[0].dose", "unknown_key")],
    ),
    (
        "medication name not text",
        {"medications": [{"classes": ["other"], "name": 5}]},
        [("medications[0].name", "wrong_type")],
    ),
    (
        "medication without classes",
        {"medications": [{"name": "x"}]},
        [("medications[0].classes", "not_a_choice")],
    ),
    (
        "medication empty classes",
        {"medications": [{"classes": []}]},
        [("medications[0].classes", "not_a_choice")],
    ),
    (
        "medication unknown class",
        {"medications": [{"classes": ["ssri"]}]},
        [("medications[0].classes", "not_a_choice")],
    ),
    (
        "medication classes not a list",
        {"medications": [{"classes": "opioid"}]},
        [("medications[0].classes", "not_a_choice")],
    ),
    (
        "dose on a non-benzodiazepine",
        {"medications": [{"classes": ["opioid"], "diazepam_equivalent_mg_per_day": 5}]},
        [("medications[0].diazepam_equivalent_mg_per_day", "not_applicable")],
    ),
    (
        "negative benzodiazepine dose",
        {"medications": [{"classes": ["benzodiazepine"], "diazepam_equivalent_mg_per_day": -2}]},
        [("medications[0].diazepam_equivalent_mg_per_day", "out_of_range")],
    ),
    (
        "benzodiazepine dose as text",
        {"medications": [{"classes": ["benzodiazepine"], "diazepam_equivalent_mg_per_day": "10mg"}]},
        [("medications[0].diazepam_equivalent_mg_per_day", "wrong_type")],
    ),
    (
        "several problems at once",
        {"sex_at_birth": "male", "lactating": True, "weight_kg": 0, "x": 1},
        [("lactating", "inconsistent"), ("weight_kg", "implausible"), ("x", "unknown_key")],
    ),
]


@pytest.mark.parametrize(("case", "changes", "expected"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refusals_name_the_field(
    ruleset: RuleSet, case: str, changes: dict[str, object], expected: list[tuple[str, str]]
) -> None:
    assert sorted(refused(ruleset, patch(baseline(), changes))) == sorted(expected), case


@pytest.mark.parametrize("doc", [[1, 2], "facts", None, 3])
def test_a_document_that_is_not_an_object(ruleset: RuleSet, doc: object) -> None:
    assert refused(ruleset, doc) == [("facts", "wrong_type")]


def test_error_messages_name_the_field_and_the_bounds(ruleset: RuleSet) -> None:
    with pytest.raises(FactsError) as caught:
        validate_facts(patch(baseline(), {"bp_systolic": 400}), ruleset.bounds)
    (error,) = caught.value.errors
    assert error.to_dict() == {"field": "bp_systolic", "code": "implausible", "message": error.message}
    assert error.message.startswith("bp_systolic: 400 mmHg is outside the plausible range 60..300 mmHg")


def test_bounds_are_data_not_code(ruleset: RuleSet) -> None:
    doc = patch(baseline(), {"bp_systolic": 400, "bp_diastolic": 20, "weight_kg": 0, "age_years": 121})
    # without the rule set's bounds only types and structure are checked
    assert validate_facts(doc).get("bp_systolic") == 400
    assert set(ruleset.bounds) == {"age_years", "bp_systolic", "bp_diastolic", "heart_rate", "weight_kg"}
    assert all(bound.note for bound in ruleset.bounds.values())
    # a clinic's wider bounds accept a value the default refuses
    assert (
        validate_facts(patch(baseline(), {"weight_kg": 450}), {"weight_kg": Bound(10, 650)}).get("weight_kg")
        == 450
    )


def test_null_and_absent_are_unknown_not_false(ruleset: RuleSet) -> None:
    doc = patch(
        baseline(), {"pregnant": None, "history": None, "allergies": {"ketamine": None}, "medications": None}
    )
    facts = validate_facts(doc, ruleset.bounds)
    assert not facts.known("pregnant") and facts.get("pregnant") is None
    assert not facts.known("history.psychosis")
    assert not facts.known("allergies.ketamine")
    assert not facts.known("medications.classes")
    assert facts.get("age_years") == 40
    assert validate_facts(patch(baseline(), {"pregnant": False}), ruleset.bounds).get("pregnant") is False


def test_medications_are_flattened(ruleset: RuleSet) -> None:
    doc = patch(
        baseline(),
        {
            "medications": [
                {"name": "clonazepam", "classes": ["benzodiazepine"], "diazepam_equivalent_mg_per_day": 10},
                {
                    "name": None,
                    "classes": ["benzodiazepine", "sedative_hypnotic"],
                    "diazepam_equivalent_mg_per_day": 2.5,
                },
                {"classes": ["opioid"], "diazepam_equivalent_mg_per_day": None},
            ]
        },
    )
    facts = validate_facts(doc, ruleset.bounds)
    assert facts.get("medications.classes") == frozenset({"benzodiazepine", "sedative_hypnotic", "opioid"})
    assert facts.get("medications.benzodiazepine_diazepam_equivalent_mg_per_day") == 12.5


def test_derived_facts_are_recorded(ruleset: RuleSet) -> None:
    facts = validate_facts({"sex_at_birth": "male", "pregnant": False}, ruleset.bounds)
    assert facts.get("pregnant") is False and facts.get("lactating") is False
    assert dict(facts.derived) == {"lactating": "false because sex_at_birth is male"}
    assert Facts({}).derived == {}


# -- the catalogue, FACTS.md and the JSON Schema agree ---------------------------------------------


def test_facts_md_documents_every_fact_and_class() -> None:
    text = (Path(facts_module.__file__).parent / "FACTS.md").read_text(encoding="utf-8")
    for name, spec in FACT_SPECS.items():
        assert f"| `{name}` | {spec.kind} |" in text, name
    for cls in MEDICATION_CLASSES:
        assert f"`{cls}`" in text, cls


def test_json_schema_describes_the_document(ruleset: RuleSet) -> None:
    schema = facts_json_schema(ruleset.bounds)
    props = schema["properties"]
    assert isinstance(props, dict)
    top = {s.name for s in FACT_SPECS.values() if s.section is None}
    assert set(props) == top | {"history", "allergies", "medications"}
    assert schema["additionalProperties"] is False
    assert props["bp_systolic"] == {
        "description": FACT_SPECS["bp_systolic"].description,
        "type": ["number", "null"],
        "minimum": 60,
        "maximum": 300,
        "x-unit": "mmHg",
    }
    assert props["phq9_item9"]["minimum"] == 0 and props["phq9_item9"]["maximum"] == 3
    assert props["pregnant"]["type"] == ["boolean", "null"]
    assert props["cssrs_risk"]["enum"] == ["none", "low", "moderate", "high", None]
    history = props["history"]["properties"]
    assert set(history) == {s.key for s in FACT_SPECS.values() if s.section == "history"}
    assert props["medications"]["items"]["properties"]["classes"]["items"]["enum"] == list(MEDICATION_CLASSES)
    plain = facts_json_schema()["properties"]
    assert "minimum" not in plain["bp_systolic"]  # type: ignore[index]
    assert plain["age_years"]["type"] == ["integer", "null"]  # type: ignore[index]
