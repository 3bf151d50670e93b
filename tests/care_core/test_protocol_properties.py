"""Property tests: readings within the physiological bounds never raise; any reading outside them is
refused naming the field; mg/kg is mg / kg; a check never returns "ok" while incomplete."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import pytest
from care_core_helpers import IDS, T0
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kapstone.care.protocol_core import (
    DoseContext,
    DoseInput,
    InvalidInput,
    VitalsReading,
    check_dose,
    check_vitals,
    default_registry,
    default_vital_bounds,
    validate_reading,
)

SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
BOUNDS = default_vital_bounds()
REGISTRY = default_registry()
VITALS = tuple(BOUNDS.vitals)


def in_bounds(name: str) -> st.SearchStrategy[float | None]:
    bound = BOUNDS.vitals[name]
    if bound.integer:
        values: st.SearchStrategy[float] = st.integers(int(bound.min), int(bound.max)).map(float)
    else:
        values = st.floats(bound.min, bound.max, allow_nan=False)
    return st.none() | values


@st.composite
def valid_readings(draw: st.DrawFn) -> VitalsReading:
    values = {name: draw(in_bounds(name)) for name in VITALS}
    if (
        values["systolic"] is not None
        and values["diastolic"] is not None
        and values["diastolic"] >= values["systolic"]
    ):
        values["diastolic"] = None
    symptoms = tuple(
        draw(st.lists(st.sampled_from(["chest_pain", "seizures", "nausea", "dizziness"]), max_size=3))
    )
    if all(v is None for v in values.values()) and not symptoms:
        values["heart_rate"] = 70.0
    return VitalsReading(**values, symptoms=symptoms)


@SETTINGS
@given(reading=valid_readings(), baseline=st.none() | valid_readings(), protocol_id=st.sampled_from(IDS))
def test_readings_within_bounds_never_raise(
    reading: VitalsReading, baseline: VitalsReading | None, protocol_id: str
) -> None:
    alerts = check_vitals(REGISTRY.get(protocol_id), reading, baseline)
    emergency = [a for a in alerts if a.code == "hypertensive_emergency"]
    assert len(emergency) == len({s for s in reading.symptoms if s in ("chest_pain", "seizures")})


def out_of_bounds(name: str) -> st.SearchStrategy[float]:
    bound = BOUNDS.vitals[name]
    below = st.floats(max_value=bound.min, exclude_max=True, allow_nan=False, allow_infinity=False)
    above = st.floats(min_value=bound.max, exclude_min=True, allow_nan=False, allow_infinity=False)
    return below | above | st.just(math.nan) | st.just(math.inf)


@SETTINGS
@given(data=st.data(), name=st.sampled_from(VITALS))
def test_reading_outside_bounds_is_refused(data: st.DataObject, name: str) -> None:
    reading = data.draw(valid_readings())
    change: dict[str, Any] = {name: data.draw(out_of_bounds(name))}
    bad = replace(reading, **change)
    if name == "systolic":
        bad = replace(bad, diastolic=None)  # the diastolic rule would name the other field
    with pytest.raises(InvalidInput) as caught:
        validate_reading(bad)
    assert caught.value.field == name


@SETTINGS
@given(systolic=st.floats(0, 300), diastolic=st.floats(0, 300))
def test_diastolic_not_below_systolic_is_refused(systolic: float, diastolic: float) -> None:
    reading = VitalsReading(systolic=systolic, diastolic=diastolic)
    if diastolic < systolic:
        validate_reading(reading)
    else:
        with pytest.raises(InvalidInput) as caught:
            validate_reading(reading)
        assert caught.value.field == "diastolic"


@SETTINGS
@given(
    amount=st.floats(0.001, 5000, allow_nan=False),
    weight=st.floats(2, 400, allow_nan=False),
    protocol_id=st.sampled_from(IDS),
)
def test_mg_per_kg_is_mg_over_kg(amount: float, weight: float, protocol_id: str) -> None:
    protocol = REGISTRY.get(protocol_id)
    check = check_dose(
        protocol,
        DoseInput(route=protocol.route, unit="mg", amount_mg=amount, weight_kg=weight),
        DoseContext(dose_number=1, proposed_at=T0),
    )
    assert check.mg_per_kg == amount / weight
    assert check.session_total_mg == amount and check.session_total_mg_per_kg == amount / weight
    for finding in check.findings:
        if finding.unit == "mg/kg" and finding.code in ("max_mg_per_kg", "min_mg_per_kg"):
            assert finding.actual == amount / weight


@SETTINGS
@given(
    amount=st.floats(0.001, 5000, allow_nan=False),
    weight=st.none() | st.floats(2, 400),
    booster=st.booleans(),
    number=st.none() | st.integers(1, 20),
    protocol_id=st.sampled_from(IDS),
    unit=st.sampled_from(["mg", "mg", "ml", "mcg"]),
)
def test_never_ok_when_incomplete_or_refused(
    amount: float, weight: float | None, booster: bool, number: int | None, protocol_id: str, unit: str
) -> None:
    protocol = REGISTRY.get(protocol_id)
    tier = protocol.tiers[0].id if protocol.tiers else None
    check = check_dose(
        protocol,
        DoseInput(
            route=protocol.route,
            unit=unit,
            amount_mg=amount,
            weight_kg=weight,
            tier=tier,
            is_booster=booster,
            prior_doses_mg=(50.0,) if booster else (),
            minutes_since_first_dose=60 if booster else None,
        ),
        DoseContext(dose_number=number, proposed_at=T0),
    )
    if unit != "mg":
        assert check.refused and check.blocked
    if not check.complete:
        assert check.level != "ok"
    levels: dict[str, Any] = {"ok": 0, "needs_justification": 1, "hard_stop": 2}
    assert levels[check.level] == max(levels[f.level] for f in check.findings)
