"""The dosing session's start (readiness and the pre-dose go/no-go), its doses and an IV
infusion's end."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from kapstone.access.policy import allows
from kapstone.audit.services import record
from kapstone.care.models import (
    CareSession,
    Course,
    DoseRecord,
    DosingDetail,
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
    VitalsReading,
    check_dose,
    check_pre_dose,
    default_vital_bounds,
    validate_reading,
)
from kapstone.care.safety_gate import safety_gaps
from kapstone.care.services._common import (
    CLOCK_SKEW,
    DERIVED_ATTESTATIONS,
    VITAL_FIELDS,
    NotReady,
    _audit,
    _authorize,
    _bump,
    _clean_key,
    _first_dose,
    _hm,
    _int,
    _not_future,
    _now,
    _require_kind,
    _require_live,
    _require_open_course,
    _user,
    clearance_gaps,
    protocol_of,
    readiness_for,
)
from kapstone.core.actor import Actor

if TYPE_CHECKING:
    from kapstone.accounts.models import User
    from kapstone.screening.readiness import Readiness

# --------------------------------------------------------------------------------------------------
# Dosing: start (readiness + pre-dose go/no-go)
# --------------------------------------------------------------------------------------------------


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


CURRENT_STATE_FIELDS = ("current_psychotic_symptoms", "current_manic_symptoms")


@dataclass(frozen=True)
class PreDoseChecks:
    """What the pre-dose checklist records, typed. What the service knows itself (the dose number,
    the previous dose, the attestations readiness vouches for) is not asked. Blank = not recorded."""

    planned_dose_at: datetime | None = None  # None: now
    last_food_at: datetime | None = None
    last_liquid_at: datetime | None = None
    weight_kg: Decimal | float | None = None
    vitals: VitalsReading = VitalsReading()  # with the symptoms now; moaas apart (below)
    moaas: int | None = None
    medications_reviewed: bool = False
    same_day_medications: tuple[str, ...] = ()
    attested: frozenset[str] = frozenset()  # the protocol's attestation ids ticked
    mood_result: str = ""
    # Current mental state asked today (CURRENT_STATE_FIELDS): yes / no; left out = not asked.
    current_state: Mapping[str, bool | None] = field(default_factory=dict)


def dosing_start(  # noqa: C901 - one case per rule; listed in issue #10 to split
    actor: Actor,
    session: CareSession,
    *,
    checks: PreDoseChecks,
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

    weight = checks.weight_kg
    if protocol.uses_weight and weight is None:
        raise ValidationError({"weight_kg": "This protocol doses by weight: record today's weight in kg."})
    bound = default_vital_bounds().weight
    if weight is not None and not bound.min <= float(weight) <= bound.max:
        accepted = f"{bound.min:g}-{bound.max:g} kg"
        raise ValidationError(
            {"weight_kg": f"{weight} kg is impossible (accepted {accepted}): kilograms, not pounds?"}
        )
    planned = checks.planned_dose_at or now
    vitals = checks.vitals
    symptoms = vitals.symptoms
    attestations: dict[str, bool | None] = {}
    for attestation in protocol.pre_dose.attestations:
        if attestation.id in DERIVED_ATTESTATIONS:
            attestations[attestation.id] = True  # readiness.ready above: consent and clearance are current
        else:
            attestations[attestation.id] = True if attestation.id in checks.attested else None
    mood = checks.mood_result or None
    measured = any(getattr(vitals, name) is not None for name in VITAL_FIELDS)
    checklist = PreDoseChecklist(
        planned_dose_at=planned,
        last_food_at=checks.last_food_at,
        last_liquid_at=checks.last_liquid_at,
        vitals=vitals if measured or symptoms else None,
        medications_reviewed=True if checks.medications_reviewed else None,
        same_day_medications=tuple(checks.same_day_medications),
        attestations=attestations,
        mood_check=MoodCheck(done=True, result=mood) if mood else None,
        dose_number=len(history) + 1,
        previous_dosing_at=history[-1][1].given_at if history else None,
        current_state={name: checks.current_state.get(name) for name in CURRENT_STATE_FIELDS},
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
        "weight_kg": str(weight) if weight is not None else None,
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
        _bump(session, expected_version)
        session.status = CareSession.Status.IN_PROGRESS
        session.started_at = now
        session.number = len(history) + 1
        session.save(update_fields=["status", "started_at", "number"])
        detail = DosingDetail.objects.get(session=session)
        detail.weight_kg = Decimal(str(weight)) if weight is not None else None
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
        if checks.moaas is not None:
            Rating.objects.create(
                session=session,
                phase=VitalReading.Phase.PRE_DOSE,
                taken_at=now,
                moaas=int(checks.moaas),
                recorded_by=_user(actor),
            )
        _audit(actor, "dosing.start", session, client.pk, decision=result.decision, number=session.number,
               protocol=result.protocol_id, version=result.protocol_version)  # fmt: skip
    return DosingStart(True, result, readiness)


# --------------------------------------------------------------------------------------------------
# Dosing: the dose
# --------------------------------------------------------------------------------------------------

_DOSE_FIELDS = {"unit_not_mg": "unit", "invalid_amount": "amount_mg", "invalid_weight": "weight_kg"}


def dose_record(
    actor: Actor,
    session: CareSession,
    *,
    amount_mg: Decimal | float | None,
    unit: str = "mg",
    route: str = "",
    tier: str = "",
    formulation: str = "",
    lot: str = "",
    given_at: datetime | None = None,
    given_by: User | None = None,
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
    given_at = given_at or _now()
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
    amount = amount_mg
    if amount in (None, ""):
        raise ValidationError({"amount_mg": "Enter the dose."})
    weight = detail.weight_kg
    route = route or protocol.route
    history = _dosing_history(session)
    first_course_dose = history[0][1].amount_mg if history else None
    dose_input = DoseInput(
        route=route,
        unit=unit or "mg",
        amount_mg=float(amount),
        weight_kg=float(weight) if weight is not None else None,
        tier=tier or None,
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
    given_by = given_by or _user(actor)
    try:
        with transaction.atomic():
            dose = DoseRecord.objects.create(
                session=session,
                is_booster=bool(prior),
                route=route,
                formulation=(formulation or protocol.formulation)[:200],
                product=protocol.product,
                tier=tier,
                amount_mg=Decimal(str(amount)),
                weight_kg=weight,
                mg_per_kg=Decimal(str(round(check.mg_per_kg, 4))) if check.mg_per_kg is not None else None,
                given_at=given_at,
                given_by=given_by,
                infusion_started_at=given_at if _is_infusion(protocol, route) else None,
                lot=lot.strip()[:60],
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


def _is_infusion(protocol: Protocol, route: str) -> bool:
    """An IV dose of a protocol that gives it over an infusion time: its start and end are recorded."""
    administration = protocol.administration
    return route == "iv" and administration is not None and administration.infusion_minutes is not None


def infusion_end_record(
    actor: Actor, session: CareSession, *, ended_at: datetime | None = None
) -> DoseRecord:
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
    ended: datetime = ended_at or _now()
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
