"""Protocol files: the shipped templates load and carry provenance for every number; malformed
files are refused naming the file and the line (syntax) or the field (meaning)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from care_core_helpers import IDS, raw, write

from kapstone.care.protocol_core import (
    SHIPPED_DIR,
    Protocol,
    ProtocolError,
    Registry,
    UnknownProtocolError,
    load_protocol,
    parse_protocol,
)
from kapstone.care.protocol_core.protocol import Provenance, Series, Value

# --- shipped templates ----------------------------------------------------------------------


def test_shipped_ids(registry: Registry) -> None:
    assert registry.ids() == sorted(IDS)
    assert [p.id for p in registry.all()] == sorted(IDS)
    assert len(registry) == 4 and "im_kap" in registry and "nope" not in registry


def _walk(obj: Any, path: str = "") -> list[tuple[str, Any]]:
    """Every Value / Series / Provenance-carrying object in a protocol."""
    found: list[tuple[str, Any]] = []
    if isinstance(obj, Value | Series):
        found.append((path, obj))
    elif isinstance(obj, tuple):
        for i, item in enumerate(obj):
            found += _walk(item, f"{path}[{i}]")
    elif hasattr(obj, "__dataclass_fields__") and not isinstance(obj, Provenance):
        for name in obj.__dataclass_fields__:
            found += _walk(getattr(obj, name), f"{path}.{name}")
    return found


@pytest.mark.parametrize("protocol_id", IDS)
def test_every_number_is_sourced_or_a_clinic_setting(registry: Registry, protocol_id: str) -> None:
    protocol = registry.get(protocol_id)
    values = _walk(protocol)
    assert len(values) > 20
    for path, value in values:
        prov = value.provenance
        assert prov.sources or (prov.clinic_setting and prov.note), path
        for ref in prov.sources:
            assert ref in protocol.sources, (path, ref)


@pytest.mark.parametrize("protocol_id", IDS)
def test_template_shape(registry: Registry, protocol_id: str) -> None:
    protocol = registry.get(protocol_id)
    assert protocol.version == "1.0.0" and protocol.version_key == (1, 0, 0)
    assert Path(protocol.path).parent == SHIPPED_DIR
    assert protocol.alerts and protocol.hypertensive_emergency.symptoms and protocol.discharge.items
    assert protocol.fasting.alternatives  # CONFLICT: the alternatives travel with the default
    assert protocol.fasting.food_hours.provenance.clinic_setting
    assert protocol.discharge.no_driving.provenance.clinic_setting
    assert protocol.discharge.no_driving.alternatives


def test_template_facts(registry: Registry) -> None:
    esk = registry.get("esketamine_spravato")
    assert (esk.route, esk.product) == ("intranasal", "esketamine")
    assert (
        esk.dose.max_mg is not None and esk.dose.max_mg.value == 84 and esk.dose.max_mg.level == "hard_stop"
    )
    assert esk.administration is not None and esk.administration.device_mg is not None
    assert esk.administration.device_mg.value == 28
    assert [s.id for s in esk.course.stages] == ["induction", "maintenance_weekly", "maintenance"]
    assert esk.discharge.min_observation_minutes.value == 120
    assert esk.monitoring.vitals.at_minutes is not None and esk.monitoring.vitals.at_minutes.values == (40,)
    guide = {lim.id: lim for lim in esk.pre_dose.vital_limits}["sbp_general_guide"]
    assert guide.value.value == 140 and guide.value.level == "warn_requires_justification"
    assert not esk.uses_weight
    iv = registry.get("iv_induction_series")
    assert iv.uses_weight and iv.course.sessions is not None and iv.course.sessions.value == 6
    assert iv.administration is not None and iv.administration.infusion_minutes is not None
    assert iv.tier("standard") is not None and iv.tier("nope") is None
    im = registry.get("im_kap")
    assert im.dose.max_mg_per_kg is not None and im.dose.max_mg_per_kg.provenance.clinic_setting
    assert "UNCONFIRMED" in (im.dose.max_mg_per_kg.provenance.note or "")
    sub = registry.get("sublingual_kap_series")
    assert sub.routes == ("sublingual", "buccal") and [t.id for t in sub.tiers] == [
        "psycholytic",
        "psychedelic",
    ]
    assert sub.administration is None
    assert im.route == "im" and sub.product == "racemic_ketamine"


def test_cite() -> None:
    assert Provenance(("L1", "L3"), False, None).cite() == "source: L1, L3"
    assert Provenance(("X11",), True, "n").cite() == "clinic setting, default from X11"
    assert Provenance((), True, "n").cite() == "clinic setting"
    assert Provenance((), True, "n").to_dict() == {"sources": [], "clinic_setting": True, "note": "n"}


# --- TOML syntax errors name the file and the line -----------------------------------------


def test_malformed_toml_names_the_line(tmp_path: Path) -> None:
    text = (SHIPPED_DIR / "esketamine_spravato.toml").read_text(encoding="utf-8")
    lines = text.splitlines()
    lines[11] = 'title = "unterminated'
    path = write(tmp_path, "broken.toml", "\n".join(lines))
    with pytest.raises(ProtocolError) as caught:
        load_protocol(path)
    assert caught.value.line == 12 and caught.value.source == str(path)
    assert str(caught.value).startswith(f"{path}, line 12: TOML syntax error")


def test_syntax_error_at_end_of_document(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError) as caught:
        load_protocol(write(tmp_path, "eof.toml", "a = "))
    assert "TOML syntax error" in str(caught.value)


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError, match="cannot read the file"):
        load_protocol(tmp_path / "missing.toml")
    path = tmp_path / "latin1.toml"
    path.write_bytes('title = "caf\xe9"'.encode("latin-1"))
    with pytest.raises(ProtocolError, match="not UTF-8"):
        load_protocol(path)


# --- errors of meaning name the field -------------------------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    def change(doc: dict[str, Any]) -> None:
        target: Any = doc
        parts = path.split(".")
        for part in parts[:-1]:
            target = target[int(part)] if isinstance(target, list) else target[part]
        last = parts[-1]
        if value is _DELETE:
            del target[last]
        elif isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return change


_DELETE = object()


def _delete(path: str) -> Mutation:
    return _set(path, _DELETE)


def _do(*changes: Mutation) -> Mutation:
    def change(doc: dict[str, Any]) -> None:
        for one in changes:
            one(doc)

    return change


def _dup(key: str, index: int = 0) -> Mutation:
    def change(doc: dict[str, Any]) -> None:
        target: Any = doc
        for part in key.split("."):
            target = target[part]
        target.append(dict(target[index]))

    return change


V = {"value": 1, "sources": ["L1"]}  # a valid value table for SPRAVATO

# (protocol, mutation, field in the error, words in the message)
ERRORS: list[tuple[str, Mutation, str, str]] = [
    ("esketamine_spravato", _set("format", 2), "format", "unsupported format 2"),
    ("esketamine_spravato", _set("kind", "rules"), "kind", "expected 'protocol'"),
    ("esketamine_spravato", _set("id", "Esk"), "id", "not a valid id"),
    ("esketamine_spravato", _set("version", "v1"), "version", "dotted version"),
    ("esketamine_spravato", _set("title", ""), "title", "non-empty string"),
    ("esketamine_spravato", _set("title", 5), "title", "non-empty string"),
    ("esketamine_spravato", _delete("formulation"), "formulation", "required key is missing"),
    ("esketamine_spravato", _set("route", "rectal"), "route", "not one of"),
    ("esketamine_spravato", _set("product", "arketamine"), "product", "not one of"),
    (
        "esketamine_spravato",
        _set("also_accepts_routes", ["intranasal"]),
        "also_accepts_routes",
        "another route",
    ),
    ("esketamine_spravato", _set("also_accepts_routes", ["x"]), "also_accepts_routes", "another route"),
    ("esketamine_spravato", _set("also_accepts_routes", "oral"), "also_accepts_routes", "array of non-empty"),
    ("esketamine_spravato", _set("also_accepts_routes", ["oral", "oral"]), "also_accepts_routes", "repeated"),
    ("esketamine_spravato", _set("extra_key", 1), "(top level)", "unknown key(s): extra_key"),
    ("esketamine_spravato", _set("sources", []), "sources", "list at least one [[sources]] entry"),
    ("esketamine_spravato", _set("sources", {"id": "L1"}), "sources", "array of tables"),
    ("esketamine_spravato", _set("sources.0.id", "1bad"), "sources[0].id", "not a valid source id"),
    ("esketamine_spravato", _set("sources.1.id", "L1"), "sources[1].id", "listed twice"),
    ("esketamine_spravato", _set("sources.0.grade", "A"), "sources[0].grade", "not one of"),
    ("esketamine_spravato", _set("dose", 5), "dose", "expected a table"),
    ("esketamine_spravato", _delete("dose"), "dose", "required key is missing"),
    ("esketamine_spravato", _set("dose.max_mg.sources", ["Z9"]), "dose.max_mg.sources", "not listed"),
    (
        "esketamine_spravato",
        _set("dose.max_mg.sources", []),
        "dose.max_mg.sources",
        "cite at least one source",
    ),
    (
        "esketamine_spravato",
        _set("dose.max_mg", {"value": 84, "clinic_setting": True}),
        "dose.max_mg.note",
        "needs a note",
    ),
    (
        "esketamine_spravato",
        _set("dose.max_mg.clinic_setting", "yes"),
        "dose.max_mg.clinic_setting",
        "true or false",
    ),
    ("esketamine_spravato", _set("dose.max_mg.level", "block"), "dose.max_mg.level", "not one of"),
    ("esketamine_spravato", _set("dose.max_mg.value", "84"), "dose.max_mg.value", "expected a number"),
    ("esketamine_spravato", _set("dose.max_mg.value", True), "dose.max_mg.value", "expected a number"),
    (
        "esketamine_spravato",
        _set("dose.max_mg.value", float("inf")),
        "dose.max_mg.value",
        "expected a number",
    ),
    ("esketamine_spravato", _set("dose.max_mg.value", 0), "dose.max_mg.value", "greater than 0"),
    ("esketamine_spravato", _set("dose.max_mg.why", "x"), "dose.max_mg", "unknown key(s): why"),
    ("esketamine_spravato", _set("dose.min_mg.value", 100), "dose.max_mg", "must not be below dose.min_mg"),
    ("esketamine_spravato", _do(_delete("dose.max_mg")), "dose", "give max_mg and/or max_mg_per_kg"),
    ("esketamine_spravato", _delete("dose.per_session_max_mg"), "dose", "per_session_max_mg"),
    (
        "esketamine_spravato",
        _set("administration.device_mg.level", "hard_stop"),
        "administration.device_mg",
        "unknown key(s): level",
    ),
    ("im_kap", _set("dose.min_mg_per_kg.value", 2), "dose.max_mg_per_kg", "must not be below"),
    ("im_kap", _set("dose_tiers.0", {"id": "x", "label": "X"}), "dose_tiers[0]", "at least one of"),
    (
        "im_kap",
        _set("dose_tiers.0.min_mg_per_kg.value", 0.9),
        "dose_tiers[0].max_mg_per_kg",
        "must not be below",
    ),
    ("im_kap", _set("dose_tiers.1.id", "psycholytic"), "dose_tiers", "used twice"),
    ("im_kap", _set("dose_tiers.0.id", "Psycho"), "dose_tiers[0].id", "not a valid id"),
    ("esketamine_spravato", _set("dose_rules.0.dose_mg", -84), "dose_rules[0]", "greater than 0"),
    ("esketamine_spravato", _dup("dose_rules"), "dose_rules", "used twice"),
    ("esketamine_spravato", _delete("dose_rules.0.message"), "dose_rules[0].message", "missing"),
    (
        "esketamine_spravato",
        _set("booster.max_count", {"value": 1, "sources": ["L1"]}),
        "booster",
        "only when allowed = true",
    ),
    ("esketamine_spravato", _set("booster.allowed", "no"), "booster.allowed", "true or false"),
    ("sublingual_kap_series", _delete("booster.max_count"), "booster.max_count", "required key is missing"),
    (
        "sublingual_kap_series",
        _set("booster.max_count.value", 1.5),
        "booster.max_count.value",
        "whole number",
    ),
    ("sublingual_kap_series", _set("course.sessions.value", 6.5), "course.sessions.value", "whole number"),
    ("sublingual_kap_series", _delete("course.min_interval_hours"), "course.min_interval_hours", "missing"),
    (
        "esketamine_spravato",
        _set("course.stages.1.first_dose", 10),
        "course.stages[1].first_dose",
        "expected 9",
    ),
    (
        "esketamine_spravato",
        _delete("course.stages.1.last_dose"),
        "course.stages[1].last_dose",
        "only the last stage",
    ),
    (
        "esketamine_spravato",
        _set("course.stages.0.last_dose", 0),
        "course.stages[0].last_dose",
        "before first_dose",
    ),
    ("esketamine_spravato", _set("course.stages.1.id", "induction"), "course.stages", "used twice"),
    ("esketamine_spravato", _set("course.stages", "x"), "course.stages", "array of tables"),
    (
        "esketamine_spravato",
        _set("course.stages.0.first_dose", "1"),
        "course.stages[0].first_dose",
        "whole number",
    ),
    (
        "esketamine_spravato",
        _set("phases.preparation_sessions_before_first_dose.value", -1),
        "phases.preparation_sessions_before_first_dose",
        "must not be negative",
    ),
    (
        "esketamine_spravato",
        _set("phases.integration_within_hours.value", 0),
        "phases.integration_within_hours.value",
        "greater than 0",
    ),
    (
        "esketamine_spravato",
        _set("fasting.alternatives.0.food_hours", -1),
        "fasting.alternatives[0]",
        "must not be negative",
    ),
    (
        "esketamine_spravato",
        _delete("fasting.alternatives.0.sources"),
        "fasting.alternatives[0].sources",
        "cite at least one source",
    ),
    (
        "esketamine_spravato",
        _set("pre_dose.required_vitals", ["bp"]),
        "pre_dose.required_vitals",
        "not one of",
    ),
    (
        "esketamine_spravato",
        _set("pre_dose.vital_limits.0.vital", "bp"),
        "pre_dose.vital_limits[0].vital",
        "not one of",
    ),
    (
        "esketamine_spravato",
        _set("pre_dose.vital_limits.0.op", "=="),
        "pre_dose.vital_limits[0].op",
        "not one of",
    ),
    (
        "esketamine_spravato",
        _set("pre_dose.vital_limits.1.id", "sbp_general_guide"),
        "pre_dose.vital_limits",
        "used twice",
    ),
    (
        "esketamine_spravato",
        _set("pre_dose.vital_limits.0.level", "noted"),
        "pre_dose.vital_limits[0].level",
        "not one of",
    ),
    ("esketamine_spravato", _set("pre_dose.attestations", []), "pre_dose.attestations", "at least one entry"),
    ("esketamine_spravato", _dup("pre_dose.attestations"), "pre_dose.attestations", "used twice"),
    (
        "esketamine_spravato",
        _set("pre_dose.medications.0.level", "ok"),
        "pre_dose.medications[0].level",
        "not one of",
    ),
    ("esketamine_spravato", _dup("pre_dose.medications"), "pre_dose.medications", "used twice"),
    ("esketamine_spravato", _delete("pre_dose.mood_check"), "pre_dose.mood_check", "missing"),
    (
        "esketamine_spravato",
        _set("pre_dose.mood_check.results", []),
        "pre_dose.mood_check.results",
        "at least one entry",
    ),
    ("esketamine_spravato", _dup("pre_dose.mood_check.results"), "pre_dose.mood_check.results", "used twice"),
    (
        "esketamine_spravato",
        _set("pre_dose.mood_check.results.0.level", "go"),
        "pre_dose.mood_check.results[0].level",
        "not one of",
    ),
    ("esketamine_spravato", _delete("monitoring.vitals"), "monitoring.vitals", "missing"),
    (
        "esketamine_spravato",
        _set("monitoring.vitals.at_minutes.value", 40),
        "monitoring.vitals.at_minutes.value",
        "non-empty array",
    ),
    (
        "esketamine_spravato",
        _set("monitoring.vitals.at_minutes.value", []),
        "monitoring.vitals.at_minutes.value",
        "non-empty array",
    ),
    (
        "esketamine_spravato",
        _set("monitoring.vitals.at_minutes.value", [True]),
        "monitoring.vitals.at_minutes.value",
        "non-empty array",
    ),
    (
        "esketamine_spravato",
        _set("monitoring.vitals.at_minutes.value", [40, 40]),
        "monitoring.vitals.at_minutes.value",
        "strictly increasing",
    ),
    (
        "esketamine_spravato",
        _set("monitoring.vitals.at_minutes.value", [0, 40]),
        "monitoring.vitals.at_minutes.value",
        "greater than 0",
    ),
    (
        "esketamine_spravato",
        _set("monitoring.vitals.tolerance_minutes.value", -1),
        "monitoring.vitals.tolerance_minutes",
        "must not be negative",
    ),
    (
        "esketamine_spravato",
        _do(
            _set("monitoring.vitals.pre_dose", False),
            _delete("monitoring.vitals.at_minutes"),
            _delete("monitoring.vitals.every_minutes"),
        ),
        "monitoring.vitals",
        "schedule nothing",
    ),
    ("esketamine_spravato", _set("alerts", []), "alerts", "at least one entry"),
    ("esketamine_spravato", _dup("alerts"), "alerts", "used twice"),
    ("esketamine_spravato", _set("alerts.0.severity", "emergency"), "alerts[0].severity", "not one of"),
    ("esketamine_spravato", _set("alerts.0.from_baseline", 1), "alerts[0].from_baseline", "true or false"),
    ("esketamine_spravato", _delete("alerts.0.action"), "alerts[0].action", "missing"),
    (
        "esketamine_spravato",
        _do(_set("alerts.0.clinic_setting", False), _delete("alerts.0.sources")),
        "alerts[0].sources",
        "cite at least",
    ),
    (
        "esketamine_spravato",
        _set("hypertensive_emergency.symptoms", []),
        "hypertensive_emergency.symptoms",
        "at least one entry",
    ),
    (
        "esketamine_spravato",
        _dup("hypertensive_emergency.symptoms"),
        "hypertensive_emergency.symptoms",
        "used twice",
    ),
    (
        "esketamine_spravato",
        _delete("hypertensive_emergency.sources"),
        "hypertensive_emergency.sources",
        "cite at least",
    ),
    ("esketamine_spravato", _set("discharge.items", []), "discharge.items", "at least one entry"),
    ("esketamine_spravato", _dup("discharge.items"), "discharge.items", "used twice"),
    (
        "esketamine_spravato",
        _delete("discharge.min_observation_minutes"),
        "discharge.min_observation_minutes",
        "missing",
    ),
    (
        "esketamine_spravato",
        _set("discharge.no_driving.rule", "hours"),
        "discharge.no_driving.hours",
        "exactly when",
    ),
    (
        "esketamine_spravato",
        _set("discharge.no_driving.hours", V),
        "discharge.no_driving.hours",
        "exactly when",
    ),
    (
        "esketamine_spravato",
        _set("discharge.no_driving.rule", "never"),
        "discharge.no_driving.rule",
        "not one of",
    ),
    (
        "esketamine_spravato",
        _set("discharge.no_driving.alternatives.0.hours", 0),
        "discharge.no_driving.alternatives[0].hours",
        "greater than 0",
    ),
    (
        "esketamine_spravato",
        _delete("discharge.no_driving.alternatives.0.hours"),
        "discharge.no_driving.alternatives[0].hours",
        "exactly when",
    ),
    (
        "esketamine_spravato",
        _set("discharge.no_driving.alternatives.0.rule", "next_day_after_sleep"),
        "discharge.no_driving.alternatives[0].hours",
        "exactly when",
    ),
]


@pytest.mark.parametrize(
    ("protocol_id", "mutation", "field", "words"), ERRORS, ids=[f"{e[0]}:{e[2]}:{e[3]}" for e in ERRORS]
)
def test_semantic_error_names_the_field(protocol_id: str, mutation: Mutation, field: str, words: str) -> None:
    doc = raw(protocol_id)
    mutation(doc)
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(doc, "clinic/x.toml")
    error = caught.value
    assert error.field == field, str(error)
    assert words in error.detail, str(error)
    assert str(error) == f"clinic/x.toml: {field}: {error.detail}"
    assert error.line is None and error.source == "clinic/x.toml"


def test_optional_sections_may_be_left_out() -> None:
    doc = raw("sublingual_kap_series")
    for key in ("titration", "dose_tiers", "dose_rules", "administration"):
        doc.pop(key, None)
    del doc["monitoring"]["ratings"]
    protocol = parse_protocol(doc)
    assert protocol.titration.step_mg is None and protocol.tiers == () and protocol.monitoring.ratings is None
    assert protocol.path == "<protocol>"


def test_no_driving_hours_rule_loads() -> None:
    doc = raw("esketamine_spravato")
    doc["discharge"]["no_driving"]["rule"] = "hours"
    doc["discharge"]["no_driving"]["hours"] = {
        "value": 24,
        "clinic_setting": True,
        "note": "clinic",
        "sources": [],
    }
    protocol = parse_protocol(doc)
    assert protocol.discharge.no_driving.text() == "no driving for 24 h after the dose"


# --- registry --------------------------------------------------------------------------------

CLINIC_IM = (SHIPPED_DIR / "im_kap.toml").read_text(encoding="utf-8")


def test_clinic_folder_adds_a_higher_version(tmp_path: Path) -> None:
    write(tmp_path, "im_kap_clinic.toml", CLINIC_IM.replace('version = "1.0.0"', 'version = "1.1"'))
    registry = Registry.load([tmp_path, tmp_path])  # a folder named twice is read once
    assert registry.get("im_kap").version == "1.1"
    assert registry.get("im_kap", "1.0.0").version == "1.0.0"
    assert [p.version for p in registry.all() if p.id == "im_kap"] == ["1.0.0", "1.1"]
    assert len(registry) == 5


def test_same_id_and_version_twice_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "copy.toml", CLINIC_IM)
    with pytest.raises(ProtocolError) as caught:
        Registry.load([tmp_path])
    assert caught.value.field == "version" and "give the new file a higher version" in str(caught.value)


def test_clinic_only_and_errors(tmp_path: Path) -> None:
    assert len(Registry.load([tmp_path], include_shipped=False)) == 0
    with pytest.raises(ProtocolError, match="not a directory"):
        Registry.load([tmp_path / "missing"])
    registry = Registry.load()
    with pytest.raises(UnknownProtocolError, match="no protocol 'x'"):
        registry.get("x")
    with pytest.raises(UnknownProtocolError, match=r"installed: 1\.0\.0"):
        registry.get("im_kap", "9")


def test_load_protocol_returns_protocol() -> None:
    assert isinstance(load_protocol(SHIPPED_DIR / "iv_induction_series.toml"), Protocol)
