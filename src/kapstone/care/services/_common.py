"""What every care service shares: the authorization and audit calls, the clock, the version
bump, the readiness contract and the checks several services make."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kapstone.access.policy import allows
from kapstone.audit.services import record
from kapstone.care import catalog
from kapstone.care.models import (
    CareSession,
    Course,
    DoseRecord,
    DosingDetail,
)
from kapstone.care.protocol_core import (
    Protocol,
    VitalsReading,
)
from kapstone.care.safety_gate import with_safety
from kapstone.clients.models import Client
from kapstone.clients.selectors import clients_scoped
from kapstone.core.actor import Actor
from kapstone.core.contract import Refused, Stale

if TYPE_CHECKING:
    from kapstone.accounts.models import User
    from kapstone.screening.readiness import Readiness

VITAL_FIELDS = ("systolic", "diastolic", "heart_rate", "spo2", "respiratory_rate")
# Attestations the platform knows itself (from readiness), so nobody ticks them by habit.
DERIVED_ATTESTATIONS = {"consent_current", "clearance_current"}
CLOCK_SKEW = timedelta(minutes=2)  # a tablet's clock may run a little ahead of the server's


STALE = "This record was changed by someone else since you opened it."


def stale(current: CareSession | Course, submitted_version: int | None) -> Stale:
    """The contract's ``Stale`` (409) for a course or session saved since the person read it: both
    versions, and the stored row so the page can show it beside what they typed."""
    return Stale(
        current_version=current.version, submitted_version=submitted_version, current=current, message=STALE
    )


class NotReady(Refused):
    """The client is not ready for dosing (readiness contract): a ``Refused`` (422) whose reason says
    what is missing, and ``missing`` lists it so a page can show the list."""

    def __init__(self, missing: Sequence[str]) -> None:
        self.missing = list(missing)
        super().__init__("Not ready for a dosing session: " + "; ".join(self.missing), code="not_ready")


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
    from kapstone.screening import readiness  # late: it imports screening, which must be installed

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


def clock() -> datetime:
    """The care services' clock. The demo points it at a story's moment to enter a past course
    through the services, each step checked at the time it carries (``tooling.demo._StoryClock``)."""
    return timezone.now()


def _now() -> datetime:
    return clock()  # looked up on each call, so replacing ``clock`` reaches every service module


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


def _bump(session: CareSession, expected_version: int | None) -> None:
    """Claim the next version of the session or raise ``Stale`` (inside the caller's transaction)."""
    if expected_version is None:
        expected_version = session.version
    updated = CareSession.objects.filter(pk=session.pk, version=expected_version).update(
        version=expected_version + 1
    )
    if not updated:
        raise stale(CareSession.objects.get(pk=session.pk), expected_version)
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


def new_key() -> str:
    """A fresh idempotency key for an entry form (the page renders one; dosing.js renews it)."""
    return uuid.uuid4().hex
