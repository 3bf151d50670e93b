"""The protocol checks: pure functions of a ``Protocol`` and plain inputs.

The prescriber decides the dose; these functions check what was decided against the clinic's
protocol and say why. They fail closed: missing or impossible input gives an explicit refusal,
"cannot check" or "no go", never a guess. Pure Python, no Django, no clock: ``now`` is passed in.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta

from ._toml import is_number
from .ceiling import check_ceiling
from .definition import HARD_STOP as LIMIT_HARD_STOP
from .definition import VITALS, Protocol, Schedule, Value
from .inputs import (
    CourseState,
    DoseContext,
    DoseInput,
    InvalidInput,
    MoodCheck,
    PreDoseChecklist,
    VitalsReading,
)
from .results import (
    GO,
    HARD_STOP,
    LEVEL_RANK,
    NEEDS_JUSTIFICATION,
    NO_GO,
    NOTED,
    OK,
    Alert,
    CheckItem,
    DischargeCheck,
    DoseCheck,
    Due,
    Finding,
    GoNoGo,
    IntervalCheck,
    NextStep,
)
from .shared import VitalBounds, default_current_state, default_safety_floors, default_vital_bounds

__all__ = [
    "check_discharge",
    "check_dose",
    "check_interval",
    "check_pre_dose",
    "check_vitals",
    "next_step",
    "ratings_due",
    "validate_reading",
    "vitals_due",
]

_OPS: Mapping[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
_OP_WORDS = {">": "above", ">=": "at or above", "<": "below", "<=": "at or below"}
_REL = 1e-9  # relative tolerance when comparing a computed dose with a limit (floating point only)


def _fmt(value: float) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M %Z").strip()


def _aware(moment: object, name: str) -> datetime:
    if not isinstance(moment, datetime):
        raise InvalidInput(name, f"expected a date and time, got {moment!r}")
    if moment.utcoffset() is None:
        raise InvalidInput(name, "must be timezone-aware (a time without a zone is ambiguous)")
    return moment


def _result_level(limit: Value) -> str:
    return HARD_STOP if limit.level == LIMIT_HARD_STOP else NEEDS_JUSTIFICATION


def _consequence(level: str) -> str:
    if level == HARD_STOP:
        return "hard stop: not to be given under this protocol"
    return "outside protocol: the prescriber must document a justification"


def _worst(levels: Iterable[str]) -> str:
    return max(levels, key=LEVEL_RANK.__getitem__, default=OK)


# --------------------------------------------------------------------------------------------
# Dose
# --------------------------------------------------------------------------------------------


class _Findings:
    def __init__(self) -> None:
        self.items: list[Finding] = []
        self.complete = True

    def add(self, code: str, level: str, message: str, **extra: object) -> None:
        self.items.append(Finding(code, level, message, **extra))  # type: ignore[arg-type]

    def missing(self, code: str, message: str) -> None:
        self.complete = False
        self.add(code, HARD_STOP, f"cannot check: {message}")

    def limit(
        self,
        code: str,
        limit: Value | None,
        actual: float | None,
        unit: str,
        what: str,
        label: str,
        *,
        upper: bool = True,
        extra: str = "",
    ) -> None:
        """Compare ``actual`` with ``limit`` (an upper bound unless ``upper`` is false)."""
        if limit is None or actual is None:
            return
        bound = float(limit.value)
        breached = actual > bound * (1 + _REL) if upper else actual < bound * (1 - _REL)
        cite = limit.cite()
        common = {
            "limit": limit.field,
            "limit_value": bound,
            "actual": actual,
            "unit": unit,
            "sources": limit.provenance.sources,
            "clinic_setting": limit.provenance.clinic_setting,
        }
        if breached:
            level = _result_level(limit)
            side = "above" if upper else "below"
            self.add(
                code,
                level,
                f"{what} {_fmt(actual)} {unit} is {side} {label} of {_fmt(limit.value)} {unit} "
                f"({cite}){extra}; {_consequence(level)}",
                **common,
            )
        else:
            self.add(
                code,
                OK,
                f"{what} {_fmt(actual)} {unit} is within {label} of {_fmt(limit.value)} {unit} "
                f"({cite}){extra}",
                **common,
            )


def _positive(value: object) -> bool:
    return is_number(value) and float(value) > 0  # type: ignore[arg-type]


def check_dose(  # noqa: C901 - one case per rule; listed in issue #10 to split
    protocol: Protocol,
    dose: DoseInput,
    context: DoseContext | None = None,
    *,
    bounds: VitalBounds | None = None,
) -> DoseCheck:
    """Check one dose against the protocol. Never raises for bad input: it is refused in the result."""
    bounds = bounds or default_vital_bounds()
    context = context or DoseContext()
    found = _Findings()

    def result(
        *,
        refused: bool = False,
        mg_per_kg: float | None = None,
        total: float | None = None,
        total_per_kg: float | None = None,
        devices: int | None = None,
    ) -> DoseCheck:
        level = _worst(f.level for f in found.items)
        problems = [f.message for f in found.items if f.level != OK]
        if problems:
            rationale = "; ".join(problems)
        else:
            rationale = f"within protocol {protocol.id} {protocol.version}: every rule checked"
        return DoseCheck(
            protocol.id,
            protocol.version,
            level,
            found.complete and not refused,
            refused,
            dose.amount_mg if not refused or _positive(dose.amount_mg) else None,
            dose.weight_kg if _positive(dose.weight_kg) else None,
            mg_per_kg,
            total,
            total_per_kg,
            devices,
            tuple(found.items),
            rationale,
        )

    # 1. The input itself. A unit other than mg is refused, never converted.
    if dose.unit != "mg":
        found.add(
            "unit_not_mg",
            HARD_STOP,
            f"dose unit must be mg (got {dose.unit!r}): record the dose in milligrams; "
            "the system never converts units by guess",
        )
        return result(refused=True)
    if not _positive(dose.amount_mg):
        found.add(
            "invalid_amount", HARD_STOP, f"amount_mg must be a number greater than 0 (got {dose.amount_mg!r})"
        )
        return result(refused=True)
    weight_bound = bounds.weight
    if dose.weight_kg is not None and not (
        is_number(dose.weight_kg) and weight_bound.min <= dose.weight_kg <= weight_bound.max
    ):
        found.add(
            "invalid_weight",
            HARD_STOP,
            f"weight_kg must be a number from {_fmt(weight_bound.min)} to {_fmt(weight_bound.max)} kg "
            f"(got {dose.weight_kg!r}): check the entry (kilograms, not pounds)",
        )
        return result(refused=True)
    for index, prior in enumerate(dose.prior_doses_mg):
        if not _positive(prior):
            found.add(
                "invalid_prior_dose",
                HARD_STOP,
                f"prior_doses_mg[{index}] must be a number greater than 0 (got {prior!r})",
            )
            return result(refused=True)

    amount = float(dose.amount_mg)
    weight = float(dose.weight_kg) if dose.weight_kg is not None else None
    mg_per_kg = amount / weight if weight is not None else None
    total = amount + sum(float(p) for p in dose.prior_doses_mg)
    total_per_kg = total / weight if weight is not None else None

    # 2. Route and product: a dose for another route cannot be checked against this protocol.
    if dose.route not in protocol.routes:
        found.add(
            "route_mismatch",
            HARD_STOP,
            f"route {dose.route!r} is not this protocol's route ({', '.join(protocol.routes)}): "
            "check the dose against a protocol for that route",
        )
    else:
        found.add("route", OK, f"route {dose.route} matches the protocol")
    if dose.product is not None and dose.product != protocol.product:
        found.add(
            "product_mismatch",
            HARD_STOP,
            f"product {dose.product!r} is not this protocol's product ({protocol.product}): "
            "esketamine and racemic ketamine doses are not interchangeable",
        )
    if protocol.uses_weight and weight is None:
        found.missing("weight_required", "weight_kg is required: this protocol has mg/kg limits")

    # 3. Single-administration and per-session bounds.
    bounds_ = protocol.dose
    if not dose.is_booster:
        found.limit("min_mg", bounds_.min_mg, amount, "mg", "dose", "the protocol minimum", upper=False)
        found.limit(
            "min_mg_per_kg",
            bounds_.min_mg_per_kg,
            mg_per_kg,
            "mg/kg",
            "dose",
            "the protocol minimum",
            upper=False,
        )
    found.limit("max_mg", bounds_.max_mg, amount, "mg", "dose", "the maximum single dose")
    found.limit("max_mg_per_kg", bounds_.max_mg_per_kg, mg_per_kg, "mg/kg", "dose", "the maximum single dose")
    found.limit(
        "per_session_max_mg",
        bounds_.per_session_max_mg,
        total,
        "mg",
        "session total",
        "the per-session maximum (boosters included)",
    )
    found.limit(
        "per_session_max_mg_per_kg",
        bounds_.per_session_max_mg_per_kg,
        total_per_kg,
        "mg/kg",
        "session total",
        "the per-session maximum (boosters included)",
    )
    if bounds_.multiple_of_mg is not None:
        step = float(bounds_.multiple_of_mg.value)
        count = amount / step
        limit = bounds_.multiple_of_mg
        common = {
            "limit": limit.field,
            "limit_value": step,
            "actual": amount,
            "unit": "mg",
            "sources": limit.provenance.sources,
            "clinic_setting": limit.provenance.clinic_setting,
        }
        if abs(count - round(count)) > 1e-6:
            level = _result_level(limit)
            found.add(
                "multiple_of_mg",
                level,
                f"dose {_fmt(amount)} mg is not a whole multiple of "
                f"{_fmt(limit.value)} mg ({limit.cite()}); {_consequence(level)}",
                **common,
            )
        else:
            found.add(
                "multiple_of_mg",
                OK,
                f"dose {_fmt(amount)} mg is a whole multiple of {_fmt(limit.value)} mg ({limit.cite()})",
                **common,
            )

    reference: float | None
    if dose.is_booster and dose.prior_doses_mg:
        reference, ref_label = float(dose.prior_doses_mg[0]), "this session's first dose"
    else:
        reference, ref_label = context.previous_dose_mg, "the previous session's dose"
    capped, capped_complete = check_ceiling(
        protocol,
        amount=amount,
        mg_per_kg=mg_per_kg,
        total=total,
        total_per_kg=total_per_kg,
        reference_mg=float(reference) if reference is not None and _positive(reference) else None,
        reference_label=ref_label,
    )
    found.items.extend(capped)
    found.complete = found.complete and capped_complete
    devices = _devices(protocol, amount, found)
    _tier(protocol, dose, amount, mg_per_kg, found)
    if dose.is_booster:
        _booster(protocol, dose, amount, mg_per_kg, found)
    else:
        if dose.prior_doses_mg:
            found.add(
                "booster_flag",
                HARD_STOP,
                f"{len(dose.prior_doses_mg)} dose(s) were already given this session: a further dose is a "
                "booster (set is_booster), so that the booster rules are checked",
            )
        _course(protocol, amount, mg_per_kg, weight, context, found)
    return result(mg_per_kg=mg_per_kg, total=total, total_per_kg=total_per_kg, devices=devices)


def _devices(protocol: Protocol, amount: float, found: _Findings) -> int | None:
    admin = protocol.administration
    if admin is None or admin.device_mg is None:
        return None
    count = amount / float(admin.device_mg.value)
    if abs(count - round(count)) > 1e-6:
        return None  # the multiple_of_mg rule reports it
    devices = round(count)
    rest = ""
    if admin.rest_between_devices_minutes is not None and devices > 1:
        rest = f", {_fmt(admin.rest_between_devices_minutes.value)}-minute rest between devices"
    found.add(
        "devices",
        OK,
        f"{_fmt(amount)} mg = {devices} device(s) of {_fmt(admin.device_mg.value)} mg{rest} "
        f"({admin.device_mg.cite()})",
        limit=admin.device_mg.field,
        limit_value=float(admin.device_mg.value),
        actual=amount,
        unit="mg",
        sources=admin.device_mg.provenance.sources,
    )
    return devices


def _tier(
    protocol: Protocol, dose: DoseInput, amount: float, mg_per_kg: float | None, found: _Findings
) -> None:
    if dose.tier is None:
        if protocol.tiers and not dose.is_booster:
            found.add(
                "tier_missing",
                NEEDS_JUSTIFICATION,
                f"no dose tier given ({', '.join(t.id for t in protocol.tiers)}): the dose cannot be checked "
                "against a tier range; the prescriber must name the tier or justify",
            )
        return
    tier = protocol.tier(dose.tier)
    if tier is None:
        known = ", ".join(t.id for t in protocol.tiers) or "none"
        found.add(
            "unknown_tier", HARD_STOP, f"tier {dose.tier!r} is not defined by this protocol (tiers: {known})"
        )
        return
    if dose.is_booster:
        return  # tier ranges describe the session's first dose; boosters have their own rules
    label = f"the {tier.id} tier"
    found.limit(f"tier_{tier.id}_min_mg", tier.min_mg, amount, "mg", "dose", f"{label} minimum", upper=False)
    found.limit(f"tier_{tier.id}_max_mg", tier.max_mg, amount, "mg", "dose", f"{label} maximum")
    found.limit(
        f"tier_{tier.id}_min_mg_per_kg",
        tier.min_mg_per_kg,
        mg_per_kg,
        "mg/kg",
        "dose",
        f"{label} minimum",
        upper=False,
    )
    found.limit(
        f"tier_{tier.id}_max_mg_per_kg", tier.max_mg_per_kg, mg_per_kg, "mg/kg", "dose", f"{label} maximum"
    )


def _booster(
    protocol: Protocol, dose: DoseInput, amount: float, mg_per_kg: float | None, found: _Findings
) -> None:
    rules = protocol.booster
    level = HARD_STOP if rules.level == LIMIT_HARD_STOP else NEEDS_JUSTIFICATION
    cite = rules.provenance.cite()
    if not rules.allowed:
        found.add(
            "booster_not_allowed",
            level,
            f"this protocol allows no booster dose ({cite}); {_consequence(level)}",
            sources=rules.provenance.sources,
            clinic_setting=rules.provenance.clinic_setting,
        )
        return
    if not dose.prior_doses_mg:
        found.add(
            "booster_without_first_dose",
            HARD_STOP,
            "a booster needs the session's earlier dose(s) in prior_doses_mg; none were given",
        )
        return
    assert rules.max_count is not None  # the loader requires it when boosters are allowed
    number = len(dose.prior_doses_mg)  # prior = first dose + earlier boosters
    found.limit(
        "booster_max_count",
        _with_level(rules.max_count, rules.level),
        float(number),
        "booster(s)",
        "booster number",
        "the maximum number of boosters",
    )
    if rules.min_minutes_after_first_dose is not None:
        minutes = dose.minutes_since_first_dose
        if minutes is None:
            found.missing(
                "booster_timing_missing", "minutes_since_first_dose is required to check the booster timing"
            )
        elif not is_number(minutes) or minutes < 0:
            found.add(
                "invalid_booster_timing",
                HARD_STOP,
                f"minutes_since_first_dose must be a number of minutes, 0 or more (got {minutes!r})",
            )
        else:
            found.limit(
                "booster_min_minutes",
                _with_level(rules.min_minutes_after_first_dose, rules.level),
                float(minutes),
                "min",
                "booster",
                "the minimum time after the first dose",
                upper=False,
            )
    found.limit(
        "booster_max_mg",
        _with_level(rules.max_mg, rules.level),
        amount,
        "mg",
        "booster",
        "the booster maximum",
    )
    found.limit(
        "booster_max_mg_per_kg",
        _with_level(rules.max_mg_per_kg, rules.level),
        mg_per_kg,
        "mg/kg",
        "booster",
        "the booster maximum",
    )


def _with_level(value: Value | None, level: str) -> Value | None:
    if value is None:
        return None
    return Value(value.value, value.provenance, value.field, level)


def _course(  # noqa: C901 - one case per rule; listed in issue #10 to split
    protocol: Protocol,
    amount: float,
    mg_per_kg: float | None,
    weight: float | None,
    context: DoseContext,
    found: _Findings,
) -> None:
    number = context.dose_number
    if number is None:
        found.missing("missing_dose_number", "dose_number (this session's number in the course) is required")
        return
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        found.add(
            "invalid_dose_number", HARD_STOP, f"dose_number must be a whole number from 1 (got {number!r})"
        )
        return
    found.limit(
        "course_length",
        protocol.course.sessions,
        float(number),
        "session(s)",
        "dosing session number",
        "the course length",
    )
    titrates = protocol.titration.step_mg is not None or protocol.titration.step_mg_per_kg is not None
    if number == 1:
        if context.previous_session_at is not None or context.previous_dose_mg is not None:
            found.add(
                "inconsistent_context",
                HARD_STOP,
                "dose_number is 1 but a previous dosing session or dose is given: check the course record",
            )
        found.limit(
            "first_dose_max_mg",
            protocol.titration.first_dose_max_mg,
            amount,
            "mg",
            "first dose",
            "the first-dose maximum",
        )
        found.limit(
            "first_dose_max_mg_per_kg",
            protocol.titration.first_dose_max_mg_per_kg,
            mg_per_kg,
            "mg/kg",
            "first dose",
            "the first-dose maximum",
        )
        for rule in protocol.dose_rules:
            if math.isclose(amount, rule.dose_mg):
                level = HARD_STOP if rule.level == LIMIT_HARD_STOP else NEEDS_JUSTIFICATION
                found.add(
                    rule.id,
                    level,
                    f"{rule.message} ({rule.provenance.cite()}): {_fmt(amount)} mg cannot be "
                    f"the starting dose; {_consequence(level)}",
                    sources=rule.provenance.sources,
                    clinic_setting=rule.provenance.clinic_setting,
                )
        return

    # Interval since the previous dosing session.
    if context.previous_session_at is None or context.proposed_at is None:
        missing = "previous_session_at" if context.previous_session_at is None else "proposed_at"
        found.missing(
            f"missing_{missing}", f"{missing} is required to check the interval for dosing session {number}"
        )
    else:
        try:
            interval = check_interval(
                protocol, context.previous_session_at, context.proposed_at, dose_number=number
            )
        except InvalidInput as exc:
            found.add("invalid_context", HARD_STOP, f"{exc.field}: {exc.detail}")
        else:
            found.add(
                "interval",
                interval.level,
                interval.rationale,
                limit=interval.limit,
                limit_value=interval.min_interval_hours,
                actual=interval.hours_since,
                unit="h",
                sources=interval.sources,
                clinic_setting=interval.clinic_setting,
            )

    # Titration step and "only after a given start" rules need the previous dose.
    if not (titrates or protocol.dose_rules):
        return
    previous = context.previous_dose_mg
    if previous is None:
        found.missing(
            "missing_previous_dose_mg",
            "previous_dose_mg is required to check the titration step and the dose-sequence rules",
        )
        return
    if not _positive(previous):
        found.add(
            "invalid_context",
            HARD_STOP,
            f"previous_dose_mg must be a number greater than 0 (got {previous!r})",
        )
        return
    increase = amount - float(previous)
    if increase > 0:
        since = f"; previous session's dose {_fmt(previous)} mg"
        found.limit(
            "titration_step_mg",
            protocol.titration.step_mg,
            increase,
            "mg",
            "dose increase",
            "the titration step",
            extra=since,
        )
        found.limit(
            "titration_step_mg_per_kg",
            protocol.titration.step_mg_per_kg,
            increase / weight if weight is not None else None,
            "mg/kg",
            "dose increase",
            "the titration step",
            extra=since,
        )
    elif titrates:
        found.add("titration_step", OK, f"no increase from the previous session's {_fmt(previous)} mg")
    first = context.first_dose_mg
    for rule in protocol.dose_rules:
        if not math.isclose(amount, rule.dose_mg):
            continue
        if first is not None:
            satisfied = _positive(first) and math.isclose(float(first), rule.requires_start_mg)
            basis = f"the course started at {_fmt(first)} mg"
        else:
            satisfied = any(math.isclose(float(previous), v) for v in (rule.requires_start_mg, rule.dose_mg))
            basis = f"the previous session's dose was {_fmt(previous)} mg"
        common = {"sources": rule.provenance.sources, "clinic_setting": rule.provenance.clinic_setting}
        if satisfied:
            found.add(rule.id, OK, f"{rule.message} ({rule.provenance.cite()}): met, {basis}", **common)
        else:
            level = HARD_STOP if rule.level == LIMIT_HARD_STOP else NEEDS_JUSTIFICATION
            found.add(
                rule.id,
                level,
                f"{rule.message} ({rule.provenance.cite()}): not met, {basis}; {_consequence(level)}",
                **common,
            )


# --------------------------------------------------------------------------------------------
# Interval and course progression
# --------------------------------------------------------------------------------------------


def check_interval(
    protocol: Protocol,
    last_dosing_at: datetime | None,
    proposed_at: datetime,
    *,
    dose_number: int | None = None,
) -> IntervalCheck:
    """Is ``proposed_at`` far enough after the previous dosing session? ``dose_number`` picks the
    course stage (and its interval) where the protocol has stages."""
    proposed = _aware(proposed_at, "proposed_at")
    limit, stage = protocol.course.interval_for(dose_number)
    hours_needed = float(limit.value)
    stage_text = f" ({stage.label}: {stage.frequency})" if stage is not None else ""

    def result(level: str, hours: float | None, earliest: datetime | None, why: str) -> IntervalCheck:
        return IntervalCheck(
            protocol.id,
            protocol.version,
            level,
            hours,
            hours_needed,
            earliest,
            stage.id if stage is not None else None,
            limit.field,
            limit.provenance.sources,
            limit.provenance.clinic_setting,
            why,
        )

    if last_dosing_at is None:
        return result(OK, None, None, "no previous dosing session: no interval to keep")
    last = _aware(last_dosing_at, "last_dosing_at")
    hours = (proposed - last).total_seconds() / 3600
    earliest = last + timedelta(hours=hours_needed)
    minimum = f"the minimum interval{stage_text} is {_fmt(limit.value)} h ({limit.cite()})"
    if hours < 0:
        return result(
            HARD_STOP,
            hours,
            earliest,
            f"the proposed time {_when(proposed)} is before the previous dosing "
            f"session on {_when(last)}: check the dates",
        )
    if hours < hours_needed:
        level = _result_level(limit)
        return result(
            level,
            hours,
            earliest,
            f"only {_fmt(round(hours, 1))} h after the dosing session on {_when(last)}; {minimum}; "
            f"earliest {_when(earliest)}; {_consequence(level)}",
        )
    return result(
        OK, hours, earliest, f"{_fmt(round(hours, 1))} h after the dosing session on {_when(last)}; {minimum}"
    )


def next_step(protocol: Protocol, course_state: CourseState) -> NextStep:
    """The next required step of the course, as text a clinician can act on."""
    state = course_state
    now = _aware(state.now, "now")
    dosing = sorted(_aware(d, f"dosing_sessions[{i}]") for i, d in enumerate(state.dosing_sessions))
    integration = sorted(
        _aware(d, f"integration_sessions[{i}]") for i, d in enumerate(state.integration_sessions)
    )
    done = state.preparation_sessions_done
    if isinstance(done, bool) or not isinstance(done, int) or done < 0:
        raise InvalidInput("preparation_sessions_done", f"expected a whole number, 0 or more (got {done!r})")
    phases = protocol.phases
    prep = phases.preparation_sessions_before_first_dose

    def step(
        code: str,
        text: str,
        *,
        due_by: datetime | None = None,
        earliest: datetime | None = None,
        overdue: bool = False,
        outstanding: tuple[str, ...] = (),
        why: str = "",
    ) -> NextStep:
        return NextStep(
            protocol.id, protocol.version, code, text, due_by, earliest, overdue, outstanding, why or text
        )

    if not dosing and done < prep.value:
        return step(
            "preparation_required",
            f"preparation session required before the first dose ({done} of {_fmt(prep.value)} done)",
            why=f"{_fmt(prep.value)} preparation session(s) before the first dose ({prep.cite()})",
        )

    outstanding: list[str] = []
    if phases.integration_after_each_dose and dosing:
        window = phases.integration_within_hours
        for index, session in enumerate(dosing[:-1]):
            following = dosing[index + 1]
            if not any(session < t <= following for t in integration):
                outstanding.append(
                    f"no integration session was recorded after the dosing session on {_when(session)}"
                )
        last = dosing[-1]
        if not any(t > last for t in integration):
            due = last + timedelta(hours=float(window.value))
            late = now > due
            text = (
                f"integration session due within {_fmt(window.value)} h of the dosing session on "
                f"{_when(last)} "
                f"(by {_when(due)})" + (": overdue" if late else "")
            )
            return step(
                "integration_due",
                text,
                due_by=due,
                overdue=late,
                outstanding=tuple(outstanding),
                why=f"an integration session follows each dose within {_fmt(window.value)} h "
                f"({window.cite()})",
            )

    sessions = protocol.course.sessions
    count = len(dosing)
    if sessions is not None and count >= sessions.value:
        return step(
            "course_complete",
            f"course complete: {count} of {_fmt(sessions.value)} dosing sessions done; review the outcome "
            "measures and decide on maintenance or closing the course",
            outstanding=tuple(outstanding),
            why=f"course length {_fmt(sessions.value)} ({sessions.cite()})",
        )

    number = count + 1
    limit, stage = protocol.course.interval_for(number)
    of_total = f" of {_fmt(sessions.value)}" if sessions is not None else ""
    stage_text = f" ({stage.label}: {stage.frequency})" if stage is not None else ""
    previous_stage = protocol.course.stage_for(count) if count else None
    review = ""
    if previous_stage is not None and previous_stage.last_dose == count and previous_stage.review:
        review = previous_stage.review + " Then: "
    if not dosing:
        return step(
            "dosing_session",
            f"dosing session 1{of_total}{stage_text} may be scheduled "
            f"(preparation: {done} of {_fmt(prep.value)} done)",
            outstanding=tuple(outstanding),
        )
    earliest = dosing[-1] + timedelta(hours=float(limit.value))
    text = (
        f"{review}dosing session {number}{of_total}{stage_text} may be given from {_when(earliest)} "
        f"(minimum interval {_fmt(limit.value)} h, {limit.cite()})"
    )
    return step(
        "stage_review" if review else "dosing_session",
        text,
        earliest=earliest,
        outstanding=tuple(outstanding),
    )


# --------------------------------------------------------------------------------------------
# Vitals
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Pre-dose go / no-go
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Discharge
# --------------------------------------------------------------------------------------------


def check_discharge(
    protocol: Protocol, dose_time: datetime, now: datetime, checklist: Mapping[str, bool | None]
) -> DischargeCheck:
    """Ready to leave? ``dose_time`` is when the last dose of the session was started (a booster
    restarts the observation clock; for an infusion, its start). Every checklist item must be true."""
    dosed = _aware(dose_time, "dose_time")
    current = _aware(now, "now")
    if current < dosed:
        raise InvalidInput("now", "is before the dose time")
    minimum = protocol.discharge.min_observation_minutes
    earliest = dosed + timedelta(minutes=float(minimum.value))
    observed = (current - dosed).total_seconds() / 60
    items: list[CheckItem] = []
    prov = minimum.provenance
    label = f"At least {_fmt(minimum.value)} min observation"
    if current < earliest:
        items.append(
            CheckItem(
                "min_observation",
                label,
                NO_GO,
                f"observed {_fmt(round(observed, 1))} of {_fmt(minimum.value)} min ({minimum.cite()}); "
                f"discharge not before {_when(earliest)}",
                prov.sources,
                prov.clinic_setting,
            )
        )
    else:
        items.append(
            CheckItem(
                "min_observation",
                label,
                OK,
                f"observed {_fmt(round(observed, 1))} min ({minimum.cite()})",
                prov.sources,
                prov.clinic_setting,
            )
        )
    expected = {i.id for i in protocol.discharge.items}
    for item in protocol.discharge.items:
        value = checklist.get(item.id)
        iprov = item.provenance
        if value is True:
            status, message = OK, "confirmed"
        elif value is False:
            status, message = NO_GO, "not met"
        else:
            status, message = NO_GO, "missing" if value is None else f"expected true or false (got {value!r})"
        items.append(CheckItem(item.id, item.label, status, message, iprov.sources, iprov.clinic_setting))
    for extra in sorted(set(checklist) - expected):
        items.append(
            CheckItem(
                extra,
                "Unknown checklist item",
                NO_GO,
                f"{extra!r} is not a discharge item of this protocol: check the form",
            )
        )
    ready = all(i.status == OK for i in items)
    no_driving = protocol.discharge.no_driving.text()
    if ready:
        rationale = f"ready for discharge; {no_driving}"
    else:
        rationale = "not ready: " + "; ".join(f"{i.label}: {i.message}" for i in items if i.status != OK)
    return DischargeCheck(
        protocol.id,
        protocol.version,
        ready,
        earliest,
        observed,
        float(minimum.value),
        tuple(items),
        no_driving,
        rationale,
    )
