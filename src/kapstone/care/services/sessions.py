"""Sessions of a course: schedule, start, cancel, and the preparation and integration records."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction

from kapstone.access.policy import allows
from kapstone.care.models import (
    CareSession,
    Course,
    DosingDetail,
    IntegrationDetail,
    PreparationDetail,
)
from kapstone.care.protocol_core import (
    check_interval,
)
from kapstone.care.services._common import (
    NotReady,
    _audit,
    _authorize,
    _bump,
    _first_dose,
    _now,
    _require_kind,
    _require_open_course,
    _user,
    clearance_gaps,
    protocol_of,
    readiness_for,
)
from kapstone.care.vocabulary import MODALITIES, PSYCHOEDUCATION
from kapstone.core.actor import Actor
from kapstone.measures.services import schedule_event

if TYPE_CHECKING:
    from kapstone.accounts.models import User


def session_schedule(
    actor: Actor,
    course: Course,
    kind: str,
    scheduled_at: datetime,
    *,
    location: str = CareSession.Location.CLINIC,
    lead: User | None = None,
    follows: CareSession | None = None,
    interval_justification: str = "",
) -> CareSession:
    """Book a session. A dosing session is refused unless the client is ready (readiness contract) at
    the planned time, and too close to another dosing session of the course (the protocol's minimum
    interval) unless a prescriber documents why; an integration session names the dosing session it
    follows."""
    client = course.client
    _authorize(actor, "course.manage", client)
    _require_open_course(course)
    if kind not in CareSession.Kind.values:
        raise ValidationError({"kind": "Unknown session kind."})
    if location not in CareSession.Location.values:
        raise ValidationError({"location": "Unknown location."})
    if scheduled_at is None:
        raise ValidationError({"scheduled_at": "When is the session?"})
    interval_override = ""
    if kind == CareSession.Kind.DOSING:
        readiness = readiness_for(client, at=scheduled_at)
        missing = readiness.missing + clearance_gaps(protocol_of(course), readiness)
        if missing:
            raise NotReady(missing)
        interval_override = _check_schedule_interval(actor, course, scheduled_at, interval_justification)
    if kind == CareSession.Kind.INTEGRATION:
        if follows is None:
            raise ValidationError({"follows": "Name the dosing session this integration session follows."})
        if follows.course_id != course.pk or follows.kind != CareSession.Kind.DOSING:
            raise ValidationError({"follows": "That is not a dosing session of this course."})
        if follows.status == CareSession.Status.CANCELLED:
            raise ValidationError({"follows": "That dosing session was cancelled: it never happened."})
        if follows.started_at is not None and scheduled_at < follows.started_at:
            raise ValidationError({"scheduled_at": "An integration session comes after the dosing session."})
    elif follows is not None:
        raise ValidationError({"follows": "Only an integration session follows a dosing session."})
    with transaction.atomic():
        session = CareSession.objects.create(
            organization_id=course.organization_id,
            client=client,
            course=course,
            kind=kind,
            location=location,
            scheduled_at=scheduled_at,
            lead=lead or actor.user,
            follows=follows,
            created_by=_user(actor),
        )
        if kind == CareSession.Kind.PREPARATION:
            PreparationDetail.objects.create(session=session)
        elif kind == CareSession.Kind.DOSING:
            DosingDetail.objects.create(session=session)
        elif kind == CareSession.Kind.INTEGRATION:
            IntegrationDetail.objects.create(session=session)
            schedule_event(actor, client, "before_integration", scheduled_at)
        extra = {"interval_justification": interval_override} if interval_override else {}
        _audit(actor, "session.schedule", session, client.pk, kind=kind, course=course.pk, **extra)
    return session


def _check_schedule_interval(actor: Actor, course: Course, proposed: datetime, justification: str) -> str:
    """The minimum interval between this dosing session and every other one of the course (given or
    booked). A hard stop is refused; a shorter gap needs a prescriber's documented reason, which is
    returned for the audit row."""
    protocol = protocol_of(course)
    others: list[datetime] = []
    for other in CareSession.objects.filter(course=course, kind=CareSession.Kind.DOSING).exclude(
        status=CareSession.Status.CANCELLED
    ):
        first = _first_dose(other)
        when = first.given_at if first is not None else other.started_at or other.scheduled_at
        if when is not None:
            others.append(when)
    number = 1 + sum(1 for when in others if when < proposed)
    problems: list[str] = []
    hard = False
    for when in others:
        earlier, later = (when, proposed) if when <= proposed else (proposed, when)
        check = check_interval(
            protocol, earlier, later, dose_number=number if later == proposed else number + 1
        )
        if not check.ok:
            hard = hard or check.level == "hard_stop"
            problems.append(check.rationale)
    if not problems:
        return ""
    reason = (justification or "").strip()
    text = "; ".join(problems)
    if hard or not reason:
        raise ValidationError({"scheduled_at": f"Too close to another dosing session: {text}."})
    if not allows(actor, "dosing.override"):
        raise ValidationError(
            {"interval_justification": f"{text}. Only a prescriber may book a dosing session this close."}
        )
    return reason


def session_start(actor: Actor, session: CareSession) -> CareSession:
    """Start a preparation, integration or maintenance session (a dosing session starts through the
    pre-dose go/no-go: ``dosing_start``)."""
    _authorize(actor, "course.manage", session.client)
    if session.kind == CareSession.Kind.DOSING:
        raise ValidationError("A dosing session starts with the pre-dose checklist.")
    if session.status != CareSession.Status.SCHEDULED:
        raise ValidationError(f"The session is {session.get_status_display().lower()}.")
    if session.kind == CareSession.Kind.INTEGRATION:
        _require_dosing_happened(session)
    with transaction.atomic():
        _bump(session, None)
        session.started_at = _now()
        session.status = CareSession.Status.IN_PROGRESS
        session.save(update_fields=["started_at", "status"])
        _audit(actor, "session.start", session, session.client_id, kind=session.kind)
    return session


def session_cancel(actor: Actor, session: CareSession, reason: str) -> CareSession:
    _authorize(actor, "course.manage", session.client)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the session is cancelled."})
    if session.status not in (CareSession.Status.SCHEDULED, CareSession.Status.IN_PROGRESS):
        raise ValidationError(f"The session is already {session.get_status_display().lower()}.")
    if session.kind == CareSession.Kind.DOSING and session.doses.exists():
        raise ValidationError("A dose was given: the session ends with a discharge, not a cancellation.")
    with transaction.atomic():
        _bump(session, None)
        session.status = CareSession.Status.CANCELLED
        session.cancel_reason = reason.strip()
        session.ended_at = _now() if session.started_at else None
        session.save(update_fields=["status", "cancel_reason", "ended_at"])
        _audit(actor, "session.cancel", session, session.client_id, kind=session.kind)
    return session


def _finish(session: CareSession) -> None:
    session.status = CareSession.Status.COMPLETED
    session.started_at = session.started_at or _now()
    session.ended_at = _now()
    session.save(update_fields=["status", "started_at", "ended_at"])


@dataclass(frozen=True)
class PreparationInput:
    """What a preparation session records (clinical.md §5.3). ``None`` leaves a field as it is."""

    intentions: str | None = None
    expectations: str | None = None
    fears: str | None = None
    what_if_plan: str | None = None
    music: str | None = None
    touch_agreement: str | None = None
    touch_stop_signal: str | None = None
    safety_plan: str | None = None
    emergency_contacts: str | None = None
    transport_plan: str | None = None
    fasting_instructions_given: bool | None = None
    medication_hold_instructions_given: bool | None = None
    chaperone_briefed: bool | None = None  # None is 'not known', and is saved as given
    psychoeducation: Sequence[str] = ()  # the checklist items covered (vocabulary.toml); the rest not


PREPARATION_FIELDS = tuple(f.name for f in fields(PreparationInput) if f.name != "psychoeducation")


def preparation_record(
    actor: Actor,
    session: CareSession,
    *,
    entry: PreparationInput,
    expected_version: int,
    complete: bool = False,
) -> PreparationDetail:
    """Save the preparation session's content; ``complete`` also ends the session, which then needs the
    intentions, a transport plan and the fasting/medication-hold instructions given."""
    _authorize(actor, "course.manage", session.client)
    _require_kind(session, CareSession.Kind.PREPARATION)
    if session.status in (CareSession.Status.COMPLETED, CareSession.Status.CANCELLED):
        raise ValidationError(f"The session is {session.get_status_display().lower()}: it cannot change.")
    data = {
        name: value
        for name in PREPARATION_FIELDS
        if (value := getattr(entry, name)) is not None or name == "chaperone_briefed"
    }
    detail = PreparationDetail.objects.get(session=session)
    checklist = list(entry.psychoeducation)
    known = {key for key, _ in PSYCHOEDUCATION}
    unknown = sorted(set(checklist) - known)
    if unknown:
        raise ValidationError({"psychoeducation": f"Unknown checklist item(s): {', '.join(unknown)}."})
    if complete:
        errors: dict[str, str] = {}
        if not (entry.intentions or "").strip():
            errors["intentions"] = "Write the client's intention(s) in their words before completing."
        if not (entry.transport_plan or "").strip():
            errors["transport_plan"] = "Record how the client gets home (not driving themselves)."
        if not entry.fasting_instructions_given:
            errors["fasting_instructions_given"] = "Give the fasting instructions before completing."
        if not entry.medication_hold_instructions_given:
            errors["medication_hold_instructions_given"] = "Give the medication-hold instructions first."
        if errors:
            raise ValidationError(errors)
    with transaction.atomic():
        _bump(session, expected_version)
        for name in PREPARATION_FIELDS:
            if name in data:
                value = data[name]
                setattr(detail, name, value.strip() if isinstance(value, str) else value)
        detail.psychoeducation = {key: key in checklist for key, _ in PSYCHOEDUCATION}
        detail.updated_at = _now()
        detail.updated_by = _user(actor)
        detail.save()
        if complete:
            _finish(session)
        elif session.status == CareSession.Status.SCHEDULED:
            session.status = CareSession.Status.IN_PROGRESS
            session.started_at = _now()
            session.save(update_fields=["status", "started_at"])
        _audit(actor, "session.preparation", session, session.client_id, complete=complete)
    return detail


def _require_dosing_happened(session: CareSession) -> CareSession:
    dosing = session.follows
    if dosing is None:
        raise ValidationError({"follows": "This integration session names no dosing session."})
    if dosing.status != CareSession.Status.COMPLETED or dosing.ended_at is None or not dosing.doses.exists():
        raise ValidationError(
            {
                "follows": f"The dosing session it follows ({dosing.scheduled_at:%Y-%m-%d %H:%M}) has "
                "not happened: no dose and discharge are recorded."
            }  # fmt: skip
        )
    return dosing


@dataclass(frozen=True)
class IntegrationInput:
    """What an integration session records (clinical.md §5.3). ``None`` leaves a text as it is."""

    narrative: str | None = None
    insights: str | None = None
    commitments: str | None = None
    safety_check: str | None = None
    next_dose_plan: str | None = None
    prescriber_feedback: str | None = None
    themes: str | Sequence[str] = ()  # a list, or text separated by commas or lines
    modalities: Sequence[str] = ()  # vocabulary.toml's modalities
    measures_due: Sequence[str] = ()


INTEGRATION_FIELDS = tuple(
    f.name for f in fields(IntegrationInput) if f.name not in ("themes", "modalities", "measures_due")
)


def integration_record(
    actor: Actor,
    session: CareSession,
    *,
    entry: IntegrationInput,
    expected_version: int,
    complete: bool = False,
) -> IntegrationDetail:
    """Save an integration session. Refused when the dosing session it follows never happened (no dose,
    no discharge), or when it would come before that session ended."""
    _authorize(actor, "course.manage", session.client)
    _require_kind(session, CareSession.Kind.INTEGRATION)
    if session.status in (CareSession.Status.COMPLETED, CareSession.Status.CANCELLED):
        raise ValidationError(f"The session is {session.get_status_display().lower()}: it cannot change.")
    dosing = _require_dosing_happened(session)
    at = session.started_at or _now()
    assert dosing.ended_at is not None
    if at < dosing.ended_at:
        raise ValidationError(
            {"follows": "The integration session cannot start before the dosing session ended."}
        )
    data = {name: value for name in INTEGRATION_FIELDS if (value := getattr(entry, name)) is not None}
    modalities = list(entry.modalities)
    unknown = sorted(set(modalities) - {key for key, _ in MODALITIES})
    if unknown:
        raise ValidationError({"modalities": f"Unknown modality: {', '.join(unknown)}."})
    themes = entry.themes
    if isinstance(themes, str):
        themes = [t.strip() for t in themes.replace("\n", ",").split(",") if t.strip()]
    measures = list(entry.measures_due)
    if complete and not (entry.narrative or "").strip():
        raise ValidationError({"narrative": "Record the client's account of the session before completing."})
    first_dose = dosing.doses.order_by("given_at").first()
    assert first_dose is not None
    detail = IntegrationDetail.objects.get(session=session)
    with transaction.atomic():
        _bump(session, expected_version)
        for name in INTEGRATION_FIELDS:
            if name in data:
                setattr(detail, name, str(data[name]).strip())
        detail.themes = list(themes)
        detail.modalities = modalities
        detail.measures_due = measures
        detail.interval_hours = Decimal(str(round((at - first_dose.given_at).total_seconds() / 3600, 1)))
        detail.updated_at = _now()
        detail.updated_by = _user(actor)
        detail.save()
        if complete:
            _finish(session)
        elif session.status == CareSession.Status.SCHEDULED:
            session.status = CareSession.Status.IN_PROGRESS
            session.started_at = at
            session.save(update_fields=["status", "started_at"])
        _audit(
            actor,
            "session.integration",
            session,
            session.client_id,
            complete=complete,
            follows=dosing.pk,
            feedback=bool(detail.prescriber_feedback),
        )
    return detail
