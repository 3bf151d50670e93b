"""Pre-dose go / no-go: interval, fasting, vitals, medications, attestations, mood and the
current-state questions. Every missing item is a no-go (fail closed)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from ..inputs import InvalidInput, MoodCheck, PreDoseChecklist, VitalsReading
from ..protocol import HARD_STOP as LIMIT_HARD_STOP
from ..protocol import Protocol, Value
from ..results import GO, HARD_STOP, NEEDS_JUSTIFICATION, NO_GO, NOTED, OK, CheckItem, GoNoGo
from ..shared import VitalBounds, default_current_state
from ._common import _OPS, _aware, _fmt, _when
from .course import check_interval
from .vitals import validate_reading


def _limit_status(level: str) -> str:
    return NO_GO if level == LIMIT_HARD_STOP else NEEDS_JUSTIFICATION


def check_pre_dose(
    protocol: Protocol, checklist: PreDoseChecklist, *, bounds: VitalBounds | None = None
) -> GoNoGo:
    """Go / no-go before dosing. Every missing item is a no-go (fail closed)."""
    items: list[CheckItem] = []

    def add(
        ident: str, label: str, status: str, message: str, sources: tuple[str, ...] = (), clinic: bool = False
    ) -> None:
        items.append(CheckItem(ident, label, status, message, sources, clinic))

    try:
        planned: datetime | None = _aware(checklist.planned_dose_at, "planned_dose_at")
    except InvalidInput as exc:
        planned = None
        add("planned_dose_at", "Planned dose time", NO_GO, f"planned_dose_at {exc.detail}")
    _fasting(protocol, checklist.last_food_at, planned, "food", protocol.fasting.food_hours, 3600, "h", add)
    _fasting(
        protocol,
        checklist.last_liquid_at,
        planned,
        "liquids",
        protocol.fasting.liquid_minutes,
        60,
        "min",
        add,
    )
    _pre_dose_vitals(protocol, checklist.vitals, bounds, add)
    _medications(protocol, checklist, add)
    _attestations(protocol, checklist.attestations, add)
    _mood(protocol, checklist.mood_check, add)
    _interval(protocol, checklist, planned, add)
    _current_state(checklist.current_state, add)

    statuses = {i.status for i in items}
    decision = NO_GO if NO_GO in statuses else NEEDS_JUSTIFICATION if NEEDS_JUSTIFICATION in statuses else GO
    if decision == GO:
        rationale = "go: every pre-dose item is present and within the protocol"
    else:
        flagged = [f"{i.label}: {i.message}" for i in items if i.status in (NO_GO, NEEDS_JUSTIFICATION)]
        head = "no go" if decision == NO_GO else "needs a documented prescriber justification"
        rationale = f"{head}: " + "; ".join(flagged)
    noted = [f"{i.label}: {i.message}" for i in items if i.status == NOTED]
    if noted:
        rationale += "; noted: " + "; ".join(noted)
    return GoNoGo(protocol.id, protocol.version, decision, tuple(items), rationale)


_Add = Callable[..., None]


def _current_state(answers: Mapping[str, bool | None], add: _Add) -> None:
    """Current psychosis / mania, asked today: yes is a no-go or needs a prescriber's reason (per
    ``shared/current_state.toml``); not asked is a no-go."""
    for question in default_current_state().questions:
        value = answers.get(question.id)
        if value is None:
            add(question.id, question.label, NO_GO, "not asked today", question.sources)
        elif value is True:
            status = NO_GO if question.if_yes == "no_go" else NEEDS_JUSTIFICATION
            add(question.id, question.label, status, question.message, question.sources)
        elif value is False:
            add(question.id, question.label, OK, "asked: none now", question.sources)
        else:
            add(question.id, question.label, NO_GO, f"expected yes or no (got {value!r})", question.sources)


def _interval(protocol: Protocol, checklist: PreDoseChecklist, planned: datetime | None, add: _Add) -> None:
    """The minimum interval since the previous dosing session, named in the go/no-go."""
    label = "Minimum interval since the previous dosing session"
    number = checklist.dose_number
    if number is None or isinstance(number, bool) or not isinstance(number, int) or number < 1:
        add("min_interval", label, NO_GO, "which dose of the course this is was not given: cannot check")
        return
    if planned is None:
        add("min_interval", label, NO_GO, "no planned dose time: cannot check")
        return
    if checklist.previous_dosing_at is None:
        if number > 1:
            add("min_interval", label, NO_GO, f"dose {number}, but the previous dose's time was not given")
        else:
            add("min_interval", label, OK, "first dose of the course: no interval to keep")
        return
    try:
        check = check_interval(protocol, checklist.previous_dosing_at, planned, dose_number=number)
    except InvalidInput as exc:
        add("min_interval", label, NO_GO, f"previous_dosing_at {exc.detail}")
        return
    status = OK if check.ok else NO_GO if check.level == HARD_STOP else NEEDS_JUSTIFICATION
    add("min_interval", label, status, check.rationale, check.sources, check.clinic_setting)


def _fasting(
    protocol: Protocol,
    last: datetime | None,
    planned: datetime | None,
    what: str,
    limit: Value,
    seconds: int,
    unit: str,
    add: _Add,
) -> None:
    ident, label = f"fasting_{what}", f"Fasting ({what})"
    prov = limit.provenance
    if last is None:
        add(ident, label, NO_GO, f"time of last {what} not recorded", prov.sources, prov.clinic_setting)
        return
    try:
        last = _aware(last, f"last_{'food' if what == 'food' else 'liquid'}_at")
    except InvalidInput as exc:
        add(ident, label, NO_GO, f"{exc.field} {exc.detail}", prov.sources, prov.clinic_setting)
        return
    if planned is None:
        add(
            ident,
            label,
            NO_GO,
            "cannot check without a valid planned dose time",
            prov.sources,
            prov.clinic_setting,
        )
        return
    elapsed = (planned - last).total_seconds() / seconds
    if elapsed < 0:
        add(
            ident,
            label,
            NO_GO,
            f"last {what} at {_when(last)} is after the planned dose time",
            prov.sources,
            prov.clinic_setting,
        )
        return
    rule = f"the protocol asks for {_fmt(limit.value)} {unit} ({limit.cite()})"
    if elapsed < float(limit.value):
        status = _limit_status(limit.level)
        add(
            ident,
            label,
            status,
            f"last {what} {_fmt(round(elapsed, 1))} {unit} before the planned dose; {rule}",
            prov.sources,
            prov.clinic_setting,
        )
    else:
        add(
            ident,
            label,
            OK,
            f"last {what} {_fmt(round(elapsed, 1))} {unit} before the planned dose; {rule}",
            prov.sources,
            prov.clinic_setting,
        )


def _pre_dose_vitals(
    protocol: Protocol, reading: VitalsReading | None, bounds: VitalBounds | None, add: _Add
) -> None:
    if reading is None:
        add("vitals", "Pre-dose vitals", NO_GO, "pre-dose vitals not recorded")
        return
    try:
        validate_reading(reading, bounds)
    except InvalidInput as exc:
        add(f"vitals.{exc.field}", "Pre-dose vitals", NO_GO, f"{exc.field}: {exc.detail}")
        return
    for vital in protocol.pre_dose.required_vitals:
        if getattr(reading, vital) is None:
            add(f"vitals.{vital}", "Pre-dose vitals", NO_GO, f"pre-dose {vital} not recorded")
    emergency = protocol.hypertensive_emergency
    known = {s.id: s.label for s in emergency.symptoms}
    for symptom in dict.fromkeys(reading.symptoms):
        if symptom in known:
            add(
                f"symptom.{symptom}",
                "Hypertensive-emergency symptom",
                NO_GO,
                f"{known[symptom]}: {emergency.action}",
                emergency.provenance.sources,
            )
        else:
            add(
                f"symptom.{symptom}",
                "Symptom reported",
                NEEDS_JUSTIFICATION,
                f"symptom {symptom!r} is not on the protocol's list: "
                "a clinician must assess it before dosing",
            )
    for limit in protocol.pre_dose.vital_limits:
        value = getattr(reading, limit.vital)
        if value is None:
            continue
        prov = limit.value.provenance
        described = (
            f"{limit.vital} {_fmt(value)}, limit {limit.op} {_fmt(limit.value.value)} ({limit.value.cite()})"
        )
        if _OPS[limit.op](float(value), float(limit.value.value)):
            add(
                f"vital_limit.{limit.id}",
                limit.label,
                _limit_status(limit.value.level),
                described,
                prov.sources,
                prov.clinic_setting,
            )
        else:
            add(f"vital_limit.{limit.id}", limit.label, OK, described, prov.sources, prov.clinic_setting)


def _medications(protocol: Protocol, checklist: PreDoseChecklist, add: _Add) -> None:
    if checklist.medications_reviewed is not True:
        add("medications", "Same-day medications", NO_GO, "same-day medication review not recorded")
        return
    classes = {m.id: m for m in protocol.pre_dose.medications}
    if not checklist.same_day_medications:
        add(
            "medications",
            "Same-day medications",
            OK,
            f"reviewed: none of {', '.join(classes) or 'the listed classes'} taken today",
        )
    for taken in dict.fromkeys(checklist.same_day_medications):
        med = classes.get(taken)
        if med is None:
            add(
                f"medication.{taken}",
                "Same-day medication",
                NEEDS_JUSTIFICATION,
                f"{taken!r} is not a medication class this protocol knows: prescriber review",
            )
            continue
        status = {"noted": NOTED}.get(med.level) or _limit_status(med.level)
        add(
            f"medication.{med.id}",
            med.label,
            status,
            f"{med.provenance.note or med.label} ({med.provenance.cite()})",
            med.provenance.sources,
            med.provenance.clinic_setting,
        )


def _attestations(protocol: Protocol, given: Mapping[str, bool | None], add: _Add) -> None:
    expected = {a.id for a in protocol.pre_dose.attestations}
    for attestation in protocol.pre_dose.attestations:
        value = given.get(attestation.id)
        prov = attestation.provenance
        if value is True:
            add(
                f"attestation.{attestation.id}",
                attestation.label,
                OK,
                "confirmed",
                prov.sources,
                prov.clinic_setting,
            )
        elif value is False:
            add(
                f"attestation.{attestation.id}",
                attestation.label,
                NO_GO,
                "not met",
                prov.sources,
                prov.clinic_setting,
            )
        else:
            add(
                f"attestation.{attestation.id}",
                attestation.label,
                NO_GO,
                "missing" if value is None else f"expected true or false (got {value!r})",
                prov.sources,
                prov.clinic_setting,
            )
    for extra in sorted(set(given) - expected):
        add(
            f"attestation.{extra}",
            "Unknown checklist item",
            NO_GO,
            f"{extra!r} is not a pre-dose item of this protocol ({', '.join(sorted(expected))}): "
            "check the form",
        )


def _mood(protocol: Protocol, check: MoodCheck | None, add: _Add) -> None:
    rule = protocol.pre_dose.mood_check
    prov = rule.provenance
    if check is None or check.done is not True:
        add("mood_check", rule.label, NO_GO, "not done", prov.sources, prov.clinic_setting)
        return
    results = {r.id: r for r in rule.results}
    if check.result is None or check.result not in results:
        detail = (
            "result missing"
            if check.result is None
            else (f"result {check.result!r} is not one of {', '.join(results)}")
        )
        add("mood_check", rule.label, NO_GO, detail, prov.sources, prov.clinic_setting)
        return
    result = results[check.result]
    status = {"ok": OK, "noted": NOTED}.get(result.level) or _limit_status(result.level)
    add(
        "mood_check", rule.label, status, f"{result.label} ({prov.cite()})", prov.sources, prov.clinic_setting
    )
