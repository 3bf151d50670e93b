"""Loading rule sets: the shipped file's content, and every refusal naming the file, the line
(TOML syntax) or the rule id (semantics)."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kapstone.screening.ruleset import (
    CLINIC_POLICY,
    DEFAULT_RULESET,
    AllOf,
    Always,
    AnyOf,
    Compare,
    Contains,
    OneOf,
    RuleSet,
    RuleSetError,
    SettingRef,
    condition_facts,
    condition_settings,
    default_ruleset,
    describe,
    format_value,
    load_ruleset,
    parse_ruleset,
)

# -- the shipped rule set -------------------------------------------------------------------------


def test_default_ruleset_metadata(ruleset: RuleSet) -> None:
    assert ruleset.id == "kapstone-default"
    assert ruleset.version == "1.1.0"
    assert isinstance(ruleset.effective, dt.date)
    assert ruleset.path == str(DEFAULT_RULESET)
    assert default_ruleset() is ruleset  # loaded once
    for key in ("L1", "L2", "K3", "K5", "G8", "D4", "I-PHQ-e", "I-CSSRS-a"):
        assert key in ruleset.sources


def test_levels_follow_the_reference(ruleset: RuleSet) -> None:
    by_level: dict[str, set[str]] = {}
    for rule in ruleset.rules:
        by_level.setdefault(rule.level, set()).add(rule.id)
    # label contraindications are hard stops ...
    assert {
        "ketamine_hypersensitivity",
        "aneurysmal_vascular_disease_or_avm",
        "intracerebral_hemorrhage_history",
        "cssrs_high_risk",
        "under_minimum_age",
    } <= by_level["contraindicated"]
    # ... while the SPRAVATO BP guide, psychosis, SUD, moderate hepatic impairment, pregnancy,
    # lactation, benzodiazepines and stimulants/MAOIs are judgement (clinical.md §1.8)
    assert {
        "bp_above_review_threshold",
        "psychosis_history",
        "substance_use_disorder",
        "hepatic_impairment",
        "pregnancy",
        "lactation",
        "benzodiazepine_above_threshold",
        "stimulant_or_maoi_use",
        "hypertensive_encephalopathy_history",
        "phq9_item9_positive",
        "cssrs_moderate_risk",
    } <= by_level["prescriber_judgement"]
    assert {"fasting", "escort_home", "no_driving", "medication_holds"} <= by_level[CLINIC_POLICY]


def test_unconfirmed_and_conflicting_thresholds_are_settings(ruleset: RuleSet) -> None:
    expected = {
        "bp_review_systolic_mmhg": (140, "CONFLICT"),
        "bp_review_diastolic_mmhg": (90, "CONFLICT"),
        "bp_hold_systolic_mmhg": (180, "foreign-label"),
        "bp_hold_diastolic_mmhg": (100, "foreign-label"),
        "benzodiazepine_max_diazepam_eq_mg_per_day": (8, "CONFLICT"),
        "heart_rate_review_bpm": (110, "UNCONFIRMED"),
        "upper_age_review_years": (65, "UNCONFIRMED"),
        "phq9_item9_review_min": (1, "design-choice"),
        "fasting_food_hours": (2, "CONFLICT"),
        "fasting_liquids_hours": (0.5, "CONFLICT"),
        "no_driving_hours": (24, "CONFLICT"),
        "medication_hold_hours": (24, "clinic-policy"),
        "breastfeeding_pause_hours": (24, "CONFLICT"),
    }
    assert {n: (s.default, s.status) for n, s in ruleset.settings.items()} == expected
    assert all(s.note and s.source for s in ruleset.settings.values())
    assert "G8" in ruleset.settings["benzodiazepine_max_diazepam_eq_mg_per_day"].source


def test_every_rule_cites_and_explains(ruleset: RuleSet) -> None:
    for rule in ruleset.rules:
        assert rule.source and rule.rationale and rule.title, rule.id
        assert all(key in ruleset.sources for key in rule.source), rule.id


def test_ruleset_to_dict(ruleset: RuleSet) -> None:
    data = ruleset.to_dict()
    assert data["id"] == "kapstone-default" and data["effective"] == ruleset.effective.isoformat()
    assert data["settings"]["benzodiazepine_max_diazepam_eq_mg_per_day"]["default"] == 8  # type: ignore[index]
    assert data["fact_bounds"]["bp_systolic"] == {"min": 60, "max": 300}  # type: ignore[index]
    rules = data["rules"]
    assert isinstance(rules, list) and len(rules) == len(ruleset.rules)
    assert rules[0]["when"] == "(allergies.ketamine == true) or (allergies.esketamine == true)"
    assert ruleset.sources["L1"].grade == "P"


def test_rule_lookup(ruleset: RuleSet) -> None:
    assert ruleset.rule("pregnancy").level == "prescriber_judgement"
    with pytest.raises(KeyError):
        ruleset.rule("nope")


# -- the language helpers ---------------------------------------------------------------------------


def test_describe_and_helpers() -> None:
    cond = AllOf(
        (
            Compare("bp_systolic", ">", SettingRef("s")),
            AnyOf((OneOf("cssrs_risk", ("moderate", "high")), Contains("medications.classes", ("maoi",)))),
            Compare("pregnant", "==", False),
            Compare("weight_kg", ">", 1.5),
        )
    )
    assert describe(cond) == (
        "(bp_systolic > setting s) and ((cssrs_risk in [high, moderate]) or "
        "(medications.classes contains any of [maoi])) and (pregnant == false) "
        "and (weight_kg > 1.5)"
    )
    assert describe(cond, {"s": 150}).startswith("(bp_systolic > 150 (setting s))")
    assert describe(Always()) == "always"
    assert condition_facts(cond) == (
        "bp_systolic",
        "cssrs_risk",
        "medications.classes",
        "pregnant",
        "weight_kg",
    )
    assert condition_facts(AnyOf((Compare("age_years", "<", 1), Compare("age_years", ">", 9)))) == (
        "age_years",
    )
    assert condition_facts(Always()) == ()
    assert condition_settings(cond) == {"s"}
    assert condition_settings(Always()) == set()
    assert format_value(True) == "true"
    assert format_value(frozenset({"b", "a"})) == "[a, b]"
    assert format_value(3) == "3"


# -- refusals: files ----------------------------------------------------------------------------------


def _write(tmp_path: Path, text: str | bytes, name: str = "rules.toml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_malformed_toml_names_the_file_and_the_line(tmp_path: Path) -> None:
    text = DEFAULT_RULESET.read_text(encoding="utf-8").splitlines()
    line = next(i for i, t in enumerate(text) if t.startswith('id = "intracerebral_hemorrhage_history"'))
    text[line] = 'id = "intracerebral_hemorrhage_history'  # unterminated string
    path = _write(tmp_path, "\n".join(text) + "\n")
    with pytest.raises(RuleSetError) as caught:
        load_ruleset(path)
    assert caught.value.line == line + 1
    assert caught.value.source == str(path)
    assert str(caught.value).startswith(f"{path}, line {line + 1}: TOML syntax error")


def test_toml_error_at_end_of_document_names_the_last_line(tmp_path: Path) -> None:
    path = _write(tmp_path, 'format = 1\nid = "x"\nversion = ')
    with pytest.raises(RuleSetError) as caught:
        load_ruleset(path)
    assert caught.value.line == 3


def test_missing_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(RuleSetError, match="cannot read the file"):
        load_ruleset(tmp_path / "absent.toml")
    with pytest.raises(RuleSetError, match="not UTF-8"):
        load_ruleset(_write(tmp_path, b"title = '\xff'\n"))


def test_a_copied_default_file_loads(tmp_path: Path) -> None:
    path = _write(tmp_path, DEFAULT_RULESET.read_text(encoding="utf-8"))
    assert len(load_ruleset(path).rules) == len(default_ruleset().rules)


def test_unknown_fact_in_a_file_names_the_rule(tmp_path: Path) -> None:
    text = DEFAULT_RULESET.read_text(encoding="utf-8").replace(
        'when = { fact = "history.seizure", op = "==", value = true }',
        'when = { fact = "history.seizures", op = "==", value = true }',
    )
    with pytest.raises(RuleSetError) as caught:
        load_ruleset(_write(tmp_path, text))
    assert caught.value.rule == "seizure_history"
    assert "unknown fact 'history.seizures'" in str(caught.value)
    assert "rule 'seizure_history'" in str(caught.value)


# -- refusals: semantics (table over a minimal valid document) -----------------------------------------


def minimal() -> dict[str, Any]:
    return {
        "format": 1,
        "id": "test-rules",
        "version": "1.0",
        "title": "Test",
        "effective": dt.date(2026, 1, 1),
        "description": "d",
        "reference": "r",
        "sources": [{"key": "L1", "citation": "label", "grade": "P", "url": "u", "note": "n"}],
        "settings": {
            "thr": {
                "type": "number",
                "default": 140,
                "label": "l",
                "min": 100,
                "max": 200,
                "unit": "mmHg",
                "status": "CONFLICT",
                "note": "n",
                "source": ["L1"],
            }
        },
        "fact_bounds": {"bp_systolic": {"min": 60, "max": 300, "note": "n"}},
        "rules": [
            {
                "id": "r1",
                "level": "prescriber_judgement",
                "title": "t {thr}",
                "facts": ["bp_systolic"],
                "when": {"fact": "bp_systolic", "op": ">", "value": {"setting": "thr"}},
                "rationale": "above {thr}",
                "source": ["L1"],
                "note": "n",
            },
            {
                "id": "r2",
                "level": "clinic_policy",
                "title": "t",
                "facts": [],
                "when": True,
                "rationale": "r",
                "source": ["L1"],
            },
        ],
    }


def _rule(doc: dict[str, Any], **changes: Any) -> None:
    doc["rules"][0].update(changes)


def _when(cond: object, facts: list[str]) -> Callable[[dict[str, Any]], None]:
    return lambda d: _rule(d, when=cond, facts=facts)


def _set(path: str, value: object) -> Callable[[dict[str, Any]], None]:
    def mutate(doc: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        node: Any = doc
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[last] = value

    return mutate


def _drop(path: str) -> Callable[[dict[str, Any]], None]:
    def mutate(doc: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        node: Any = doc
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        del node[last]

    return mutate


FACT = {"fact": "bp_systolic", "op": ">", "value": 1}

# (case, mutation, expected rule id or None, fragment of the message)
SEMANTIC = [
    ("format missing", _drop("format"), None, "format: required key is missing"),
    ("format 2", _set("format", 2), None, "format: expected 1"),
    ("format true", _set("format", True), None, "format: expected 1"),
    ("bad id", _set("id", "Test Rules"), None, "id: 'Test Rules' is not a valid id"),
    ("empty title", _set("title", " "), None, "title: expected a non-empty string"),
    ("bad version", _set("version", "v1"), None, "version: 'v1' is not a version"),
    ("effective text", _set("effective", "2026-01-01"), None, "effective: expected a TOML date"),
    (
        "effective datetime",
        _set("effective", dt.datetime(2026, 1, 1, tzinfo=dt.UTC)),
        None,
        "effective: expected a TOML date",
    ),
    ("unknown top key", _set("colour", "red"), None, "unknown key(s): colour"),
    ("no sources", _set("sources", []), None, "sources: list at least one [[sources]] entry"),
    ("sources not a list", _set("sources", {"key": "L1"}), None, "sources: expected an array of tables"),
    ("source not a table", _set("sources", ["L1"]), None, "sources[0]: expected a table"),
    ("bad source key", _set("sources/0/key", "L 1"), None, "is not a citation key"),
    ("duplicate source", lambda d: d["sources"].append(dict(d["sources"][0])), None, "listed twice"),
    ("bad grade", _set("sources/0/grade", "A"), None, "grade: 'A' is not one of P, S, G"),
    ("unknown source key", _set("sources/0/colour", 1), None, "sources[0]: unknown key(s): colour"),
    ("settings not a table", _set("settings", []), None, "settings: expected a table"),
    ("setting not a table", _set("settings/thr", 5), None, "settings.thr: expected a table"),
    (
        "bad setting name",
        lambda d: d["settings"].update({"Bad": d["settings"].pop("thr")}),
        None,
        "settings.Bad: a setting name",
    ),
    (
        "setting type",
        _set("settings/thr/type", "text"),
        None,
        "settings.thr.type: expected one of integer, number",
    ),
    ("setting min above max", _set("settings/thr/min", 300), None, "settings.thr.max: is below min"),
    ("setting min not a number", _set("settings/thr/min", "1"), None, "settings.thr.min: expected a number"),
    ("setting status", _set("settings/thr/status", "maybe"), None, "settings.thr.status: expected one of"),
    (
        "setting default out of range",
        _set("settings/thr/default", 99),
        None,
        "settings.thr.default: expected at least 100",
    ),
    ("setting default missing", _drop("settings/thr/default"), None, "settings.thr.default: required key"),
    (
        "setting integer default float",
        lambda d: d["settings"]["thr"].update(type="integer", default=140.5),
        None,
        "settings.thr.default: expected a whole number",
    ),
    (
        "setting no source",
        _set("settings/thr/source", []),
        None,
        "settings.thr.source: cite at least one source",
    ),
    ("setting unknown source", _set("settings/thr/source", ["Z9"]), None, "source 'Z9' is not listed"),
    ("setting source repeated", _set("settings/thr/source", ["L1", "L1"]), None, "contains a repeated entry"),
    (
        "setting source not strings",
        _set("settings/thr/source", "L1"),
        None,
        "expected an array of non-empty strings",
    ),
    ("setting unknown key", _set("settings/thr/colour", 1), None, "settings.thr: unknown key(s): colour"),
    (
        "setting unused",
        lambda d: d["settings"].update(other=dict(d["settings"]["thr"])),
        None,
        "settings.other: not used by any rule",
    ),
    (
        "bounds not boundable",
        _set("fact_bounds/phq9_item9", {"min": 0, "max": 3}),
        None,
        "fact_bounds.phq9_item9: bounds may be given only for",
    ),
    ("bounds unknown fact", _set("fact_bounds/bp", {"min": 0, "max": 3}), None, "fact_bounds.bp: bounds"),
    (
        "bounds inverted",
        _set("fact_bounds/bp_systolic/min", 300),
        None,
        "fact_bounds.bp_systolic.max: must be above",
    ),
    ("bounds unknown key", _set("fact_bounds/bp_systolic/colour", 1), None, "unknown key(s): colour"),
    ("no rules", _set("rules", []), None, "rules: define at least one rule"),
    ("rule id missing", _drop("rules/0/id"), None, "rules[0].id: required key is missing"),
    ("rule bad id", _set("rules/0/id", "R1"), None, "rules[0].id: 'R1' is not a valid id"),
    ("duplicate rule id", _set("rules/1/id", "r1"), "r1", "rule id is used twice"),
    ("rule bad level", _set("rules/0/level", "warning"), "r1", "level: expected one of"),
    ("rule unknown key", _set("rules/0/colour", 1), "r1", "unknown key(s): colour"),
    ("rule no rationale", _drop("rules/0/rationale"), "r1", "rationale: required key is missing"),
    ("rule no source", _set("rules/0/source", []), "r1", "source: cite at least one source"),
    ("rule facts missing", _drop("rules/0/facts"), "r1", "facts: required key is missing"),
    ("rule facts mismatch", _set("rules/0/facts", ["bp_diastolic"]), "r1", "facts: must list exactly"),
    (
        "rule facts too many",
        _set("rules/0/facts", ["bp_systolic", "age_years"]),
        "r1",
        "facts: must list exactly the facts the condition reads: bp_systolic",
    ),
    ("rule facts unknown name", _set("rules/0/facts", ["bp"]), "r1", "facts: unknown fact 'bp'"),
    ("always facts listed", _set("rules/1/facts", ["age_years"]), "r2", "reads: (none)"),
    (
        "placeholder unknown",
        _set("rules/0/rationale", "above {nope}"),
        "r1",
        "placeholder {nope} does not name",
    ),
    ("placeholder in title", _set("rules/0/title", "{x y}"), "r1", "title: placeholder {x y}"),
    (
        "always on a contraindication",
        _set("rules/1/level", "contraindicated"),
        "r2",
        "only a clinic_policy item may always apply",
    ),
    ("when false", _when(False, []), "r1", "when: expected a condition table"),
    ("nested true", _when({"all": [True]}, []), "r1", "when.all[0]: expected a condition table"),
    ("all with extra key", _when({"all": [FACT], "fact": "x"}, []), "r1", "takes no other key"),
    ("any empty", _when({"any": []}, []), "r1", "any: expected a non-empty array"),
    ("all not a list", _when({"all": FACT}, []), "r1", "all: expected a non-empty array"),
    ("no fact key", _when({"item": "x"}, []), "r1", "expected a fact test"),
    ("unknown fact", _when({"fact": "bp", "op": ">", "value": 1}, []), "r1", "unknown fact 'bp'"),
    ("fact not a string", _when({"fact": 3, "op": ">", "value": 1}, []), "r1", "unknown fact 3"),
    (
        "bad op",
        _when({"fact": "bp_systolic", "op": "=>", "value": 1}, ["bp_systolic"]),
        "r1",
        "op: expected one of",
    ),
    ("missing value", _when({"fact": "bp_systolic", "op": ">"}, ["bp_systolic"]), "r1", "a fact test is"),
    (
        "in and op",
        _when({"fact": "cssrs_risk", "in": ["high"], "op": "=="}, ["cssrs_risk"]),
        "r1",
        "a fact test is",
    ),
    (
        "number vs text",
        _when({"fact": "bp_systolic", "op": ">", "value": "140"}, ["bp_systolic"]),
        "r1",
        "bp_systolic is numeric",
    ),
    (
        "number vs bool",
        _when({"fact": "bp_systolic", "op": ">", "value": True}, ["bp_systolic"]),
        "r1",
        "bp_systolic is numeric",
    ),
    (
        "setting ref bad keys",
        _when({"fact": "bp_systolic", "op": ">", "value": {"option": "thr"}}, ["bp_systolic"]),
        "r1",
        "value: expected a number or { setting",
    ),
    (
        "setting ref unknown",
        _when({"fact": "bp_systolic", "op": ">", "value": {"setting": "nope"}}, ["bp_systolic"]),
        "r1",
        "setting 'nope' is not defined",
    ),
    (
        "bool vs number",
        _when({"fact": "pregnant", "op": "==", "value": 1}, ["pregnant"]),
        "r1",
        "pregnant is true/false",
    ),
    (
        "bool ordering",
        _when({"fact": "pregnant", "op": ">", "value": True}, ["pregnant"]),
        "r1",
        "op: pregnant is boolean; use == or !=",
    ),
    (
        "choice bad value",
        _when({"fact": "cssrs_risk", "op": "==", "value": "severe"}, ["cssrs_risk"]),
        "r1",
        "value: expected one of none, low, moderate, high",
    ),
    (
        "set compared",
        _when({"fact": "medications.classes", "op": "==", "value": "maoi"}, ["medications.classes"]),
        "r1",
        "is a set: test it with contains",
    ),
    (
        "in on a number",
        _when({"fact": "age_years", "in": ["1"]}, ["age_years"]),
        "r1",
        "'in' tests a choice fact",
    ),
    (
        "in bad values",
        _when({"fact": "cssrs_risk", "in": ["severe"]}, ["cssrs_risk"]),
        "r1",
        "in: expected a non-empty array drawn from",
    ),
    (
        "in not a list",
        _when({"fact": "cssrs_risk", "in": "high"}, ["cssrs_risk"]),
        "r1",
        "in: expected a non-empty",
    ),
    ("in empty", _when({"fact": "cssrs_risk", "in": []}, ["cssrs_risk"]), "r1", "in: expected a non-empty"),
    (
        "contains on a choice",
        _when({"fact": "cssrs_risk", "contains": "high"}, ["cssrs_risk"]),
        "r1",
        "'contains' tests a set fact",
    ),
    (
        "contains bad class",
        _when({"fact": "medications.classes", "contains": "ssri"}, ["medications.classes"]),
        "r1",
        "contains: expected values drawn from",
    ),
    (
        "contains_any not a list",
        _when({"fact": "medications.classes", "contains_any": "maoi"}, ["medications.classes"]),
        "r1",
        "contains: expected values",
    ),
    (
        "contains_any empty",
        _when({"fact": "medications.classes", "contains_any": []}, ["medications.classes"]),
        "r1",
        "contains: expected values",
    ),
    (
        "contains and contains_any",
        _when(
            {"fact": "medications.classes", "contains": "maoi", "contains_any": ["maoi"]},
            ["medications.classes"],
        ),
        "r1",
        "a fact test is",
    ),
]


@pytest.mark.parametrize(("case", "mutate", "rule", "fragment"), SEMANTIC, ids=[s[0] for s in SEMANTIC])
def test_semantic_errors_are_refused(
    case: str, mutate: Callable[[dict[str, Any]], None], rule: str | None, fragment: str
) -> None:
    doc = minimal()
    mutate(doc)
    with pytest.raises(RuleSetError) as caught:
        parse_ruleset(doc, "clinic.toml")
    assert caught.value.rule == rule, case
    assert fragment in str(caught.value), str(caught.value)
    assert str(caught.value).startswith("clinic.toml")
    assert caught.value.line is None


def test_the_minimal_document_and_every_condition_form_load() -> None:
    doc = minimal()
    doc["rules"].append(
        {
            "id": "r3",
            "level": "contraindicated",
            "title": "t",
            "source": ["L1"],
            "rationale": "r",
            "facts": ["cssrs_risk", "medications.classes", "pregnant", "age_years", "sex_at_birth"],
            "when": {
                "any": [
                    {"fact": "cssrs_risk", "in": ["high"]},
                    {"fact": "medications.classes", "contains": "maoi"},
                    {
                        "all": [
                            {"fact": "pregnant", "op": "!=", "value": False},
                            {"fact": "age_years", "op": "<=", "value": 17},
                            {"fact": "sex_at_birth", "op": "==", "value": "female"},
                        ]
                    },
                ]
            },
        }
    )
    ruleset = parse_ruleset(doc)
    assert ruleset.path == "<ruleset>"
    assert ruleset.description == "d"
    r3 = ruleset.rule("r3").when
    assert isinstance(r3, AnyOf)
    assert r3.parts[1] == Contains("medications.classes", ("maoi",))
    assert ruleset.rule("r1").facts == ("bp_systolic",)
    assert isinstance(ruleset.rule("r2").when, Always)


def test_optional_sections_may_be_left_out() -> None:
    doc = minimal()
    for key in ("settings", "fact_bounds", "description", "reference"):
        del doc[key]
    doc["rules"][0].update(title="t", rationale="r", when=copy.deepcopy(FACT))
    ruleset = parse_ruleset(doc)
    assert ruleset.settings == {} and ruleset.bounds == {} and ruleset.description is None
    assert ruleset.resolve_settings() == {}
