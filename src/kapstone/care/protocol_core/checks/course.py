"""Course progression: the dose number's stage limits, the interval between dosing sessions and
the next step of a course."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from ..inputs import CourseState, DoseContext, InvalidInput
from ..protocol import HARD_STOP as LIMIT_HARD_STOP
from ..protocol import Protocol
from ..results import HARD_STOP, NEEDS_JUSTIFICATION, OK, IntervalCheck, NextStep
from ._common import _aware, _consequence, _Findings, _fmt, _positive, _result_level, _when


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
