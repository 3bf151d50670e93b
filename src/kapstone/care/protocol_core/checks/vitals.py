"""Vitals: refusing impossible readings, alerting on readings past the protocol's thresholds,
and the monitoring schedule (vitals and ratings due)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from .._toml import is_number
from ..inputs import InvalidInput, VitalsReading
from ..protocol import VITALS, Protocol, Schedule
from ..results import Alert, Due
from ..shared import VitalBounds, default_safety_floors, default_vital_bounds
from ._common import _OP_WORDS, _OPS, _aware, _fmt


def validate_reading(reading: VitalsReading, bounds: VitalBounds | None = None, *, prefix: str = "") -> None:
    """Refuse an impossible reading, naming the field (``InvalidInput``). Bounds are data."""
    bounds = bounds or default_vital_bounds()
    present = False
    for name in VITALS:
        value = getattr(reading, name)
        if value is None:
            continue
        bound = bounds.vitals[name]
        if not is_number(value):
            raise InvalidInput(prefix + name, f"{bound.label} must be a number (got {value!r})")
        if bound.integer and not float(value).is_integer():
            raise InvalidInput(prefix + name, f"{bound.label} must be a whole number (got {value!r})")
        if not bound.min <= value <= bound.max:
            raise InvalidInput(
                prefix + name,
                f"{bound.label} {_fmt(value)} {bound.unit} is impossible (accepted "
                f"{_fmt(bound.min)}-{_fmt(bound.max)} {bound.unit}): reading refused",
            )
        present = True
    for name in VITALS:
        bound = bounds.vitals[name]
        value, other = getattr(reading, name), getattr(reading, bound.below) if bound.below else None
        if value is not None and other is not None and value >= other:
            raise InvalidInput(
                prefix + name,
                f"{bound.label} {_fmt(value)} must be below the "
                f"{bounds.vitals[str(bound.below)].label.lower()} {_fmt(other)}: "
                "reading refused",
            )
    symptoms = reading.symptoms
    if not isinstance(symptoms, tuple | list) or not all(isinstance(s, str) and s for s in symptoms):
        raise InvalidInput(prefix + "symptoms", f"expected a list of symptom ids (got {symptoms!r})")
    if not present and not symptoms:
        raise InvalidInput(prefix.rstrip(".") or "reading", "no vital sign or symptom recorded")


def check_vitals(
    protocol: Protocol,
    reading: VitalsReading,
    baseline: VitalsReading | None = None,
    *,
    bounds: VitalBounds | None = None,
) -> list[Alert]:
    """Alerts for one in-session reading. Raises ``InvalidInput`` for an impossible reading.

    Hypertensive-emergency symptoms ALWAYS alert, whatever the readings. Alerts relative to the
    pre-dose ``baseline`` ask for review when there is no baseline to compare with.
    """
    validate_reading(reading, bounds)
    if baseline is not None:
        validate_reading(baseline, bounds, prefix="baseline.")
    emergency = protocol.hypertensive_emergency
    known = {s.id: s for s in emergency.symptoms}
    alerts: list[Alert] = []

    def alert(
        code: str,
        severity: str,
        message: str,
        *,
        action: str | None = None,
        vital: str | None = None,
        value: float | None = None,
        threshold: float | None = None,
        sources: tuple[str, ...] = (),
        clinic: bool = False,
        why: str,
    ) -> None:
        alerts.append(
            Alert(
                protocol.id,
                protocol.version,
                code,
                severity,
                message,
                action,
                vital,
                value,
                threshold,
                sources,
                clinic,
                why,
            )
        )

    for symptom in dict.fromkeys(reading.symptoms):
        if symptom in known:
            alert(
                "hypertensive_emergency",
                "emergency",
                f"{known[symptom].label}: possible hypertensive emergency. {emergency.action}",
                action=emergency.action,
                sources=emergency.provenance.sources,
                why=f"symptom {symptom!r} always alerts, whatever the readings "
                f"({emergency.provenance.cite()})",
            )
        else:
            alert(
                "unrecognised_symptom",
                "review",
                f"symptom {symptom!r} is not on this protocol's hypertensive-emergency list: "
                "a clinician must "
                "assess it now",
                why="an unrecognised symptom is never ignored (fail closed)",
            )
    for rule in protocol.alerts:
        value = getattr(reading, rule.vital)
        if value is None:
            continue
        threshold = float(rule.value.value)
        provenance = rule.value.provenance
        if rule.from_baseline:
            base = getattr(baseline, rule.vital) if baseline is not None else None
            if base is None:
                alert(
                    "baseline_missing",
                    "review",
                    f"no pre-dose {rule.vital} to compare with: cannot evaluate '{rule.label}'; "
                    "assess clinically",
                    action=rule.action,
                    vital=rule.vital,
                    value=float(value),
                    sources=provenance.sources,
                    clinic=provenance.clinic_setting,
                    why=f"alert {rule.id} needs a pre-dose baseline",
                )
                continue
            subject = float(value) - float(base)
            described = f"{rule.vital} {_fmt(value)} (pre-dose {_fmt(base)}, change {subject:+g})"
        else:
            subject = float(value)
            described = f"{rule.vital} {_fmt(value)}"
        if _OPS[rule.op](subject, threshold):
            alert(
                rule.id,
                rule.severity,
                f"{rule.label}: {described}. {rule.action}",
                action=rule.action,
                vital=rule.vital,
                value=float(value),
                threshold=threshold,
                sources=provenance.sources,
                clinic=provenance.clinic_setting,
                why=f"{rule.vital}{' change' if rule.from_baseline else ''} {_OP_WORDS[rule.op]} "
                f"{_fmt(rule.value.value)} ({rule.value.cite()})",
            )
    for floor in default_safety_floors().floors:
        value = getattr(reading, floor.vital)
        covered = any(a.vital == floor.vital and a.severity in ("urgent", "emergency") for a in alerts)
        if value is None or covered or float(value) < float(floor.at_or_above):
            continue
        alert(
            "safety_floor",
            "urgent",
            f"{floor.label}: {floor.vital} {_fmt(value)}. {floor.action}",
            action=floor.action,
            vital=floor.vital,
            value=float(value),
            threshold=float(floor.at_or_above),
            sources=floor.sources,
            why=f"safety floor: {floor.vital} at or above {_fmt(floor.at_or_above)} always alerts, "
            "whatever the protocol's own thresholds",
        )
    return alerts


def vitals_due(
    protocol: Protocol, dose_time: datetime, readings_times: Iterable[datetime], now: datetime
) -> Due:
    """When the next vital-sign reading is due, and whether it is overdue."""
    return _due(protocol, protocol.monitoring.vitals, "vitals", dose_time, readings_times, now)


def ratings_due(
    protocol: Protocol, dose_time: datetime, ratings_times: Iterable[datetime], now: datetime
) -> Due:
    """As ``vitals_due``, for the dissociation/sedation ratings schedule."""
    schedule = protocol.monitoring.ratings
    if schedule is None:
        _aware(dose_time, "dose_time")
        _aware(now, "now")
        return Due(
            protocol.id,
            protocol.version,
            "ratings",
            None,
            "no ratings schedule in this protocol",
            False,
            (),
            "the protocol defines no ratings schedule",
        )
    return _due(protocol, schedule, "ratings", dose_time, ratings_times, now)


def _due(
    protocol: Protocol,
    schedule: Schedule,
    kind: str,
    dose_time: datetime,
    times: Iterable[datetime],
    now: datetime,
) -> Due:
    dose_at = _aware(dose_time, "dose_time")
    current = _aware(now, "now")
    taken = sorted(_aware(t, f"readings_times[{i}]") for i, t in enumerate(times))
    tolerance = timedelta(minutes=float(schedule.tolerance_minutes.value))
    missed: list[str] = []

    def due(at: datetime | None, label: str, why: str) -> Due:
        overdue = at is not None and current > at + tolerance
        return Due(protocol.id, protocol.version, kind, at, label, overdue, tuple(missed), why)

    if schedule.pre_dose:
        window = timedelta(minutes=float(schedule.pre_dose_window_minutes.value))
        if not any(dose_at - window <= t <= dose_at for t in taken):
            if current <= dose_at:
                return due(
                    dose_at,
                    "pre-dose",
                    f"a pre-dose {kind} reading within {_fmt(schedule.pre_dose_window_minutes.value)} min "
                    f"before the dose ({schedule.pre_dose_window_minutes.cite()})",
                )
            missed.append("pre-dose")
    after = [t for t in taken if t > dose_at]
    index = 0
    if schedule.at_minutes is not None:
        for minutes in schedule.at_minutes.values:
            point = dose_at + timedelta(minutes=float(minutes))
            while index < len(after) and after[index] < point - tolerance:
                index += 1
            if index < len(after):
                index += 1
                continue
            return due(
                point,
                f"{_fmt(minutes)} min after the dose",
                f"{kind} at {_fmt(minutes)} min after the dose ({schedule.at_minutes.provenance.cite()})",
            )
    if schedule.every_minutes is None:
        return due(
            None,
            "no further scheduled reading: as clinically warranted",
            "the protocol schedules no further readings",
        )
    base = after[-1] if after else dose_at
    every = schedule.every_minutes
    return due(
        base + timedelta(minutes=float(every.value)),
        f"every {_fmt(every.value)} min until discharge",
        f"{kind} every {_fmt(every.value)} min after the last one until discharge ({every.cite()})",
    )
