"""Discharge on real vitals, pure core (issue #11 item 5): over every shipped protocol, a missing
scheduled reading or a latest reading outside the discharge limits needs a prescriber's reason, and
no clinic version (limits loosened or removed) lets a hypertensive crisis leave unremarked."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from care_core_helpers import IDS, T0, raw
from hypothesis import given, settings
from hypothesis import strategies as st

from kapstone.care.protocol_core import VitalsReading, default_registry, parse_protocol
from kapstone.care.protocol_core.discharge_vitals import check_discharge_vitals

CALM = VitalsReading(systolic=128, diastolic=80, heart_rate=76, spo2=98, respiratory_rate=14)


def _at(minutes: float) -> Any:
    return T0 + timedelta(minutes=minutes)


def _check(protocol: Any, readings: list[tuple[float, VitalsReading]], now: float = 125) -> dict[str, Any]:
    items = check_discharge_vitals(
        protocol,
        first_dose_at=T0,
        last_dose_at=T0,
        now=_at(now),
        readings=[(_at(m), r) for m, r in readings],
    )
    return {i.id: i for i in items}


@pytest.mark.parametrize("protocol_id", IDS)
def test_every_shipped_protocol_carries_discharge_limits_and_a_pre_discharge_window(protocol_id: str) -> None:
    protocol = default_registry().get(protocol_id)
    assert {limit.vital for limit in protocol.discharge.vital_limits} >= {"systolic", "diastolic", "spo2"}
    assert protocol.discharge.pre_discharge_vitals_minutes is not None
    for limit in protocol.discharge.vital_limits:
        assert limit.value.provenance.sources or limit.value.provenance.note


@pytest.mark.parametrize("protocol_id", IDS)
def test_all_scheduled_readings_inside_the_limits_is_ok(protocol_id: str) -> None:
    found = _check(default_registry().get(protocol_id), [(-5, CALM), (40, CALM), (120, CALM)])
    assert found["vitals_schedule"].status == "ok" and found["vitals_limits"].status == "ok"


@pytest.mark.parametrize("protocol_id", IDS)
def test_a_missing_40_minute_reading_needs_a_reason(protocol_id: str) -> None:
    found = _check(default_registry().get(protocol_id), [(-5, CALM), (120, CALM)])
    assert found["vitals_schedule"].status == "needs_justification"
    assert "40-minute reading" in found["vitals_schedule"].message


@pytest.mark.parametrize("protocol_id", IDS)
def test_a_pre_discharge_reading_without_blood_pressure_does_not_count(protocol_id: str) -> None:
    pulse_only = VitalsReading(heart_rate=80, spo2=97)
    found = _check(default_registry().get(protocol_id), [(-5, CALM), (40, CALM), (120, pulse_only)])
    assert "pre-discharge reading with blood pressure" in found["vitals_schedule"].message


def _without_limits(protocol_id: str) -> Any:
    data = raw(protocol_id)
    data["discharge"].pop("vital_limits")
    return parse_protocol(data, f"{protocol_id}-no-limits.toml")


@settings(max_examples=120, deadline=None)
@given(
    protocol_id=st.sampled_from(IDS),
    systolic=st.integers(180, 260),
    diastolic=st.integers(60, 119),
    drop_limits=st.booleans(),
)
def test_no_configuration_lets_a_systolic_crisis_leave_unremarked(
    protocol_id: str, systolic: int, diastolic: int, drop_limits: bool
) -> None:
    protocol = _without_limits(protocol_id) if drop_limits else default_registry().get(protocol_id)
    crisis = VitalsReading(
        systolic=systolic, diastolic=diastolic, heart_rate=80, spo2=97, respiratory_rate=14
    )
    found = _check(protocol, [(-5, CALM), (40, CALM), (120, crisis)])
    assert found["vitals_limits"].status == "needs_justification"
    assert "Hypertensive crisis" in found["vitals_limits"].message


@settings(max_examples=60, deadline=None)
@given(protocol_id=st.sampled_from(IDS), diastolic=st.integers(120, 150))
def test_no_configuration_lets_a_diastolic_crisis_leave_unremarked(protocol_id: str, diastolic: int) -> None:
    crisis = VitalsReading(systolic=min(diastolic + 20, 179), diastolic=diastolic, heart_rate=80, spo2=97)
    found = _check(_without_limits(protocol_id), [(-5, CALM), (40, CALM), (120, crisis)])
    assert found["vitals_limits"].status == "needs_justification"


def test_the_latest_reading_decides_not_the_worst() -> None:
    protocol = default_registry().get("sublingual_kap_series")
    high = VitalsReading(systolic=170, diastolic=98, heart_rate=90, spo2=97, respiratory_rate=14)
    assert _check(protocol, [(-5, CALM), (40, high), (110, CALM)])["vitals_limits"].status == "ok"
    assert (
        _check(protocol, [(-5, CALM), (40, CALM), (110, high)])["vitals_limits"].status
        == "needs_justification"
    )
