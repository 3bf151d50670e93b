"""Writes for treatment courses and their sessions. One transaction each, audited inside it.

The checks are the pure protocol core's (``kapstone.care.protocol_core``); a service turns what a
clinician entered into the core's plain inputs, stores the core's result beside the entry, and
refuses bad input with a ``ValidationError`` naming the field. Editable records carry a version: a
stale write raises ``StaleEdit`` (the view answers 409 with both versions).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from kapstone.access.policy import allows
from kapstone.audit.services import record
from kapstone.care import catalog, hooks
from kapstone.care.models import (
    AdverseEvent,
    Alert,
    CareSession,
    Course,
    DoseRecord,
    DosingDetail,
    IntegrationDetail,
    Intervention,
    PreparationDetail,
    ProtocolVersion,
    Rating,
    VitalReading,
)
from kapstone.care.protocol_core import (
    DoseContext,
    DoseInput,
    GoNoGo,
    InvalidInput,
    MoodCheck,
    PreDoseChecklist,
    Protocol,
    ProtocolError,
    VitalsReading,
    check_discharge,
    check_dose,
    check_interval,
    check_pre_dose,
    check_vitals,
    default_ae_categories,
    default_vital_bounds,
    validate_reading,
)
from kapstone.care.protocol_core.discharge_vitals import check_discharge_vitals
from kapstone.care.safety_gate import safety_gaps, with_safety
from kapstone.clients.models import Client
from kapstone.clients.selectors import clients_scoped
from kapstone.core.actor import Actor

if TYPE_CHECKING:
    from kapstone.accounts.models import Organization, User
    from kapstone.clients.readiness import Readiness

VITAL_FIELDS = ("systolic", "diastolic", "heart_rate", "spo2", "respiratory_rate")
# Attestations the platform knows itself (from readiness), so nobody ticks them by habit.
DERIVED_ATTESTATIONS = {"consent_current", "clearance_current"}
CLOCK_SKEW = timedelta(minutes=2)  # a tablet's clock may run a little ahead of the server's
DISSOCIATION_SCALES = {"cadss6": ("CADSS-6", 0, 24), "cadss": ("CADSS", 0, 92)}
EMOTIONAL_STATES = (
    ("calm", "Calm"),
    ("peaceful", "Peaceful / content"),
    ("tearful", "Tearful"),
    ("anxious", "Anxious"),
    ("distressed", "Distressed"),
    ("agitated", "Agitated"),
    ("euphoric", "Euphoric"),
    ("withdrawn", "Withdrawn / shut down"),
    ("confused", "Confused"),
)
MODALITIES = (
    ("ifs", "Internal Family Systems (IFS)"),
    ("somatic", "Somatic experiencing"),
    ("mbct", "Mindfulness-based cognitive therapy (MBCT)"),
    ("emdr", "EMDR"),
    ("act", "Acceptance and commitment therapy (ACT)"),
    ("psychodynamic", "Psychodynamic"),
    ("cbt", "Cognitive behavioural therapy (CBT)"),
    ("narrative", "Narrative"),
    ("expressive", "Expressive arts"),
    ("other", "Other"),
)
PSYCHOEDUCATION = (
    ("effects", "What ketamine does and how a session feels (dissociation, perception, time)"),
    ("risks", "Risks: BP and heart rate, nausea, sedation, vulnerability while under the drug"),
    ("set_setting", "Set and setting; a lightly held intention"),
    ("session_flow", "How the dosing session runs: monitoring, music, eyeshades, who is present"),
    ("after", "After the session: no driving, integration, who to call"),
    ("withdraw", "Right to stop, and its limit once the dose is given"),
)


class StaleEdit(Exception):
    """The record changed since the editor read it; nothing was written."""

    def __init__(self, current: Any, submitted: Mapping[str, Any]) -> None:
        super().__init__("This record was changed by someone else since you opened it.")
        self.current = current
        self.submitted = dict(submitted)


class NotReady(ValidationError):
    """The client is not ready for dosing (readiness contract); ``missing`` says what is missing."""

    def __init__(self, missing: Sequence[str]) -> None:
        self.missing = list(missing)
        super().__init__(["Not ready for a dosing session: " + "; ".join(self.missing)])


# --------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------


def _authorize(actor: Actor, action: str, client: Client) -> None:
    """Services check again what views already checked: the policy, and that the client is in scope."""
    if not allows(actor, action) or not clients_scoped(actor, action).filter(pk=client.pk).exists():
        record(
            actor, action, outcome="denied", object_type="client", object_id=client.pk, client_id=client.pk
        )
        raise PermissionDenied(action)


def _audit(actor: Actor, action: str, obj: Any, client_id: int, **detail: Any) -> None:
    record(
        actor,
        action,
        object_type=type(obj).__name__.lower(),
        object_id=obj.pk,
        client_id=client_id,
        detail=detail,
    )


def readiness_for(client: Client, *, at: datetime | None = None, dosing_now: bool = False) -> Readiness:
    """The clients module's readiness contract (imported late: it needs screening installed).
    ``dosing_now`` (the pre-dose go and the dosing room) also folds in the open safety tasks: a
    high suicide-risk task blocks until a clinician documents a review."""
    from kapstone.clients import readiness

    found = readiness.dosing_readiness(client, at=at)
    return with_safety(found, client) if dosing_now else found


# The screening's route names (the intake's choices) as the protocols spell them.
_PROTOCOL_ROUTE = {"intramuscular": "im", "intravenous": "iv"}


def clearance_gaps(protocol: Protocol, readiness: Readiness) -> list[str]:
    """What the current clearance does not cover of a course on ``protocol``. The prescriber cleared a
    screening of the product and route the intake planned; the rules differ by product (racemic
    ketamine is contraindicated where esketamine is a judgement call) and by route (airway readiness
    for injected ketamine), so a clearance for another product or route does not clear this course."""
    clearance = readiness.clearance
    if clearance is None:
        return []
    facts = clearance.evaluation.facts
    product, route = facts.get("product"), facts.get("route")
    covered = product == protocol.product and (
        route is None or _PROTOCOL_ROUTE.get(str(route), str(route)) in protocol.routes
    )
    if covered:
        return []
    screened = ", ".join(str(v).replace("_", " ") for v in (product or "no product", route) if v)
    course = f"{protocol.product.replace('_', ' ')}, {protocol.route}"
    return [
        f"medical clearance is for {screened}, not this course's {course}: record the course's product "
        "and route in the intake and screen again"
    ]


def protocol_of(course: Course) -> Protocol:
    pv = course.protocol
    return catalog.parse_stored(pv.text, f"{pv.protocol_id} {pv.version} (organization {pv.organization_id})")


def _user(actor: Actor) -> User:
    if actor.user is None:
        raise PermissionDenied("a person must be signed in")
    return actor.user


def _now() -> datetime:
    return timezone.now()


def _hm(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%H:%M")


def _not_future(value: datetime, field: str) -> None:
    if value > _now() + CLOCK_SKEW:
        raise ValidationError(
            {field: f"{_hm(value)} is in the future: record what happened, when it happened."}
        )


def _clean_key(key: str | None) -> str:
    key = (key or "").strip()
    if len(key) > 64:
        raise ValidationError({"idempotency_key": "Entry key too long."})
    return key


def _bump(session: CareSession, expected_version: int | None, submitted: Mapping[str, Any]) -> None:
    """Claim the next version of the session or raise StaleEdit (inside the caller's transaction)."""
    if expected_version is None:
        expected_version = session.version
    updated = CareSession.objects.filter(pk=session.pk, version=expected_version).update(
        version=expected_version + 1
    )
    if not updated:
        raise StaleEdit(CareSession.objects.get(pk=session.pk), submitted)
    session.version = expected_version + 1


def _require_kind(session: CareSession, kind: str) -> None:
    if session.kind != kind:
        raise ValidationError(
            f"This is a {session.get_kind_display().lower()} session, not a {kind} session."
        )


def _require_open_course(course: Course) -> None:
    if not course.is_open:
        raise ValidationError(
            f"The course is {course.get_status_display().lower()}: it takes no new sessions."
        )


# --------------------------------------------------------------------------------------------------
# Protocols
# --------------------------------------------------------------------------------------------------


def protocols_install_shipped(actor: Actor, organization: Organization) -> list[ProtocolVersion]:
    """Make every shipped template available to the organization (idempotent)."""
    installed: list[ProtocolVersion] = []
    with transaction.atomic():
        for protocol, text in catalog.shipped_templates():
            pv, created = ProtocolVersion.objects.get_or_create(
                organization=organization,
                protocol_id=protocol.id,
                version=protocol.version,
                defaults={
                    "title": protocol.title,
                    "route": protocol.route,
                    "product": protocol.product,
                    "origin": ProtocolVersion.Origin.SHIPPED,
                    "text": text,
                    "sha256": catalog.sha256(text),
                    "note": "Shipped template.",
                },
            )
            if created:
                record(
                    actor,
                    "protocol.install",
                    object_type="protocolversion",
                    object_id=pv.pk,
                    detail={"protocol": pv.protocol_id, "version": pv.version, "sha256": pv.sha256},
                )
            installed.append(pv)
    return installed


def _ceiling_detail(protocol: Protocol) -> dict[str, float]:
    assert protocol.ceiling is not None
    return {v.field.rsplit(".", 1)[-1]: float(v.value) for v in protocol.ceiling.limits()}


def _ceiling_raised(protocol: Protocol, existing: Iterable[ProtocolVersion]) -> list[str]:
    """The ceiling limits this version raises above the highest installed version of the same id."""
    latest = max(existing, key=lambda pv: catalog.version_key_of(pv.version), default=None)
    if latest is None:
        return []
    try:
        before = catalog.parse_stored(latest.text, f"protocol {latest.protocol_id} {latest.version}")
    except ProtocolError:
        return []
    if before.ceiling is None:
        return []
    old = _ceiling_detail(before)
    return sorted(key for key, value in _ceiling_detail(protocol).items() if value > old.get(key, value))


def protocol_version_create(
    actor: Actor, organization: Organization, text: str, *, note: str, based_on: ProtocolVersion | None = None
) -> ProtocolVersion:
    """A prescriber saves a protocol: a new version of one (same id, higher version than every
    installed version of that id) or a new protocol (a new id, e.g. copied from a template, recorded
    in ``based_on``). The pure core validates the text exactly as it does a shipped file."""
    if not allows(actor, "protocol.edit") or actor.organization_id != organization.pk:
        raise PermissionDenied("protocol.edit")
    if not note.strip():
        raise ValidationError({"note": "Say what changed and why (the record keeps it)."})
    try:
        protocol = catalog.parse_new(text, "the protocol text")
    except ProtocolError as exc:
        where = f"line {exc.line}: " if exc.line else ""
        where += f"{exc.field}: " if exc.field else ""
        raise ValidationError({"text": f"{where}{exc.detail}"}) from exc
    if protocol.ceiling is None:
        raise ValidationError(
            {"text": "ceiling: every protocol needs a [ceiling] table (absolute maximum per dose and per "
             "session, in mg and mg/kg, and max_fold_of_previous_dose); see the shipped templates."}
        )  # fmt: skip
    existing = ProtocolVersion.objects.filter(organization=organization, protocol_id=protocol.id)
    for other in existing:
        if not catalog.is_higher(protocol.version, other.version):
            raise ValidationError(
                {"text": f"version: {protocol.version} is not above the installed {other.version}."}
            )
    with transaction.atomic():
        pv = ProtocolVersion.objects.create(
            organization=organization,
            protocol_id=protocol.id,
            version=protocol.version,
            title=protocol.title,
            route=protocol.route,
            product=protocol.product,
            origin=ProtocolVersion.Origin.EDITED,
            text=text,
            sha256=catalog.sha256(text),
            based_on=based_on,
            note=note.strip(),
            created_by=_user(actor),
        )
        record(
            actor,
            "protocol.edit",
            object_type="protocolversion",
            object_id=pv.pk,
            detail={
                "protocol": pv.protocol_id,
                "version": pv.version,
                "sha256": pv.sha256,
                "ceiling": _ceiling_detail(protocol),
                "ceiling_raised": _ceiling_raised(protocol, existing),
            },
        )
    return pv


# --------------------------------------------------------------------------------------------------
# Courses and sessions
# --------------------------------------------------------------------------------------------------


def course_start(
    actor: Actor,
    client: Client,
    protocol: ProtocolVersion,
    *,
    indication: str = "",
    goals: str = "",
    prescriber: User | None = None,
) -> Course:
    _authorize(actor, "course.manage", client)
    if protocol.organization_id != client.organization_id:
        raise ValidationError({"protocol": "That protocol is not installed in this organization."})
    if not protocol.is_active:
        raise ValidationError({"protocol": "That protocol version is retired: choose a current one."})
    try:
        catalog.parse_stored(protocol.text, str(protocol))
    except ProtocolError as exc:  # pragma: no cover - stored versions were validated on the way in
        raise ValidationError({"protocol": f"The stored protocol cannot be read: {exc}"}) from exc
    if (
        prescriber is not None
        and not client.care_team.filter(user=prescriber, team_role="prescriber").exists()
    ):
        raise ValidationError({"prescriber": "The prescriber must be on the client's care team."})
    with transaction.atomic():
        if (
            Course.objects.select_for_update()
            .filter(client=client, status__in=(Course.Status.ACTIVE, Course.Status.MAINTENANCE))
            .exists()
        ):
            raise ValidationError("This client already has an open course: complete or close it first.")
        course = Course.objects.create(
            organization_id=client.organization_id,
            client=client,
            protocol=protocol,
            protocol_key=protocol.protocol_id,
            protocol_version=protocol.version,
            indication=indication.strip(),
            goals=goals.strip(),
            prescriber=prescriber,
            started_by=_user(actor),
        )
        _audit(
            actor, "course.start", course, client.pk, protocol=protocol.protocol_id, version=protocol.version
        )
        # The client's cohort for program outcomes is their latest course's protocol.
        hooks.cohort_changed(client.pk)
    return course


def course_update(actor: Actor, course: Course, data: Mapping[str, Any], *, expected_version: int) -> Course:
    """Edit the course (indication, goals, status). Moving to completed/closed needs a reason."""
    _authorize(actor, "course.manage", course.client)
    status = data.get("status", course.status)
    if status not in Course.Status.values:
        raise ValidationError({"status": "Unknown status."})
    reason = str(data.get("end_reason", "")).strip()
    ending = status in (Course.Status.COMPLETED, Course.Status.CLOSED)
    if ending and not reason:
        raise ValidationError(
            {"end_reason": "Say why the course ends (outcome, or the reason for closing early)."}
        )
    changes: dict[str, Any] = {
        "indication": str(data.get("indication", course.indication)).strip(),
        "goals": str(data.get("goals", course.goals)).strip(),
        "status": status,
        "end_reason": reason if ending else "",
        "ended_at": (course.ended_at or _now()) if ending else None,
    }
    with transaction.atomic():
        if (
            ending
            and CareSession.objects.filter(course=course, status=CareSession.Status.IN_PROGRESS).exists()
        ):
            raise ValidationError({"status": "A session of this course is in progress: finish it first."})
        updated = Course.objects.filter(pk=course.pk, version=expected_version).update(
            **changes, version=expected_version + 1
        )
        if not updated:
            raise StaleEdit(Course.objects.get(pk=course.pk), data)
        _audit(actor, "course.edit", course, course.client_id, status=status)
    course.refresh_from_db()
    return course


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
            from kapstone.measures.services import schedule_event

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
        _bump(session, None, {})
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
        _bump(session, None, {})
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


PREPARATION_FIELDS = (
    "intentions", "expectations", "fears", "what_if_plan", "music", "touch_agreement", "touch_stop_signal",
    "safety_plan", "emergency_contacts", "transport_plan", "fasting_instructions_given",
    "medication_hold_instructions_given", "chaperone_briefed",
)  # fmt: skip


def preparation_record(
    actor: Actor,
    session: CareSession,
    data: Mapping[str, Any],
    *,
    expected_version: int,
    complete: bool = False,
) -> PreparationDetail:
    """Save the preparation session's content; ``complete`` also ends the session, which then needs the
    intentions, a transport plan and the fasting/medication-hold instructions given."""
    _authorize(actor, "course.manage", session.client)
    _require_kind(session, CareSession.Kind.PREPARATION)
    if session.status in (CareSession.Status.COMPLETED, CareSession.Status.CANCELLED):
        raise ValidationError(f"The session is {session.get_status_display().lower()}: it cannot change.")
    detail = PreparationDetail.objects.get(session=session)
    checklist = data.get("psychoeducation") or []
    known = {key for key, _ in PSYCHOEDUCATION}
    unknown = sorted(set(checklist) - known)
    if unknown:
        raise ValidationError({"psychoeducation": f"Unknown checklist item(s): {', '.join(unknown)}."})
    if complete:
        errors: dict[str, str] = {}
        if not str(data.get("intentions", "")).strip():
            errors["intentions"] = "Write the client's intention(s) in their words before completing."
        if not str(data.get("transport_plan", "")).strip():
            errors["transport_plan"] = "Record how the client gets home (not driving themselves)."
        if not data.get("fasting_instructions_given"):
            errors["fasting_instructions_given"] = "Give the fasting instructions before completing."
        if not data.get("medication_hold_instructions_given"):
            errors["medication_hold_instructions_given"] = "Give the medication-hold instructions first."
        if errors:
            raise ValidationError(errors)
    with transaction.atomic():
        _bump(session, expected_version, data)
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


INTEGRATION_FIELDS = (
    "narrative", "insights", "commitments", "safety_check", "next_dose_plan", "prescriber_feedback",
)  # fmt: skip


def integration_record(
    actor: Actor,
    session: CareSession,
    data: Mapping[str, Any],
    *,
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
    modalities = list(data.get("modalities") or [])
    unknown = sorted(set(modalities) - {key for key, _ in MODALITIES})
    if unknown:
        raise ValidationError({"modalities": f"Unknown modality: {', '.join(unknown)}."})
    themes = data.get("themes") or []
    if isinstance(themes, str):
        themes = [t.strip() for t in themes.replace("\n", ",").split(",") if t.strip()]
    measures = list(data.get("measures_due") or [])
    if complete and not str(data.get("narrative", "")).strip():
        raise ValidationError({"narrative": "Record the client's account of the session before completing."})
    first_dose = dosing.doses.order_by("given_at").first()
    assert first_dose is not None
    detail = IntegrationDetail.objects.get(session=session)
    with transaction.atomic():
        _bump(session, expected_version, data)
        for name in INTEGRATION_FIELDS:
            if name in data:
                setattr(detail, name, str(data[name]).strip())
        detail.themes = themes
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


# --------------------------------------------------------------------------------------------------
# Dosing: start (readiness + pre-dose go/no-go)
# --------------------------------------------------------------------------------------------------


def _opt_float(value: Any) -> float | None:
    if value is None or value == "":
        return None
    return float(value)


def vitals_from(data: Mapping[str, Any], symptoms: Iterable[str] = ()) -> VitalsReading:
    return VitalsReading(
        systolic=_opt_float(data.get("systolic")),
        diastolic=_opt_float(data.get("diastolic")),
        heart_rate=_opt_float(data.get("heart_rate")),
        spo2=_opt_float(data.get("spo2")),
        respiratory_rate=_opt_float(data.get("respiratory_rate")),
        symptoms=tuple(symptoms),
    )


def _first_dose(session: CareSession) -> DoseRecord | None:
    return session.doses.order_by("given_at", "pk").first()


def _dosing_history(session: CareSession) -> list[tuple[CareSession, DoseRecord]]:
    """Earlier dosing sessions of the course that had a dose, with their first dose, oldest first."""
    found = []
    earlier = CareSession.objects.filter(course_id=session.course_id, kind=CareSession.Kind.DOSING).exclude(
        pk=session.pk
    )
    for other in earlier:
        first = _first_dose(other)
        if first is not None:
            found.append((other, first))
    return sorted(found, key=lambda pair: pair[1].given_at)


def preparations_done(course: Course) -> int:
    return CareSession.objects.filter(
        course=course, kind=CareSession.Kind.PREPARATION, status=CareSession.Status.COMPLETED
    ).count()


@dataclass(frozen=True)
class DosingStart:
    started: bool
    result: GoNoGo
    readiness: Readiness


def dosing_start(  # noqa: C901 - one case per rule; listed in issue #10 to split
    actor: Actor,
    session: CareSession,
    data: Mapping[str, Any],
    *,
    expected_version: int,
    justification: str = "",
) -> DosingStart:
    """Run the pre-dose go/no-go and, on go, start the session.

    Refused outright (``NotReady``) when the readiness contract says the client is not ready, or when
    the protocol's preparation sessions are not done. A ``needs_justification`` result starts only
    with a prescriber's documented justification; ``no_go`` never starts. The result (naming what is
    missing) is returned either way; nothing is stored unless the session starts.
    """
    client = session.client
    _authorize(actor, "dosing.record", client)
    _require_kind(session, CareSession.Kind.DOSING)
    if session.status != CareSession.Status.SCHEDULED:
        raise ValidationError(f"The session is {session.get_status_display().lower()}.")
    course = session.course
    _require_open_course(course)
    protocol = protocol_of(course)
    now = _now()
    readiness = readiness_for(client, at=now, dosing_now=True)
    missing = readiness.missing + clearance_gaps(protocol, readiness)
    if missing:
        record(actor, "dosing.start", outcome="denied", object_type="caresession", object_id=session.pk,
               client_id=client.pk, detail={"reason": "not_ready"})  # fmt: skip
        raise NotReady(missing)
    history = _dosing_history(session)
    needed = int(protocol.phases.preparation_sessions_before_first_dose.value)
    done = preparations_done(course)
    if not history and done < needed:
        raise NotReady([f"preparation sessions before the first dose: {done} of {needed} completed"])

    weight = data.get("weight_kg")
    if protocol.uses_weight and weight in (None, ""):
        raise ValidationError({"weight_kg": "This protocol doses by weight: record today's weight in kg."})
    bound = default_vital_bounds().weight
    if weight not in (None, "") and not bound.min <= float(weight) <= bound.max:
        accepted = f"{bound.min:g}-{bound.max:g} kg"
        raise ValidationError(
            {"weight_kg": f"{weight} kg is impossible (accepted {accepted}): kilograms, not pounds?"}
        )
    planned = data.get("planned_dose_at") or now
    symptoms = tuple(data.get("symptoms") or ())
    vitals = vitals_from(data, symptoms)
    attestations: dict[str, bool | None] = {}
    for attestation in protocol.pre_dose.attestations:
        if attestation.id in DERIVED_ATTESTATIONS:
            attestations[attestation.id] = True  # readiness.ready above: consent and clearance are current
        else:
            value = data.get(f"attest_{attestation.id}")
            attestations[attestation.id] = True if value else None
    mood = data.get("mood_result") or None
    measured = any(getattr(vitals, name) is not None for name in VITAL_FIELDS)
    checklist = PreDoseChecklist(
        planned_dose_at=planned,
        last_food_at=data.get("last_food_at"),
        last_liquid_at=data.get("last_liquid_at"),
        vitals=vitals if measured or symptoms else None,
        medications_reviewed=True if data.get("medications_reviewed") else None,
        same_day_medications=tuple(data.get("same_day_medications") or ()),
        attestations=attestations,
        mood_check=MoodCheck(done=True, result=mood) if mood else None,
        dose_number=len(history) + 1,
        previous_dosing_at=history[-1][1].given_at if history else None,
        current_state={name: _yes_no(data.get(name)) for name in CURRENT_STATE_FIELDS},
    )  # fmt: skip
    if checklist.vitals is not None:
        # An impossible reading is bad input (the field is named), not a clinical no-go.
        try:
            validate_reading(checklist.vitals)
        except InvalidInput as exc:
            raise ValidationError({exc.field: exc.detail}) from exc
    result = check_pre_dose(protocol, checklist)
    input_json = {
        "planned_dose_at": planned.isoformat(),
        "last_food_at": checklist.last_food_at.isoformat() if checklist.last_food_at else None,
        "last_liquid_at": checklist.last_liquid_at.isoformat() if checklist.last_liquid_at else None,
        "vitals": {name: getattr(vitals, name) for name in VITAL_FIELDS},
        "symptoms": list(symptoms),
        "medications_reviewed": checklist.medications_reviewed,
        "same_day_medications": list(checklist.same_day_medications),
        "attestations": attestations,
        "mood_check": mood,
        "weight_kg": str(weight) if weight not in (None, "") else None,
        "current_state": dict(checklist.current_state),
        "dose_number": checklist.dose_number,
        "previous_dosing_at": checklist.previous_dosing_at.isoformat()
        if checklist.previous_dosing_at
        else None,
    }
    if result.decision == "no_go":
        record(actor, "dosing.start", outcome="denied", object_type="caresession", object_id=session.pk,
               client_id=client.pk, detail={"decision": "no_go",
                                            "blocking": [i.id for i in result.blocking]})  # fmt: skip
        return DosingStart(False, result, readiness)
    if result.decision == "needs_justification":
        if not justification.strip():
            return DosingStart(False, result, readiness)
        if not allows(actor, "dosing.override"):
            raise ValidationError(
                {"justification": "Only a prescriber may justify dosing outside the protocol."}
            )
    with transaction.atomic():
        _bump(session, expected_version, data)
        session.status = CareSession.Status.IN_PROGRESS
        session.started_at = now
        session.number = len(history) + 1
        session.save(update_fields=["status", "started_at", "number"])
        detail = DosingDetail.objects.get(session=session)
        detail.weight_kg = Decimal(str(weight)) if weight not in (None, "") else None
        detail.readiness = {
            "ready": readiness.ready,
            "missing": readiness.missing,
            "warnings": list(readiness.warnings),
            "conditions": readiness.conditions,
            "clearance_id": getattr(readiness.clearance, "pk", None),
            "consent_id": getattr(readiness.consent, "pk", None),
            "checked_at": now.isoformat(),
        }
        detail.touch_opt_in = readiness.touch_opt_in.consented
        detail.touch_scope = readiness.touch_opt_in.summary
        detail.pre_dose_input = input_json
        detail.pre_dose_result = result.to_dict()
        detail.decision = result.decision
        if result.decision == "needs_justification":
            detail.decision_justification = justification.strip()
            detail.decision_justified_by = _user(actor)
        detail.save()
        if checklist.vitals is not None:
            VitalReading.objects.create(
                session=session,
                phase=VitalReading.Phase.PRE_DOSE,
                taken_at=now,
                symptoms=list(symptoms),
                recorded_by=_user(actor),
                **{name: _int(getattr(vitals, name)) for name in VITAL_FIELDS},
            )
        if data.get("moaas") not in (None, ""):
            Rating.objects.create(
                session=session,
                phase=VitalReading.Phase.PRE_DOSE,
                taken_at=now,
                moaas=int(data["moaas"]),
                recorded_by=_user(actor),
            )
        _audit(actor, "dosing.start", session, client.pk, decision=result.decision, number=session.number,
               protocol=result.protocol_id, version=result.protocol_version)  # fmt: skip
    return DosingStart(True, result, readiness)


CURRENT_STATE_FIELDS = ("current_psychotic_symptoms", "current_manic_symptoms")


def _yes_no(value: Any) -> bool | None:
    """A current-state answer: True / False, or None when not asked (never guessed)."""
    if value is True or value in ("yes", "true", "on"):
        return True
    if value is False or value in ("no", "false"):
        return False
    return None


def _int(value: float | None) -> int | None:
    return None if value is None else round(value)


def _require_live(session: CareSession) -> DosingDetail:
    _require_kind(session, CareSession.Kind.DOSING)
    if session.status == CareSession.Status.SCHEDULED:
        raise ValidationError("The session has not started: run the pre-dose checklist first.")
    if session.status != CareSession.Status.IN_PROGRESS:
        raise ValidationError(
            f"The session is {session.get_status_display().lower()}: nothing more is recorded."
        )
    return DosingDetail.objects.get(session=session)


# --------------------------------------------------------------------------------------------------
# Dosing: the dose
# --------------------------------------------------------------------------------------------------

_DOSE_FIELDS = {"unit_not_mg": "unit", "invalid_amount": "amount_mg", "invalid_weight": "weight_kg"}


def dose_record(
    actor: Actor,
    session: CareSession,
    data: Mapping[str, Any],
    *,
    idempotency_key: str = "",
    justification: str = "",
) -> tuple[DoseRecord, bool]:
    """Record a dose (a further dose in the session is a booster). The core checks it against the
    protocol: refused input names the field; a hard stop is refused; a dose outside protocol needs a
    documented justification from a prescriber. Returns (dose, created)."""
    _authorize(actor, "dosing.record", session.client)
    key = _clean_key(idempotency_key)
    if key:
        existing = DoseRecord.objects.filter(session=session, idempotency_key=key).first()
        if existing is not None:
            return existing, False
    detail = _require_live(session)
    blocking = safety_gaps(session.client)
    if blocking:
        raise ValidationError({"amount_mg": "No dose: " + "; ".join(blocking)})
    protocol = protocol_of(session.course)
    given_at: datetime = data.get("given_at") or _now()
    _not_future(given_at, "given_at")
    assert session.started_at is not None
    if given_at < session.started_at - CLOCK_SKEW:
        raise ValidationError(
            {"given_at": f"{_hm(given_at)} is before the pre-dose go at {_hm(session.started_at)}."}
        )
    prior = list(session.doses.order_by("given_at", "pk"))
    if prior and given_at < prior[0].given_at:
        raise ValidationError(
            {"given_at": f"A booster cannot come before the first dose ({_hm(prior[0].given_at)})."}
        )
    amount = data.get("amount_mg")
    if amount in (None, ""):
        raise ValidationError({"amount_mg": "Enter the dose."})
    weight = detail.weight_kg
    route = data.get("route") or protocol.route
    history = _dosing_history(session)
    first_course_dose = history[0][1].amount_mg if history else None
    dose_input = DoseInput(
        route=route,
        unit=str(data.get("unit") or "mg"),
        amount_mg=float(amount),
        weight_kg=float(weight) if weight is not None else None,
        tier=data.get("tier") or None,
        is_booster=bool(prior),
        minutes_since_first_dose=(given_at - prior[0].given_at).total_seconds() / 60 if prior else None,
        prior_doses_mg=tuple(float(d.amount_mg) for d in prior),
    )
    context = DoseContext(
        dose_number=session.number,
        proposed_at=given_at,
        previous_session_at=history[-1][1].given_at if history else None,
        previous_dose_mg=float(history[-1][1].amount_mg) if history else None,
        first_dose_mg=float(first_course_dose) if first_course_dose is not None else None,
    )
    check = check_dose(protocol, dose_input, context)
    if check.refused:
        finding = check.findings[0]
        raise ValidationError({_DOSE_FIELDS.get(finding.code, "amount_mg"): finding.message})
    problems = "; ".join(f.message for f in check.problems())
    if not check.complete:
        missing = [f for f in check.problems() if f.message.startswith("cannot check")]
        field = "weight_kg" if any(f.code == "weight_required" for f in missing) else "amount_mg"
        raise ValidationError({field: "; ".join(f.message for f in missing)})
    if check.blocked:
        raise ValidationError({"amount_mg": f"Refused by the protocol: {problems}"})
    justified_by = None
    if check.requires_justification:
        if not justification.strip():
            raise ValidationError({"justification": f"Outside the protocol: {problems}. A prescriber must "
                                   "document a justification to give this dose."})  # fmt: skip
        if not allows(actor, "dosing.override"):
            raise ValidationError(
                {"justification": f"Outside the protocol: {problems}. Only a prescriber may document the "
                 "justification; ask the prescriber to enter this dose."}
            )  # fmt: skip
        justified_by = _user(actor)
    given_by = data.get("given_by") or _user(actor)
    try:
        with transaction.atomic():
            dose = DoseRecord.objects.create(
                session=session,
                is_booster=bool(prior),
                route=route,
                formulation=str(data.get("formulation") or protocol.formulation)[:200],
                product=protocol.product,
                tier=data.get("tier") or "",
                amount_mg=Decimal(str(amount)),
                weight_kg=weight,
                mg_per_kg=Decimal(str(round(check.mg_per_kg, 4))) if check.mg_per_kg is not None else None,
                given_at=given_at,
                given_by=given_by,
                infusion_started_at=given_at if _is_infusion(protocol, route) else None,
                lot=str(data.get("lot") or "").strip()[:60],
                check_result=check.to_dict(),
                level=check.level,
                justification=justification.strip() if justified_by else "",
                justified_by=justified_by,
                recorded_by=_user(actor),
                idempotency_key=key,
            )
            _audit(actor, "dosing.dose", dose, session.client_id, session=session.pk, level=check.level,
                   booster=dose.is_booster, protocol=check.protocol_id,
                   version=check.protocol_version)  # fmt: skip
    except IntegrityError:
        existing = DoseRecord.objects.filter(session=session, idempotency_key=key).first()
        if existing is None:
            raise
        return existing, False
    return dose, True


# --------------------------------------------------------------------------------------------------
# Dosing: vitals, ratings, interventions, adverse events, alerts
# --------------------------------------------------------------------------------------------------


def baseline_of(session: CareSession) -> VitalsReading | None:
    pre = session.vitals.filter(phase=VitalReading.Phase.PRE_DOSE).order_by("-taken_at", "-pk").first()
    rating = (
        session.ratings.filter(phase=VitalReading.Phase.PRE_DOSE, moaas__isnull=False)
        .order_by("-taken_at", "-pk")
        .first()
    )
    if pre is None and rating is None:
        return None

    def value(name: str) -> float | None:
        raw = getattr(pre, name, None)
        return float(raw) if raw is not None else None

    return VitalsReading(
        systolic=value("systolic"),
        diastolic=value("diastolic"),
        heart_rate=value("heart_rate"),
        spo2=value("spo2"),
        respiratory_rate=value("respiratory_rate"),
        moaas=float(rating.moaas) if rating and rating.moaas is not None else None,
    )


def _timed(session: CareSession, data: Mapping[str, Any], field: str = "taken_at") -> tuple[datetime, str]:
    """The entry's time and phase: after the first dose every entry is post-dose and must be timed
    after that dose."""
    at: datetime = data.get(field) or _now()
    _not_future(at, field)
    first = _first_dose(session)
    if first is None:
        return at, VitalReading.Phase.PRE_DOSE
    if at < first.given_at:
        raise ValidationError(
            {
                field: f"{_hm(at)} is before the first dose at {_hm(first.given_at)}: a post-dose entry must "
                "be "
                "timed after the dose."
            }  # fmt: skip
        )
    return at, VitalReading.Phase.POST_DOSE


def _open_alerts(session: CareSession, alerts: Iterable[Any], **link: Any) -> list[Alert]:
    rows = []
    for alert in alerts:
        rows.append(
            Alert.objects.create(
                session=session,
                code=alert.code,
                severity=alert.severity,
                message=alert.message,
                suggested_action=alert.action or "",
                result=alert.to_dict(),
                **link,
            )
        )
    return rows


def vitals_record(
    actor: Actor, session: CareSession, data: Mapping[str, Any], *, idempotency_key: str = ""
) -> tuple[VitalReading, list[Alert], bool]:
    """One set of vitals. Impossible values are refused naming the field (the core's bounds); a
    post-dose reading timed before the dose is refused; alerts the core raises are opened and stay
    open until acknowledged with an action. A retried POST with the same key returns the first save."""
    _authorize(actor, "dosing.record", session.client)
    key = _clean_key(idempotency_key)
    if key:
        existing = VitalReading.objects.filter(session=session, idempotency_key=key).first()
        if existing is not None:
            return existing, list(existing.alerts.all()), False
    _require_live(session)
    protocol = protocol_of(session.course)
    taken_at, phase = _timed(session, data)
    symptoms = tuple(data.get("symptoms") or ())
    reading = vitals_from(data, symptoms)
    try:
        alerts = check_vitals(protocol, reading, baseline_of(session))
    except InvalidInput as exc:
        field = exc.field if exc.field in (*VITAL_FIELDS, "symptoms") else "__all__"
        raise ValidationError({field: exc.detail}) from exc
    try:
        with transaction.atomic():
            row = VitalReading.objects.create(
                session=session,
                phase=phase,
                taken_at=taken_at,
                symptoms=list(symptoms),
                note=str(data.get("note") or "").strip()[:300],
                recorded_by=_user(actor),
                idempotency_key=key,
                **{name: _int(getattr(reading, name)) for name in VITAL_FIELDS},
            )
            opened = _open_alerts(session, alerts, reading=row)
            _audit(actor, "dosing.vitals", row, session.client_id, session=session.pk,
                   alerts=[a.code for a in opened])  # fmt: skip
    except IntegrityError:
        existing = VitalReading.objects.filter(session=session, idempotency_key=key).first()
        if existing is None:
            raise
        return existing, list(existing.alerts.all()), False
    return row, opened, True


def rating_record(
    actor: Actor, session: CareSession, data: Mapping[str, Any], *, idempotency_key: str = ""
) -> tuple[Rating, list[Alert], bool]:
    """Sedation (MOAA/S), dissociation and emotional state. A post-dose MOAA/S below the pre-dose
    score opens the protocol's sedation alert (the core decides)."""
    _authorize(actor, "dosing.record", session.client)
    key = _clean_key(idempotency_key)
    if key:
        existing = Rating.objects.filter(session=session, idempotency_key=key).first()
        if existing is not None:
            return existing, list(existing.alerts.all()), False
    _require_live(session)
    protocol = protocol_of(session.course)
    taken_at, phase = _timed(session, data)
    moaas = data.get("moaas")
    scale = str(data.get("dissociation_scale") or "")
    score = data.get("dissociation_score")
    state = str(data.get("emotional_state") or "")
    if moaas in (None, "") and score in (None, "") and not state:
        raise ValidationError("Enter at least one rating: MOAA/S, dissociation or emotional state.")
    if score not in (None, ""):
        if scale not in DISSOCIATION_SCALES:
            raise ValidationError({"dissociation_scale": "Which dissociation scale is the score on?"})
        label, low, high = DISSOCIATION_SCALES[scale]
        if not low <= float(score) <= high:
            raise ValidationError(
                {"dissociation_score": f"A {label} score is {low}-{high}; {score} is impossible."}
            )
    if state and state not in dict(EMOTIONAL_STATES):
        raise ValidationError({"emotional_state": "Unknown emotional state."})
    alerts: list[Any] = []
    if moaas not in (None, ""):
        try:
            reading = VitalsReading(moaas=float(moaas))
            if phase == VitalReading.Phase.POST_DOSE:
                alerts = check_vitals(protocol, reading, baseline_of(session))
            else:
                check_vitals(protocol, reading)  # validates; a pre-dose score is the baseline
                alerts = []
        except InvalidInput as exc:
            raise ValidationError({"moaas": exc.detail}) from exc
    try:
        with transaction.atomic():
            row = Rating.objects.create(
                session=session,
                phase=phase,
                taken_at=taken_at,
                moaas=int(moaas) if moaas not in (None, "") else None,
                dissociation_scale=scale if score not in (None, "") else "",
                dissociation_score=Decimal(str(score)) if score not in (None, "") else None,
                emotional_state=state,
                note=str(data.get("note") or "").strip()[:300],
                recorded_by=_user(actor),
                idempotency_key=key,
            )
            opened = _open_alerts(session, alerts, rating=row)
            _audit(actor, "dosing.rating", row, session.client_id, session=session.pk,
                   alerts=[a.code for a in opened])  # fmt: skip
    except IntegrityError:
        existing = Rating.objects.filter(session=session, idempotency_key=key).first()
        if existing is None:
            raise
        return existing, list(existing.alerts.all()), False
    return row, opened, True


def intervention_record(
    actor: Actor, session: CareSession, data: Mapping[str, Any], *, idempotency_key: str = ""
) -> tuple[Intervention, bool]:
    """An intervention. Supportive touch only within a current touch consent, by the lead clinician
    (consent given to the lead does not cover a trainee or observer: clinical.md §5.4)."""
    _authorize(actor, "dosing.record", session.client)
    key = _clean_key(idempotency_key)
    if key:
        existing = Intervention.objects.filter(session=session, idempotency_key=key).first()
        if existing is not None:
            return existing, False
    _require_live(session)
    kind = data.get("kind") or ""
    if kind not in Intervention.Kind.values:
        raise ValidationError({"kind": "Choose the intervention."})
    at, _phase = _timed(session, data, "at")
    description = str(data.get("description") or "").strip()
    if kind == Intervention.Kind.SUPPORTIVE_TOUCH:
        touch = readiness_for(session.client).touch_opt_in  # consent to touch is ongoing: ask now
        if not touch.consented:
            raise ValidationError({"kind": "Supportive touch is not covered: the client has no current "
                                   "consent "
                                   "to touch. Use another intervention."})  # fmt: skip
        if actor.has_role("trainee") and not actor.has_role("therapist", "prescriber"):
            raise ValidationError({"kind": "The client's consent to touch covers the lead clinician, not a "
                                   "trainee or observer."})  # fmt: skip
        if not description:
            raise ValidationError(
                {"description": f"Say where and how, within the agreement ({touch.summary})"}
            )
    if kind == Intervention.Kind.OTHER and not description:
        raise ValidationError({"description": "Describe the intervention."})
    try:
        with transaction.atomic():
            row = Intervention.objects.create(
                session=session,
                at=at,
                kind=kind,
                description=description[:500],
                recorded_by=_user(actor),
                idempotency_key=key,
            )
            _audit(actor, "dosing.intervention", row, session.client_id, session=session.pk, kind=kind)
    except IntegrityError:
        existing = Intervention.objects.filter(session=session, idempotency_key=key).first()
        if existing is None:
            raise
        return existing, False
    return row, True


def adverse_event_record(
    actor: Actor, session: CareSession, data: Mapping[str, Any], *, idempotency_key: str = ""
) -> tuple[AdverseEvent, bool]:
    """An adverse event on the shared body-system catalogue. A serious one also opens an urgent alert
    (it needs an acknowledgement with an action). May be recorded after discharge too."""
    _authorize(actor, "dosing.record", session.client)
    _require_kind(session, CareSession.Kind.DOSING)
    key = _clean_key(idempotency_key)
    if key:
        existing = AdverseEvent.objects.filter(session=session, idempotency_key=key).first()
        if existing is not None:
            return existing, False
    if session.started_at is None or session.status == CareSession.Status.CANCELLED:
        raise ValidationError("The session has not started: there is no adverse event to record.")
    catalog_ = default_ae_categories()
    term = data.get("term") or ""
    category = catalog_.category_of(term)
    if category is None:
        raise ValidationError({"term": "Choose the event from the list."})
    if data.get("category") and data["category"] != category.id:
        raise ValidationError({"category": f"{term} belongs to {category.label}."})
    severity = data.get("severity") or ""
    if severity not in AdverseEvent.Severity.values:
        raise ValidationError({"severity": "Choose the severity."})
    outcome = data.get("outcome") or AdverseEvent.Outcome.ONGOING
    if outcome not in AdverseEvent.Outcome.values:
        raise ValidationError({"outcome": "Unknown outcome."})
    relatedness = data.get("relatedness") or AdverseEvent.Relatedness.POSSIBLE
    if relatedness not in AdverseEvent.Relatedness.values:
        raise ValidationError({"relatedness": "Unknown relatedness."})
    onset: datetime = data.get("onset_at") or _now()
    _not_future(onset, "onset_at")
    if onset < session.started_at - CLOCK_SKEW:
        raise ValidationError(
            {"onset_at": f"{_hm(onset)} is before the session started ({_hm(session.started_at)})."}
        )
    serious = bool(data.get("serious"))
    action_taken = str(data.get("action_taken") or "").strip()
    if (serious or severity == AdverseEvent.Severity.SEVERE) and not action_taken:
        raise ValidationError({"action_taken": "A serious or severe event needs the action taken."})
    label = next(t.label for t in category.terms if t.id == term)
    try:
        with transaction.atomic():
            row = AdverseEvent.objects.create(
                session=session,
                onset_at=onset,
                category=category.id,
                term=term,
                catalog_version=catalog_.version,
                description=str(data.get("description") or "").strip(),
                severity=severity,
                serious=serious,
                action_taken=action_taken,
                outcome=outcome,
                relatedness=relatedness,
                rems_report=bool(data.get("rems_report")),
                recorded_by=_user(actor),
                idempotency_key=key,
            )
            if serious:
                Alert.objects.create(
                    session=session,
                    code="serious_adverse_event",
                    severity="urgent",
                    message=f"Serious adverse event: {label} ({category.label}). Follow the clinic's SAE "
                    "procedure; notify the prescriber.",
                    suggested_action="Notify the prescriber; report per clinic and REMS policy.",
                    result={"adverse_event": row.pk, "term": term, "category": category.id},
                )
            _audit(actor, "dosing.adverse_event", row, session.client_id, session=session.pk, term=term,
                   severity=severity, serious=serious)  # fmt: skip
    except IntegrityError:
        existing = AdverseEvent.objects.filter(session=session, idempotency_key=key).first()
        if existing is None:
            raise
        return existing, False
    return row, True


def alert_acknowledge(actor: Actor, alert: Alert, action_taken: str) -> Alert:
    """Acknowledge an alert, saying what was done. The action is required."""
    _authorize(actor, "alert.acknowledge", alert.session.client)
    action_taken = (action_taken or "").strip()
    if len(action_taken) < 3:
        raise ValidationError({"action_taken": "Say what you did about this alert (the action is required)."})
    with transaction.atomic():
        updated = Alert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=_now(), acknowledged_by=_user(actor), action_taken=action_taken
        )
        if not updated:
            alert.refresh_from_db()
            who = alert.acknowledged_by.full_name if alert.acknowledged_by else "someone"
            raise ValidationError({"action_taken": f"Already acknowledged by {who}: {alert.action_taken}"})
        _audit(actor, "alert.acknowledge", alert, alert.session.client_id, code=alert.code)
    alert.refresh_from_db()
    return alert


# --------------------------------------------------------------------------------------------------
# Dosing: discharge
# --------------------------------------------------------------------------------------------------


def _session_readings(session: CareSession) -> list[tuple[datetime, VitalsReading]]:
    rows = session.vitals.order_by("taken_at", "pk")
    return [(row.taken_at, vitals_from({name: getattr(row, name) for name in VITAL_FIELDS})) for row in rows]


def discharge(
    actor: Actor,
    session: CareSession,
    data: Mapping[str, Any],
    *,
    expected_version: int,
) -> DosingDetail:
    """Discharge the client. Refused before the protocol's minimum observation time after the last dose
    (a booster restarts the clock), while an alert is unacknowledged, with any checklist item unmet, or
    while an IV infusion has no recorded end. Refused, too, while a scheduled vitals check was never
    recorded or the latest reading is outside the protocol's discharge limits (or a safety floor),
    unless a prescriber documents why (``vitals_justification``). Records who the client left with and
    the after-care given."""
    _authorize(actor, "dosing.record", session.client)
    detail = _require_live(session)
    last = session.doses.order_by("-given_at", "-pk").first()
    if last is None:
        raise ValidationError("No dose was given: cancel the session instead of discharging.")
    first = _first_dose(session)
    assert first is not None
    protocol = protocol_of(session.course)
    now = _now()
    open_alerts = session.alerts.filter(acknowledged_at__isnull=True).count()
    if open_alerts:
        raise ValidationError(
            f"{open_alerts} alert(s) not acknowledged: acknowledge each with the action taken."
        )
    checklist = {item.id: bool(data.get(f"item_{item.id}")) for item in protocol.discharge.items}
    try:
        result = check_discharge(protocol, last.given_at, now, checklist)
        vitals_items = check_discharge_vitals(
            protocol,
            first_dose_at=first.given_at,
            last_dose_at=last.given_at,
            now=now,
            readings=_session_readings(session),
        )
    except InvalidInput as exc:
        raise ValidationError(f"{exc.field}: {exc.detail}") from exc
    errors: dict[str, list[str]] = {}
    for item in result.items:
        if item.status != "ok":
            field = "__all__" if item.id == "min_observation" else f"item_{item.id}"
            errors.setdefault(field, []).append(f"{item.label}: {item.message}")
    running = session.doses.filter(infusion_started_at__isnull=False, infusion_ended_at__isnull=True)
    for dose in running:
        errors.setdefault("__all__", []).append(
            f"The infusion started at {_hm(dose.infusion_started_at or dose.given_at)} has no recorded end: "
            "record when it ended."
        )
    vitals_problems = [f"{i.label}: {i.message}" for i in vitals_items if i.status != "ok"]
    vitals_reason = str(data.get("vitals_justification") or "").strip()
    if vitals_problems and not vitals_reason:
        errors["vitals_justification"] = [
            *vitals_problems,
            "Record the readings, or a prescriber documents why the client may leave anyway.",
        ]
    elif vitals_problems and not allows(actor, "dosing.override"):
        errors["vitals_justification"] = [
            *vitals_problems,
            "Only a prescriber may document why the client leaves with these vitals.",
        ]
    left_with = str(data.get("left_with") or "").strip()
    if not left_with:
        errors["left_with"] = ["Who did the client leave with (name and relationship)?"]
    if not (data.get("aftercare_given") or checklist.get("aftercare_given")):
        field = "item_aftercare_given" if "aftercare_given" in checklist else "aftercare_given"
        errors.setdefault(field, ["Give the after-care instructions (including the no-driving rule)."])
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        _bump(session, expected_version, data)
        detail.discharged_at = now
        detail.discharged_by = _user(actor)
        detail.discharge_checklist = checklist
        detail.discharge_result = {**result.to_dict(), "vitals": [i.to_dict() for i in vitals_items]}
        if vitals_problems:
            detail.vitals_justification = vitals_reason
            detail.vitals_justified_by = _user(actor)
        detail.left_with = left_with[:200]
        detail.aftercare_given = True
        detail.discharge_notes = str(data.get("discharge_notes") or "").strip()
        detail.no_driving = result.no_driving[:200]
        detail.save()
        session.status = CareSession.Status.COMPLETED
        session.ended_at = now
        session.save(update_fields=["status", "ended_at"])
        from kapstone.measures.services import schedule_event

        schedule_event(actor, session.client, "after_dosing", now)
        _audit(actor, "dosing.discharge", session, session.client_id,
               observed_minutes=round(result.observed_minutes, 1),
               vitals_overridden=[i.id for i in vitals_items if i.status != "ok"])  # fmt: skip
    return detail


def _is_infusion(protocol: Protocol, route: str) -> bool:
    """An IV dose of a protocol that gives it over an infusion time: its start and end are recorded."""
    administration = protocol.administration
    return route == "iv" and administration is not None and administration.infusion_minutes is not None


def infusion_end_record(actor: Actor, session: CareSession, data: Mapping[str, Any]) -> DoseRecord:
    """Record when the running IV infusion of the session ended (not before it started, not in the
    future). Refused when no infusion is running."""
    _authorize(actor, "dosing.record", session.client)
    _require_live(session)
    dose = (
        session.doses.filter(infusion_started_at__isnull=False, infusion_ended_at__isnull=True)
        .order_by("given_at", "pk")
        .first()
    )
    if dose is None:
        raise ValidationError({"ended_at": "No infusion is running in this session."})
    ended: datetime = data.get("ended_at") or _now()
    _not_future(ended, "ended_at")
    started_at = dose.infusion_started_at or dose.given_at
    if ended < started_at:
        raise ValidationError(
            {"ended_at": f"{_hm(ended)} is before the infusion started ({_hm(started_at)})."}
        )
    with transaction.atomic():
        done = DoseRecord.objects.filter(pk=dose.pk, infusion_ended_at__isnull=True).update(
            infusion_ended_at=ended
        )
        if not done:
            raise ValidationError({"ended_at": "The end of this infusion is already recorded."})
        minutes = round((ended - started_at).total_seconds() / 60, 1)
        _audit(actor, "dosing.infusion_end", dose, session.client_id, session=session.pk, minutes=minutes)
    dose.refresh_from_db()
    return dose


def new_key() -> str:
    """A fresh idempotency key for an entry form (the page renders one; dosing.js renews it)."""
    return uuid.uuid4().hex
