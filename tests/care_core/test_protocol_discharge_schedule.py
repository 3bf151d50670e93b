"""Discharge on real vitals, the edges of the schedule and the limits: a missing pre-dose reading, a
clinic version that schedules only a repeat interval, readings without blood pressure, no reading at
all after the dose, and times without a zone. Each ends in a line a clinician reads before letting
the client leave (issue #11 item 5)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from care_core_helpers import IDS, T0, raw

from kapstone.care.protocol_core import InvalidInput, VitalsReading, default_registry, parse_protocol
from kapstone.care.protocol_core.discharge_vitals import check_discharge_vitals

CALM = VitalsReading(systolic=128, diastolic=80, heart_rate=76, spo2=98, respiratory_rate=14)
PULSE_OXIMETER = VitalsReading(heart_rate=82, spo2=97)


def _at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _naive(minutes: float) -> datetime:
    """The same wall-clock time with its zone dropped, as a careless caller might pass it."""
    return _at(minutes).replace(tzinfo=None)


def _check(protocol: Any, readings: list[tuple[float, VitalsReading]], now: float = 125) -> dict[str, Any]:
    items = check_discharge_vitals(
        protocol, first_dose_at=T0, last_dose_at=T0, now=_at(now), readings=[(_at(m), r) for m, r in readings]
    )
    return {i.id: i for i in items}


def _repeat_only(protocol_id: str) -> Any:
    """A clinic version with no pre-dose reading, no timed points, no pre-discharge window and no
    discharge limits: only "every N minutes" is scheduled."""
    data = raw(protocol_id)
    vitals = data["monitoring"]["vitals"]
    vitals["pre_dose"] = False
    vitals.pop("at_minutes")
    vitals.setdefault("every_minutes", {"value": 15, "clinic_setting": True})
    data["discharge"].pop("pre_discharge_vitals_minutes")
    data["discharge"].pop("vital_limits")
    return parse_protocol(data, f"{protocol_id}-repeat-only.toml")


@pytest.mark.parametrize("protocol_id", IDS)
def test_a_missing_pre_dose_reading_is_named_with_its_window(protocol_id: str) -> None:
    protocol = default_registry().get(protocol_id)
    window = protocol.monitoring.vitals.pre_dose_window_minutes.value
    found = _check(protocol, [(-window - 30, CALM), (40, CALM), (120, CALM)])
    schedule = found["vitals_schedule"]
    assert schedule.status == "needs_justification"
    assert schedule.message == f"never recorded: pre-dose reading (within {window:g} min)"
    assert found["vitals_limits"].status == "ok"


@pytest.mark.parametrize("protocol_id", IDS)
def test_a_clinic_version_scheduling_only_a_repeat_interval_asks_for_nothing_timed(protocol_id: str) -> None:
    found = _check(_repeat_only(protocol_id), [(60, CALM)])
    schedule = found["vitals_schedule"]
    assert (schedule.status, schedule.message) == ("ok", "every scheduled reading recorded")
    assert schedule.sources == () and schedule.clinic_setting is False
    assert found["vitals_limits"].status == "ok"


@pytest.mark.parametrize("protocol_id", IDS)
def test_no_reading_after_the_dose_never_passes_as_within_the_limits(protocol_id: str) -> None:
    for protocol in (default_registry().get(protocol_id), _repeat_only(protocol_id)):
        limits = _check(protocol, [(-5, CALM)])["vitals_limits"]
        assert (limits.status, limits.message) == ("needs_justification", "no reading after the dose")


@pytest.mark.parametrize("protocol_id", IDS)
def test_a_pulse_oximeter_alone_after_the_dose_is_judged_on_what_it_measured(protocol_id: str) -> None:
    """Limits on blood pressure are not guessed from a reading that has none; the pre-discharge
    line still asks for a blood pressure."""
    found = _check(
        default_registry().get(protocol_id), [(-5, CALM), (40, PULSE_OXIMETER), (120, PULSE_OXIMETER)]
    )
    assert found["vitals_limits"].status == "ok", found["vitals_limits"].message
    assert "pre-discharge reading with blood pressure" in found["vitals_schedule"].message


@pytest.mark.parametrize("protocol_id", IDS)
def test_low_oxygen_on_the_oximeter_alone_keeps_the_client(protocol_id: str) -> None:
    low = VitalsReading(heart_rate=82, spo2=85)
    limits = _check(default_registry().get(protocol_id), [(-5, CALM), (40, CALM), (120, low)])[
        "vitals_limits"
    ]
    assert limits.status == "needs_justification" and "spo2 85 %" in limits.message


@pytest.mark.parametrize(
    ("name", "first", "last", "now", "reading_at"),
    [
        ("first_dose_at", _naive(0), T0, _at(125), _at(40)),
        ("last_dose_at", T0, _naive(0), _at(125), _at(40)),
        ("now", T0, T0, _naive(125), _at(40)),
        ("readings", T0, T0, _at(125), _naive(40)),
        ("first_dose_at", "2026-03-02T10:00Z", T0, _at(125), _at(40)),
    ],
)
def test_a_time_without_a_zone_is_refused_not_guessed(
    name: str, first: Any, last: Any, now: Any, reading_at: Any
) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_discharge_vitals(
            default_registry().get("im_kap"),
            first_dose_at=first,
            last_dose_at=last,
            now=now,
            readings=[(reading_at, CALM)],
        )
    assert refused.value.field == name
    assert str(refused.value) == f"{name}: must be a timezone-aware datetime"
