"""Property tests: any valid facts document evaluates without an exception into a consistent
result, and removing a fact never makes the screening more reassuring."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kapstone.screening.engine import (
    CLEAR,
    CONTRAINDICATED_OUTCOME,
    FLAGGED,
    INSUFFICIENT,
    NEEDS_REVIEW,
    NO_FLAGS,
    OUTCOMES,
    RULE_OUTCOMES,
    Evaluation,
    evaluate,
)
from kapstone.screening.facts import FACT_SPECS, MEDICATION_CLASSES, FactSpec
from kapstone.screening.ruleset import Always, RuleSet, default_ruleset

RULESET = default_ruleset()
BOUNDS = RULESET.bounds
SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _value(spec: FactSpec) -> st.SearchStrategy[Any]:
    if spec.kind == "boolean":
        return st.booleans()
    if spec.kind == "choice":
        return st.sampled_from(spec.choices)
    bound = BOUNDS.get(spec.name)
    low = bound.min if bound else spec.minimum
    high = bound.max if bound else spec.maximum
    if spec.kind == "integer":
        return st.integers(int(low), int(high))  # type: ignore[arg-type]
    return st.integers(int(low), int(high)) | st.floats(low, high, allow_nan=False)  # type: ignore[arg-type]


_TOP = [s for s in FACT_SPECS.values() if s.section is None and s.name not in ("bp_systolic", "bp_diastolic")]
_SECTIONS = {name: [s for s in FACT_SPECS.values() if s.section == name] for name in ("history", "allergies")}

medication = st.fixed_dictionaries(
    {"classes": st.lists(st.sampled_from(MEDICATION_CLASSES), min_size=1, max_size=3, unique=True)},
    optional={"name": st.text(max_size=10)},
)


@st.composite
def medications(draw: st.DrawFn) -> list[dict[str, Any]]:
    entries = draw(st.lists(medication, max_size=4))
    for entry in entries:
        if "benzodiazepine" in entry["classes"] and draw(st.booleans()):
            entry["diazepam_equivalent_mg_per_day"] = draw(
                st.floats(0, 60, allow_nan=False) | st.integers(0, 60)
            )
    return entries


@st.composite
def fact_documents(draw: st.DrawFn) -> dict[str, Any]:
    """Valid documents: any subset of facts (each present, null or absent), consistent with the
    cross-field rules and within the default rule set's bounds."""
    doc: dict[str, Any] = {}
    for spec in _TOP:
        choice = draw(st.sampled_from(("absent", "null", "value", "value")))
        if choice == "null":
            doc[spec.name] = None
        elif choice == "value":
            doc[spec.name] = draw(_value(spec))
    if doc.get("sex_at_birth") == "male":
        for name in ("pregnant", "lactating"):
            if doc.get(name) is True:
                doc[name] = draw(st.sampled_from((False, None)))
    systolic_bound, diastolic_bound = BOUNDS["bp_systolic"], BOUNDS["bp_diastolic"]
    if draw(st.booleans()):
        doc["bp_systolic"] = draw(st.integers(int(systolic_bound.min), int(systolic_bound.max)))
    if draw(st.booleans()):
        ceiling = min(diastolic_bound.max, doc.get("bp_systolic", 1000) - 1)
        doc["bp_diastolic"] = draw(st.floats(diastolic_bound.min, ceiling, allow_nan=False))
    for section, specs in _SECTIONS.items():
        mode = draw(st.sampled_from(("absent", "null", "object", "object")))
        if mode == "null":
            doc[section] = None
        elif mode == "object":
            chosen = draw(st.lists(st.sampled_from(specs), unique=True))
            doc[section] = {s.key: draw(_value(s) | st.none()) for s in chosen}
    mode = draw(st.sampled_from(("absent", "null", "list", "list")))
    if mode == "null":
        doc["medications"] = None
    elif mode == "list":
        doc["medications"] = draw(medications())
    return doc


@st.composite
def overrides(draw: st.DrawFn) -> dict[str, Any]:
    chosen: dict[str, Any] = {}
    for name, setting in RULESET.settings.items():
        if draw(st.booleans()):
            low, high = setting.min, setting.max
            if setting.type == "integer":
                chosen[name] = draw(st.integers(int(low), int(high)))  # type: ignore[arg-type]
            else:
                chosen[name] = draw(st.floats(low, high, allow_nan=False))
    return chosen


def removable(doc: dict[str, Any]) -> list[tuple[str, ...]]:
    """Every place a known fact can be taken out of a document."""
    places: list[tuple[str, ...]] = [(k,) for k in doc]
    for section in ("history", "allergies"):
        if isinstance(doc.get(section), dict):
            places += [(section, k) for k in doc[section]]
    for i, entry in enumerate(doc.get("medications") or []):
        if "diazepam_equivalent_mg_per_day" in entry:
            places.append(("medications", str(i), "diazepam_equivalent_mg_per_day"))
    return places


def without(doc: dict[str, Any], place: tuple[str, ...]) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    if len(place) == 1:
        del out[place[0]]
    elif len(place) == 2:
        del out[place[0]][place[1]]
    else:
        del out["medications"][int(place[1])][place[2]]
    return out


def check_consistent(ruleset: RuleSet, evaluation: Evaluation) -> None:
    assert evaluation.outcome in OUTCOMES
    assert len(evaluation.rules) + len(evaluation.checklist) == len(ruleset.rules)
    for result, rule in zip(
        (*evaluation.rules, *evaluation.checklist),
        [r for r in ruleset.rules if r.level != "clinic_policy"]
        + [r for r in ruleset.rules if r.level == "clinic_policy"],
        strict=True,
    ):
        assert result.id == rule.id and result.outcome in RULE_OUTCOMES
        unknown = tuple(f for f in rule.facts if result.facts[f] is None)
        if result.outcome == INSUFFICIENT:
            assert result.missing_facts == unknown and unknown
            assert result.rationale == "insufficient information: " + ", ".join(unknown)
        if rule.facts and len(unknown) == len(rule.facts):
            assert result.outcome == INSUFFICIENT  # nothing known: never clear, never flagged
        if isinstance(rule.when, Always):
            assert result.outcome == FLAGGED
    outcomes = {(r.level, r.outcome) for r in evaluation.rules}
    if ("contraindicated", FLAGGED) in outcomes:
        expected = CONTRAINDICATED_OUTCOME
    elif any(o == INSUFFICIENT for _, o in outcomes):
        expected = INSUFFICIENT
    elif ("prescriber_judgement", FLAGGED) in outcomes:
        expected = NEEDS_REVIEW
    else:
        expected = NO_FLAGS
    assert evaluation.outcome == expected
    json.dumps(evaluation.to_dict())


@SETTINGS
@given(doc=fact_documents(), chosen=overrides())
def test_valid_fact_sets_always_evaluate(doc: dict[str, Any], chosen: dict[str, Any]) -> None:
    check_consistent(RULESET, evaluate(RULESET, doc, chosen))


_RANK = {NO_FLAGS: 0, NEEDS_REVIEW: 1, INSUFFICIENT: 2, CONTRAINDICATED_OUTCOME: 3}


@SETTINGS
@given(doc=fact_documents(), data=st.data())
def test_removing_a_fact_never_turns_a_rule_clear(doc: dict[str, Any], data: st.DataObject) -> None:
    places = removable(doc)
    if not places:
        return
    place = data.draw(st.sampled_from(places))
    before = evaluate(RULESET, doc)
    after = evaluate(RULESET, without(doc, place))
    for old, new in zip((*before.rules, *before.checklist), (*after.rules, *after.checklist), strict=True):
        if old.outcome in (FLAGGED, INSUFFICIENT):
            assert new.outcome != CLEAR, (old.id, place)
        if new.outcome == FLAGGED:
            assert old.outcome == FLAGGED, (old.id, place)  # no flag appears from less information
        if new.outcome == CLEAR:
            assert old.outcome == CLEAR, (old.id, place)
    # and the overall result never becomes more reassuring than "insufficient information"
    if before.outcome != NO_FLAGS:
        assert after.outcome != NO_FLAGS
    if before.outcome == CONTRAINDICATED_OUTCOME:
        assert after.outcome in (CONTRAINDICATED_OUTCOME, INSUFFICIENT)
    if after.outcome != before.outcome:
        assert after.outcome == INSUFFICIENT or _RANK[after.outcome] >= _RANK[before.outcome]
