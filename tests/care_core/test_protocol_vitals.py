"""check_vitals, validate_reading, vitals_due / ratings_due."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from care_core_helpers import IDS, T0

from kapstone.care.protocol_core import (
    InvalidInput,
    Protocol,
    VitalsReading,
    check_vitals,
    default_vital_bounds,
    ratings_due,
    validate_reading,
    vitals_due,
)

NORMAL = VitalsReading(systolic=125, diastolic=80, heart_rate=75, spo2=98, respiratory_rate=14, moaas=5)


# --- impossible readings are refused, naming the field ---------------------------------------

REFUSED: list[tuple[dict[str, Any], str, str]] = [
    ({"systolic": -1}, "systolic", "impossible"),
    ({"systolic": 300.5}, "systolic", "impossible"),
    ({"diastolic": -0.1}, "diastolic", "impossible"),
    ({"heart_rate": 19}, "heart_rate", "impossible"),
    ({"heart_rate": 251}, "heart_rate", "impossible"),
    ({"spo2": 49}, "spo2", "impossible"),
    ({"spo2": 101}, "spo2", "impossible"),
    ({"respiratory_rate": 3}, "respiratory_rate", "impossible"),
    ({"respiratory_rate": 61}, "respiratory_rate", "impossible"),
    ({"moaas": 6}, "moaas", "impossible"),
    ({"moaas": -1}, "moaas", "impossible"),
    ({"moaas": 2.5}, "moaas", "whole number"),
    ({"systolic": 120, "diastolic": 120}, "diastolic", "must be below the systolic"),
    ({"systolic": 100, "diastolic": 130}, "diastolic", "must be below the systolic"),
    ({"systolic": "120"}, "systolic", "must be a number"),
    ({"heart_rate": True}, "heart_rate", "must be a number"),
    ({"spo2": float("nan")}, "spo2", "must be a number"),
    ({"symptoms": "chest_pain"}, "symptoms", "list of symptom ids"),
    ({"symptoms": ("",)}, "symptoms", "list of symptom ids"),
]


@pytest.mark.parametrize(("values", "field", "words"), REFUSED)
def test_impossible_reading_refused(
    spravato: Protocol, values: dict[str, Any], field: str, words: str
) -> None:
    reading = replace(NORMAL, **values)
    with pytest.raises(InvalidInput) as caught:
        check_vitals(spravato, reading)
    assert caught.value.field == field and words in str(caught.value)


def test_empty_reading_refused(spravato: Protocol) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_vitals(spravato, VitalsReading())
    assert caught.value.field == "reading"


def test_baseline_is_validated_with_its_field_named(spravato: Protocol) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_vitals(spravato, NORMAL, baseline=replace(NORMAL, heart_rate=300))
    assert caught.value.field == "baseline.heart_rate"
    with pytest.raises(InvalidInput) as caught:
        check_vitals(spravato, NORMAL, baseline=VitalsReading())
    assert caught.value.field == "baseline"


@pytest.mark.parametrize("name", ["systolic", "diastolic", "heart_rate", "spo2", "respiratory_rate", "moaas"])
def test_bounds_are_inclusive(name: str) -> None:
    bound = default_vital_bounds().vitals[name]
    for value in (bound.min, bound.max):
        values: dict[str, Any] = {name: value}
        reading = VitalsReading(**values)
        validate_reading(reading)  # never raises at the bounds


def test_only_one_vital_or_only_symptoms_is_a_reading() -> None:
    validate_reading(VitalsReading(diastolic=80))
    validate_reading(VitalsReading(symptoms=("chest_pain",)))
    validate_reading(VitalsReading(moaas=3.0))


# --- alerts at each threshold boundary (every shipped protocol) -----------------------------

ALERT_CASES: list[tuple[dict[str, float], str, bool]] = [
    ({"systolic": 179}, "sbp_high", False),
    ({"systolic": 180}, "sbp_high", True),
    ({"systolic": 199}, "sbp_very_high", False),
    ({"systolic": 200}, "sbp_very_high", True),
    ({"diastolic": 109, "systolic": 150}, "dbp_high", False),
    ({"diastolic": 110, "systolic": 150}, "dbp_high", True),
    ({"diastolic": 119, "systolic": 150}, "dbp_very_high", False),
    ({"diastolic": 120, "systolic": 150}, "dbp_very_high", True),
    ({"heart_rate": 120}, "hr_high", False),
    ({"heart_rate": 121}, "hr_high", True),
    ({"spo2": 92}, "spo2_low", False),
    ({"spo2": 91}, "spo2_low", True),
    ({"respiratory_rate": 10}, "rr_low", False),
    ({"respiratory_rate": 9}, "rr_low", True),
]


@pytest.mark.parametrize(("values", "code", "alerts"), ALERT_CASES)
@pytest.mark.parametrize("protocol_id", IDS)
def test_alert_boundaries(
    registry: Any, protocol_id: str, values: dict[str, Any], code: str, alerts: bool
) -> None:
    protocol = registry.get(protocol_id)
    found = [a for a in check_vitals(protocol, replace(NORMAL, **values), baseline=NORMAL) if a.code == code]
    assert bool(found) is alerts
    if found:
        alert = found[0]
        assert alert.protocol_id == protocol_id and alert.protocol_version == protocol.version
        assert alert.severity in ("urgent", "warning") and alert.action
        assert alert.clinic_setting  # no validated number exists (clinical.md §3.2)
        assert "clinic setting" in alert.rationale
        assert alert.to_dict()["code"] == code


@pytest.mark.parametrize("protocol_id", IDS)
def test_normal_reading_no_alert(registry: Any, protocol_id: str) -> None:
    assert check_vitals(registry.get(protocol_id), NORMAL, baseline=NORMAL) == []


@pytest.mark.parametrize(
    "symptom",
    [
        "chest_pain",
        "shortness_of_breath",
        "sudden_severe_headache",
        "visual_disturbances",
        "seizures",
        "diminished_consciousness",
        "focal_neurological_deficits",
    ],
)
@pytest.mark.parametrize("protocol_id", IDS)
def test_emergency_symptom_always_alerts(registry: Any, protocol_id: str, symptom: str) -> None:
    protocol = registry.get(protocol_id)
    for reading in (replace(NORMAL, symptoms=(symptom, symptom)), VitalsReading(symptoms=(symptom,))):
        alerts = check_vitals(protocol, reading, baseline=NORMAL)
        assert [a.code for a in alerts] == ["hypertensive_emergency"]  # once, even if listed twice
        assert alerts[0].severity == "emergency"
        assert "Refer immediately for emergency care" in alerts[0].message
        assert alerts[0].sources == ("L1",)


def test_unrecognised_symptom_asks_for_review(spravato: Protocol) -> None:
    alerts = check_vitals(spravato, replace(NORMAL, symptoms=("nausea",)), baseline=NORMAL)
    assert [(a.code, a.severity) for a in alerts] == [("unrecognised_symptom", "review")]


@pytest.mark.parametrize("protocol_id", IDS)
def test_sedation_drop_from_baseline(registry: Any, protocol_id: str) -> None:
    protocol = registry.get(protocol_id)
    same = check_vitals(protocol, NORMAL, baseline=NORMAL)
    assert same == []
    dropped = check_vitals(protocol, replace(NORMAL, moaas=4), baseline=NORMAL)
    assert [a.code for a in dropped] == ["sedation_increase"]
    assert dropped[0].sources == ("L2",) and not dropped[0].clinic_setting
    assert "pre-dose 5" in dropped[0].message


def test_baseline_missing_asks_for_review(spravato: Protocol) -> None:
    alerts = check_vitals(spravato, replace(NORMAL, moaas=4))
    assert [(a.code, a.severity) for a in alerts] == [("baseline_missing", "review")]
    alerts = check_vitals(spravato, replace(NORMAL, moaas=4), baseline=replace(NORMAL, moaas=None))
    assert [a.code for a in alerts] == ["baseline_missing"]


def test_several_alerts_at_once(spravato: Protocol) -> None:
    reading = VitalsReading(systolic=205, diastolic=125, heart_rate=130, spo2=90, symptoms=("seizures",))
    found = {a.code for a in check_vitals(spravato, reading)}
    assert found == {
        "hypertensive_emergency",
        "sbp_high",
        "sbp_very_high",
        "dbp_high",
        "dbp_very_high",
        "hr_high",
        "spo2_low",
    }


# --- vitals_due --------------------------------------------------------------------------------

M = timedelta(minutes=1)

DUE_CASES: list[tuple[str, list[timedelta], timedelta, timedelta | None, str, bool, tuple[str, ...]]] = [
    # (protocol, reading offsets from the dose, now offset, expected due offset, label part, overdue, missed)
    ("esketamine_spravato", [], -30 * M, 0 * M, "pre-dose", False, ()),
    ("esketamine_spravato", [-70 * M], -5 * M, 0 * M, "pre-dose", False, ()),  # outside the 60-min window
    ("esketamine_spravato", [-10 * M], 10 * M, 40 * M, "40 min", False, ()),
    ("esketamine_spravato", [-10 * M], 45 * M, 40 * M, "40 min", False, ()),  # within tolerance
    ("esketamine_spravato", [-10 * M], 46 * M, 40 * M, "40 min", True, ()),
    ("esketamine_spravato", [-10 * M, 10 * M], 46 * M, 40 * M, "40 min", True, ()),  # early extra reading
    (
        "esketamine_spravato",
        [-10 * M, 35 * M],
        50 * M,
        65 * M,
        "every 30 min",
        False,
        (),
    ),  # 5 min early counts
    ("esketamine_spravato", [-10 * M, 41 * M], 80 * M, 71 * M, "every 30 min", True, ()),
    ("esketamine_spravato", [-10 * M, 41 * M, 70 * M], 80 * M, 100 * M, "every 30 min", False, ()),
    ("esketamine_spravato", [], 20 * M, 40 * M, "40 min", False, ("pre-dose",)),
    ("iv_induction_series", [-5 * M, 40 * M, 50 * M], 55 * M, 60 * M, "every 10 min", False, ()),
    ("im_kap", [-5 * M, 40 * M], 61 * M, 55 * M, "every 15 min", True, ()),
]


@pytest.mark.parametrize(("protocol_id", "offsets", "now", "due", "label", "overdue", "missed"), DUE_CASES)
def test_vitals_due(
    registry: Any,
    protocol_id: str,
    offsets: list[timedelta],
    now: timedelta,
    due: timedelta | None,
    label: str,
    overdue: bool,
    missed: tuple[str, ...],
) -> None:
    protocol = registry.get(protocol_id)
    result = vitals_due(protocol, T0, [T0 + o for o in reversed(offsets)], T0 + now)
    assert result.next_due_at == (T0 + due if due is not None else None)
    assert label in result.label and result.overdue is overdue and result.missed == missed
    assert result.schedule == "vitals" and result.protocol_id == protocol_id
    assert result.next_due_at is not None
    assert result.to_dict()["next_due_at"] == result.next_due_at.isoformat()


def test_nothing_scheduled_after_fixed_points(spravato: Protocol) -> None:
    schedule = replace(spravato.monitoring.vitals, every_minutes=None)
    protocol = replace(spravato, monitoring=replace(spravato.monitoring, vitals=schedule))
    result = vitals_due(protocol, T0, [T0 - 5 * M, T0 + 40 * M], T0 + 300 * M)
    assert result.next_due_at is None and not result.overdue and "clinically warranted" in result.label


def test_periodic_only_schedule(spravato: Protocol) -> None:
    schedule = replace(spravato.monitoring.vitals, at_minutes=None, pre_dose=False)
    protocol = replace(spravato, monitoring=replace(spravato.monitoring, vitals=schedule))
    assert vitals_due(protocol, T0, [], T0).next_due_at == T0 + 30 * M
    assert vitals_due(protocol, T0, [T0 + 20 * M], T0).next_due_at == T0 + 50 * M


def test_ratings_due(spravato: Protocol) -> None:
    result = ratings_due(spravato, T0, [T0 - 5 * M], T0 + 10 * M)
    assert result.schedule == "ratings" and result.next_due_at == T0 + 40 * M


def test_ratings_due_without_schedule(spravato: Protocol) -> None:
    protocol = replace(spravato, monitoring=replace(spravato.monitoring, ratings=None))
    result = ratings_due(protocol, T0, [], T0)
    assert result.next_due_at is None and "no ratings schedule" in result.label
    with pytest.raises(InvalidInput):
        ratings_due(protocol, T0.replace(tzinfo=None), [], T0)


@pytest.mark.parametrize(
    ("dose", "times", "now", "field"),
    [
        (T0.replace(tzinfo=None), [], T0, "dose_time"),
        (T0, [], T0.replace(tzinfo=None), "now"),
        (T0, [T0, T0.replace(tzinfo=None)], T0, "readings_times[1]"),
        (T0, ["10:00"], T0, "readings_times[0]"),
    ],
)
def test_vitals_due_needs_aware_times(
    spravato: Protocol, dose: Any, times: list[Any], now: Any, field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        vitals_due(spravato, dose, times, now)
    assert caught.value.field == field
