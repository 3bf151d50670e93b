"""Reads for courses and sessions: scoped to the acting person through the client selector's scope,
audited, and 404 for not-found and not-yours alike. Also the derived views a page needs: a course at
a glance (phase, next required step). The live dosing board is read in ``kapstone.care.board``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from kapstone.access.policy import Scope, allows, scope_for
from kapstone.access.scoping import scoped_get
from kapstone.audit.models import Outcome
from kapstone.audit.services import record
from kapstone.care import catalog
from kapstone.care.board import DosingBoard as DosingBoard  # the board lives in care.board
from kapstone.care.board import TimelineEntry as TimelineEntry
from kapstone.care.board import dosing_board as dosing_board
from kapstone.care.models import (
    Alert,
    CareSession,
    Course,
    DoseRecord,
    ProtocolVersion,
)
from kapstone.care.protocol_core import (
    CourseState,
    NextStep,
    Protocol,
    next_step,
)
from kapstone.care.services import clearance_gaps, protocol_of, readiness_for
from kapstone.care.services.monitoring import FIRST_DOSE_AT
from kapstone.clients.models import Client
from kapstone.clients.selectors import clients_scoped
from kapstone.core.actor import Actor

# --------------------------------------------------------------------------------------------------
# Scoped gets
# --------------------------------------------------------------------------------------------------


def _denied(actor: Actor, action: str, object_type: str, pk: object, client_id: int | None = None) -> Http404:
    record(actor, action, outcome=Outcome.DENIED, object_type=object_type, object_id=str(pk)[:64],
           client_id=client_id)  # fmt: skip
    return Http404()


def courses_scoped(actor: Actor, action: str) -> QuerySet[Course]:
    return Course.objects.filter(client__in=clients_scoped(actor, action))


def sessions_scoped(actor: Actor, action: str) -> QuerySet[CareSession]:
    return CareSession.objects.filter(client__in=clients_scoped(actor, action))


def course_get(actor: Actor, pk: int | str, *, action: str = "course.view") -> Course:
    try:
        course = courses_scoped(actor, action).select_related("client", "protocol").get(pk=int(pk))
    except (Course.DoesNotExist, ValueError, TypeError):
        known = (
            Course.objects.filter(pk=pk).values_list("client_id", flat=True).first()
            if str(pk).isdigit()
            else None
        )
        raise _denied(actor, action, "course", pk, known) from None
    record(actor, action, object_type="course", object_id=course.pk, client_id=course.client_id)
    return course


def session_get(actor: Actor, pk: int | str, *, action: str = "course.view") -> CareSession:
    try:
        session = (
            sessions_scoped(actor, action)
            .select_related("client", "course", "course__protocol", "follows", "lead")
            .get(pk=int(pk))
        )
    except (CareSession.DoesNotExist, ValueError, TypeError):
        known = (
            CareSession.objects.filter(pk=pk).values_list("client_id", flat=True).first()
            if str(pk).isdigit()
            else None
        )
        raise _denied(actor, action, "caresession", pk, known) from None
    record(actor, action, object_type="caresession", object_id=session.pk, client_id=session.client_id)
    return session


def dosing_session_get(actor: Actor, pk: int | str, *, action: str = "dosing.record") -> CareSession:
    """A dosing session the actor may work in, found once per request with what the room's entries
    read (course, protocol, the dosing detail). Not audited as a read here: the entry's write is
    audited, and a page or poll that shows the board records its read (``session_read``)."""
    # The scope as a correlated EXISTS on the session's own client, beside the session's own
    # organization predicate: PostgreSQL checks the one client by its key, where ``client__in`` built
    # the actor's whole DISTINCT scoped-client list on every entry (issue #18). Same rule
    # (clients_scoped, which filters the client's organization too), same 404 and denial audit.
    in_scope = Exists(clients_scoped(actor, action).filter(pk=OuterRef("client_id")))
    org = actor.organization_id or 0  # none: no organization's sessions (clients_scoped is empty too)
    sessions = CareSession.objects.filter(organization_id=org) if org else CareSession.objects.none()
    # The first dose's time, which every entry's time is checked against, in the same statement.
    first_dose = DoseRecord.objects.filter(session_id=OuterRef("pk"), session__organization_id=org).order_by(
        "given_at", "pk"
    )
    scoped = (
        sessions.filter(in_scope)
        .select_related("client", "course", "course__protocol", "dosing")
        .annotate(**{FIRST_DOSE_AT: Subquery(first_dose.values("given_at")[:1])})
    )
    session = scoped_get(actor, scoped, pk, action=action, object_type="caresession", client_of="client",
                         audit_read=False)  # fmt: skip
    if session.kind != CareSession.Kind.DOSING:
        raise Http404
    return session


def session_read(actor: Actor, session: CareSession, *, action: str) -> None:
    """Audit that the actor was shown the session (the read ``dosing_session_get`` left to the page)."""
    record(actor, action, object_type="caresession", object_id=session.pk, client_id=session.client_id)


def alert_get(actor: Actor, pk: int | str, *, action: str = "alert.acknowledge") -> Alert:
    try:
        alert = (
            Alert.objects.filter(session__client__in=clients_scoped(actor, action))
            .select_related("session", "session__client")
            .get(pk=int(pk))
        )
    except (Alert.DoesNotExist, ValueError, TypeError):
        raise _denied(actor, action, "alert", pk) from None
    record(
        actor, action + ".view", object_type="alert", object_id=alert.pk, client_id=alert.session.client_id
    )
    return alert


def protocols_visible(actor: Actor) -> QuerySet[ProtocolVersion]:
    if scope_for(actor, "protocol.view") is Scope.NONE or actor.organization_id is None:
        return ProtocolVersion.objects.none()
    return ProtocolVersion.objects.filter(organization_id=actor.organization_id)


def protocol_get(actor: Actor, pk: int | str) -> ProtocolVersion:
    try:
        return protocols_visible(actor).get(pk=int(pk))
    except (ProtocolVersion.DoesNotExist, ValueError, TypeError):
        raise _denied(actor, "protocol.view", "protocolversion", pk) from None


def protocols_current(organization_id: int) -> list[ProtocolVersion]:
    """The highest active version of each protocol id, for a new course."""
    best: dict[str, ProtocolVersion] = {}
    for pv in ProtocolVersion.objects.filter(organization_id=organization_id, is_active=True):
        if pv.protocol_id not in best or catalog.is_higher(pv.version, best[pv.protocol_id].version):
            best[pv.protocol_id] = pv
    return [best[k] for k in sorted(best)]


def client_courses(client: Client) -> list[Course]:
    return list(
        client.courses.filter(organization_id=client.organization_id)
        .select_related("protocol")
        .order_by("-started_at")
    )


# --------------------------------------------------------------------------------------------------
# A course at a glance
# --------------------------------------------------------------------------------------------------


@dataclass
class CourseOverview:
    course: Course
    protocol: Protocol
    phase: str
    step: NextStep
    blockers: list[str]
    notes: list[str]
    sessions: list[CareSession]
    preparations_done: int
    preparations_needed: int
    dosing_done: int
    touch_summary: str
    feedback: list[tuple[CareSession, str]] = field(default_factory=list)
    open_alerts: int = 0
    live: CareSession | None = None  # a dosing session in progress


def _first_dose_times(course: Course) -> list[datetime]:
    times = (
        DoseRecord.objects.filter(
            session__organization_id=course.organization_id, session__course=course, is_booster=False
        )
        .exclude(session__status=CareSession.Status.CANCELLED)
        .order_by("given_at")
        .values_list("given_at", flat=True)
    )
    return list(times)


def course_overview(course: Course, *, now: datetime | None = None) -> CourseOverview:
    """Phase, the next required step (the core's ``next_step``) and what stands in the way."""
    asked_at = now  # None: this moment, so the client header shares one readiness (core.memo)
    now = now or timezone.now()
    protocol = protocol_of(course)
    sessions = list(
        course.sessions.filter(organization_id=course.organization_id)
        .select_related("lead", "follows", "dosing", "integration", "preparation")
        .order_by("scheduled_at", "pk")
    )
    prep_done = sum(  # preparations_done(course), from the sessions just read
        1
        for s in sessions
        if s.kind == CareSession.Kind.PREPARATION and s.status == CareSession.Status.COMPLETED
    )
    prep_needed = int(protocol.phases.preparation_sessions_before_first_dose.value)
    dosing = _first_dose_times(course)
    integration = [
        s.started_at
        for s in sessions
        if s.kind == CareSession.Kind.INTEGRATION
        and s.status == CareSession.Status.COMPLETED
        and s.started_at
    ]
    step = next_step(
        protocol,
        CourseState(
            now=now,
            preparation_sessions_done=prep_done,
            dosing_sessions=tuple(dosing),
            integration_sessions=tuple(integration),
        ),
    )
    readiness = readiness_for(course.client, at=asked_at)
    blockers = readiness.missing + clearance_gaps(protocol, readiness) if course.is_open else []
    notes: list[str] = list(readiness.warnings)
    if not readiness.touch_opt_in.consented:
        notes.append("consent for touch not yet given: no supportive touch in dosing sessions")
    open_alerts = Alert.objects.filter(
        session__organization_id=course.organization_id, session__course=course, acknowledged_at__isnull=True
    ).count()
    live = next(
        (
            s
            for s in sessions
            if s.kind == CareSession.Kind.DOSING and s.status == CareSession.Status.IN_PROGRESS
        ),
        None,
    )
    if not course.is_open:
        phase = course.get_status_display()
    elif course.status == Course.Status.MAINTENANCE:
        phase = "Maintenance"
    elif live is not None:
        phase = "Dosing (session in progress)"
    elif step.code == "integration_due":
        phase = "Integration"
    elif dosing:
        phase = "Dosing series"
    elif prep_done or any(s.kind == CareSession.Kind.PREPARATION for s in sessions):
        phase = "Preparation"
    else:
        phase = "Intake"
    feedback = [
        (s, s.integration.prescriber_feedback)
        for s in sessions
        if s.kind == CareSession.Kind.INTEGRATION
        and hasattr(s, "integration")
        and s.integration.prescriber_feedback
    ]
    return CourseOverview(
        course=course,
        protocol=protocol,
        phase=phase,
        step=step,
        blockers=blockers,
        notes=notes,
        sessions=sessions,
        preparations_done=prep_done,
        preparations_needed=prep_needed,
        dosing_done=len(dosing),
        touch_summary=readiness.touch_opt_in.summary,
        feedback=feedback,
        open_alerts=open_alerts,
        live=live,
    )


def may(actor: Actor, action: str) -> bool:
    return allows(actor, action)


def upcoming_sessions(client: Client, *, now: datetime | None = None) -> list[CareSession]:
    """The client's scheduled sessions from today on (for the portal: times and kinds only)."""
    now = now or timezone.now()
    return list(
        CareSession.objects.filter(
            client=client, status=CareSession.Status.SCHEDULED, scheduled_at__gte=now - timedelta(hours=12)
        ).order_by("scheduled_at")[:10]
    )
