"""Discharge on real vitals (issue #11 item 5): pure checks of the session's recorded readings.

Two questions, each one line of the discharge checklist:

* ``vitals_schedule``: was every scheduled reading taken (the pre-dose reading, each
  ``[monitoring.vitals] at_minutes`` point such as the 40-minute BP of the SPRAVATO REMS schedule,
  and a pre-discharge reading with blood pressure no older than ``pre_discharge_vitals_minutes``)?
* ``vitals_limits``: is the latest reading of each vital inside the protocol's discharge limits
  (``[[discharge.vital_limits]]``) and below the safety floors (a hypertensive crisis never leaves)?

Either failing is ``needs_justification``: the client stays unless a prescriber documents why.
Pure Python, no clock: ``now`` is passed in.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta

from .inputs import InvalidInput, VitalsReading
from .protocol import Protocol
from .results import NEEDS_JUSTIFICATION, OK, CheckItem
from .shared import SafetyFloors, default_safety_floors

_OPS: Mapping[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
_WORDS = {">": "above", ">=": "at or above", "<": "below", "<=": "at or below"}
_UNITS = {
    "systolic": "mmHg",
    "diastolic": "mmHg",
    "heart_rate": "/min",
    "spo2": "%",
    "respiratory_rate": "/min",
}

Timed = tuple[datetime, VitalsReading]


def _fmt(value: float) -> str:
    return f"{value:g}"


def _hm(moment: datetime) -> str:
    return f"{moment:%H:%M}"


def _aware(moment: datetime, name: str) -> datetime:
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise InvalidInput(name, "must be a timezone-aware datetime")
    return moment


def _has_bp(reading: VitalsReading) -> bool:
    return reading.systolic is not None and reading.diastolic is not None


def _schedule_item(
    protocol: Protocol, dose_at: datetime, first_dose_at: datetime, now: datetime, taken: list[Timed]
) -> CheckItem:
    schedule = protocol.monitoring.vitals
    tolerance = timedelta(minutes=float(schedule.tolerance_minutes.value))
    missing: list[str] = []
    sources: list[str] = []
    clinic = False
    if schedule.pre_dose:
        window = timedelta(minutes=float(schedule.pre_dose_window_minutes.value))
        if not any(first_dose_at - window <= at <= first_dose_at for at, _ in taken):
            missing.append(f"pre-dose reading (within {_fmt(schedule.pre_dose_window_minutes.value)} min)")
    after = [at for at, _ in taken if at > first_dose_at]
    if schedule.at_minutes is not None:
        sources += schedule.at_minutes.provenance.sources
        clinic = clinic or schedule.at_minutes.provenance.clinic_setting
        # A timed reading counts from ``tolerance`` early until the next reading would be due (the
        # repeat interval; without one, ``tolerance`` late): a reading at two hours is not the
        # 40-minute check.
        late = timedelta(minutes=float(schedule.every_minutes.value)) if schedule.every_minutes else tolerance
        used: set[datetime] = set()
        for minutes in schedule.at_minutes.values:
            point = first_dose_at + timedelta(minutes=float(minutes))
            match = next(
                (at for at in after if point - tolerance <= at <= point + late and at not in used), None
            )
            if match is not None:
                used.add(match)
                continue
            missing.append(f"{_fmt(minutes)}-minute reading (due {_hm(point)})")
    recent = protocol.discharge.pre_discharge_vitals_minutes
    if recent is not None:
        sources += recent.provenance.sources
        clinic = clinic or recent.provenance.clinic_setting
        since = now - timedelta(minutes=float(recent.value))
        if not any(at >= since and at > dose_at and _has_bp(r) for at, r in taken):
            missing.append(
                f"pre-discharge reading with blood pressure (within the last {_fmt(recent.value)} min, "
                f"{recent.cite()})"
            )
    label = "Scheduled vital-sign readings recorded"
    refs = tuple(dict.fromkeys(sources))
    if missing:
        message = "never recorded: " + "; ".join(missing)
        return CheckItem("vitals_schedule", label, NEEDS_JUSTIFICATION, message, refs, clinic)
    return CheckItem("vitals_schedule", label, OK, "every scheduled reading recorded", refs, clinic)


def _limits_item(
    protocol: Protocol, dose_at: datetime, taken: list[Timed], floors: SafetyFloors
) -> CheckItem:
    latest: dict[str, tuple[datetime, float]] = {}
    for at, reading in taken:
        if at <= dose_at:
            continue
        for vital in _UNITS:
            value = getattr(reading, vital)
            if value is not None:
                latest[vital] = (at, float(value))  # ``taken`` is in time order: the last one wins
    breaches: list[str] = []
    sources: list[str] = []
    clinic = False
    for limit in protocol.discharge.vital_limits:
        sources += limit.value.provenance.sources
        clinic = clinic or limit.value.provenance.clinic_setting
        if limit.vital in latest:
            at, value = latest[limit.vital]
            if _OPS[limit.op](value, float(limit.value.value)):
                breaches.append(
                    f"{limit.vital.replace('_', ' ')} {_fmt(value)} {_UNITS[limit.vital]} at {_hm(at)} is "
                    f"{_WORDS[limit.op]} {_fmt(limit.value.value)} ({limit.label}; {limit.value.cite()})"
                )
    for floor in floors.floors:
        if floor.vital in latest:
            at, value = latest[floor.vital]
            if value >= float(floor.at_or_above):
                sources += floor.sources
                breaches.append(f"{floor.label}: {_fmt(value)} at {_hm(at)} (safety floor)")
    label = "Latest reading within the protocol's discharge limits"
    refs = tuple(dict.fromkeys(sources))
    if breaches:
        return CheckItem("vitals_limits", label, NEEDS_JUSTIFICATION, "; ".join(breaches), refs, clinic)
    if not latest:
        return CheckItem(
            "vitals_limits", label, NEEDS_JUSTIFICATION, "no reading after the dose", refs, clinic
        )
    return CheckItem("vitals_limits", label, OK, "latest readings within the limits", refs, clinic)


def check_discharge_vitals(
    protocol: Protocol,
    *,
    first_dose_at: datetime,
    last_dose_at: datetime,
    now: datetime,
    readings: Iterable[Timed],
    floors: SafetyFloors | None = None,
) -> tuple[CheckItem, CheckItem]:
    """The two vitals lines of the discharge checklist. ``readings`` are every reading of the
    session (pre-dose included) with the time each was taken; the schedule counts from the first
    dose, the pre-discharge reading and the limits look at readings after the last dose."""
    first = _aware(first_dose_at, "first_dose_at")
    last = _aware(last_dose_at, "last_dose_at")
    current = _aware(now, "now")
    taken = sorted(((_aware(at, "readings"), r) for at, r in readings), key=lambda pair: pair[0])
    taken = [(at, r) for at, r in taken if at <= current]
    return (
        _schedule_item(protocol, last, first, current, taken),
        _limits_item(protocol, last, taken, floors or default_safety_floors()),
    )
