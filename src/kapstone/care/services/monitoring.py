"""During a dosing session: vitals, ratings, interventions, adverse events and the alerts they
open, and their acknowledgement."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from kapstone.care.models import (
    AdverseEvent,
    Alert,
    CareSession,
    Intervention,
    Rating,
    VitalReading,
)
from kapstone.care.protocol_core import (
    InvalidInput,
    VitalsReading,
    check_vitals,
    default_ae_categories,
)
from kapstone.care.services._common import (
    CLOCK_SKEW,
    VITAL_FIELDS,
    _audit,
    _authorize,
    _clean_key,
    _first_dose,
    _hm,
    _int,
    _not_future,
    _now,
    _require_kind,
    _require_live,
    _user,
    protocol_of,
    readiness_for,
)
from kapstone.care.vocabulary import DISSOCIATION_SCALES, EMOTIONAL_STATES, TOUCH
from kapstone.core import labels
from kapstone.core.actor import Actor

if TYPE_CHECKING:
    pass

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


def compares_with_baseline(protocol: Any, reading: VitalsReading) -> bool:
    """Whether an alert rule compares one of the reading's measured values with the pre-dose one: only
    such a rule reads the baseline (the shipped protocols compare MOAA/S alone, which a vitals entry
    does not carry). Without one the reading's alerts are the same with or without the baseline, so
    its two reads are skipped."""
    return any(rule.from_baseline and getattr(reading, rule.vital) is not None for rule in protocol.alerts)


# The first dose's time as the session's lookup read it, in the same statement (a dosing entry's
# ``selectors.dosing_session_get``); a session found otherwise has no such attribute and is asked.
FIRST_DOSE_AT = "first_dose_given_at"
_UNREAD = object()


def _first_dose_at(session: CareSession) -> datetime | None:
    read = getattr(session, FIRST_DOSE_AT, _UNREAD)
    if read is not _UNREAD:
        return read  # type: ignore[return-value]
    first = _first_dose(session)
    return first.given_at if first is not None else None


def _timed(session: CareSession, data: Mapping[str, Any], field: str = "taken_at") -> tuple[datetime, str]:
    """The entry's time and phase: after the first dose every entry is post-dose and must be timed
    after that dose."""
    at: datetime = data.get(field) or _now()
    _not_future(at, field)
    first_at = _first_dose_at(session)
    if first_at is None:
        return at, VitalReading.Phase.PRE_DOSE
    if at < first_at:
        raise ValidationError(
            {
                field: f"{_hm(at)} is before the first dose at {_hm(first_at)}: a post-dose entry must "
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
                message=labels.plain(alert.message),  # stored in words: "Respiratory rate 9 /min"
                suggested_action=alert.action or "",
                result=alert.to_dict(),
                **link,
            )
        )
    return rows


class VitalsSaved(NamedTuple):
    row: VitalReading
    alerts: list[Alert]
    created: bool  # False: a retry of an entry already saved under the same key


def _saved_before(session: CareSession, key: str) -> VitalsSaved | None:
    existing = VitalReading.objects.filter(session=session, idempotency_key=key).first() if key else None
    return VitalsSaved(existing, list(existing.alerts.all()), False) if existing is not None else None


def vitals_record(
    *,
    actor: Actor,
    session: CareSession,
    reading: VitalsReading,
    taken_at: datetime | None = None,
    note: str = "",
    idempotency_key: str = "",
) -> VitalsSaved:
    """One set of vitals. Impossible values are refused naming the field (the core's bounds); a
    post-dose reading timed before the dose is refused; alerts the core raises are opened and stay
    open until acknowledged with an action. A retried POST with the same key returns the first save.

    ``session`` is the one the caller found in the actor's scope (``selectors.dosing_session_get``):
    it is neither authorized nor read again here, and the write's audit row records who wrote."""
    key = _clean_key(idempotency_key)
    try:
        return _vitals_new(actor, session, reading, taken_at, note, key)
    except ValidationError:
        before = _saved_before(session, key)  # a retry after the session moved on: the first save
        if before is None:
            raise
        return before
    except IntegrityError:
        before = _saved_before(session, key)  # a retry: the key is taken by the first save
        if before is None:
            raise
        return before


def _vitals_new(
    actor: Actor, session: CareSession, reading: VitalsReading, taken_at: datetime | None, note: str, key: str
) -> VitalsSaved:
    _require_kind(session, CareSession.Kind.DOSING)
    if session.status != CareSession.Status.IN_PROGRESS:
        _require_live(session)  # raises, naming why (not started, or discharged)
    protocol = protocol_of(session.course)
    at, phase = _timed(session, {"taken_at": taken_at})
    baseline = baseline_of(session) if compares_with_baseline(protocol, reading) else None
    try:
        alerts = check_vitals(protocol, reading, baseline)
    except InvalidInput as exc:
        field = exc.field if exc.field in (*VITAL_FIELDS, "symptoms") else "__all__"
        raise ValidationError({field: exc.detail}) from exc
    with transaction.atomic():
        row = VitalReading.objects.create(
            session=session,
            phase=phase,
            taken_at=at,
            symptoms=list(reading.symptoms),
            note=note.strip()[:300],
            recorded_by=_user(actor),
            idempotency_key=key,
            **{name: _int(getattr(reading, name)) for name in VITAL_FIELDS},
        )
        opened = _open_alerts(session, alerts, reading=row)
        _audit(actor, "dosing.vitals", row, session.client_id, session=session.pk,
               alerts=[a.code for a in opened])  # fmt: skip
    return VitalsSaved(row, opened, True)


def rating_record(
    actor: Actor,
    session: CareSession,
    *,
    moaas: int | None = None,
    dissociation_scale: str = "",
    dissociation_score: Decimal | float | None = None,
    emotional_state: str = "",
    note: str = "",
    taken_at: datetime | None = None,
    idempotency_key: str = "",
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
    at, phase = _timed(session, {"taken_at": taken_at})
    scale, score, state = dissociation_scale, dissociation_score, emotional_state
    if moaas is None and score is None and not state:
        raise ValidationError("Enter at least one rating: MOAA/S, dissociation or emotional state.")
    if score is not None:
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
    if moaas is not None:
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
                taken_at=at,
                moaas=moaas,
                dissociation_scale=scale if score is not None else "",
                dissociation_score=Decimal(str(score)) if score is not None else None,
                emotional_state=state,
                note=note.strip()[:300],
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
    actor: Actor,
    session: CareSession,
    *,
    kind: str,
    description: str = "",
    at: datetime | None = None,
    idempotency_key: str = "",
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
    if kind not in Intervention.Kind.values:
        raise ValidationError({"kind": "Choose the intervention."})
    at, _phase = _timed(session, {"at": at}, "at")
    description = description.strip()
    if kind == Intervention.Kind.SUPPORTIVE_TOUCH:
        touch = readiness_for(session.client).touch_opt_in  # consent to touch is ongoing: ask now
        if not touch.consented:
            raise ValidationError({"kind": "Supportive touch is not covered: the client has no current "
                                   "consent "
                                   "to touch. Use another intervention."})  # fmt: skip
        if actor.has_role(*TOUCH.not_covered) and not actor.has_role(*TOUCH.covered):
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
    actor: Actor,
    session: CareSession,
    *,
    term: str,
    severity: str,
    category_id: str = "",  # the catalogue category the caller expects the term in
    serious: bool = False,
    action_taken: str = "",
    outcome: str = "",
    relatedness: str = "",
    rems_report: bool = False,
    description: str = "",
    onset_at: datetime | None = None,
    idempotency_key: str = "",
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
    category = catalog_.category_of(term)
    if category is None:
        raise ValidationError({"term": "Choose the event from the list."})
    if category_id and category_id != category.id:
        raise ValidationError({"category": f"{term} belongs to {category.label}."})
    if severity not in AdverseEvent.Severity.values:
        raise ValidationError({"severity": "Choose the severity."})
    outcome = outcome or AdverseEvent.Outcome.ONGOING
    if outcome not in AdverseEvent.Outcome.values:
        raise ValidationError({"outcome": "Unknown outcome."})
    relatedness = relatedness or AdverseEvent.Relatedness.POSSIBLE
    if relatedness not in AdverseEvent.Relatedness.values:
        raise ValidationError({"relatedness": "Unknown relatedness."})
    onset: datetime = onset_at or _now()
    _not_future(onset, "onset_at")
    if onset < session.started_at - CLOCK_SKEW:
        raise ValidationError(
            {"onset_at": f"{_hm(onset)} is before the session started ({_hm(session.started_at)})."}
        )
    action_taken = action_taken.strip()
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
                description=description.strip(),
                severity=severity,
                serious=serious,
                action_taken=action_taken,
                outcome=outcome,
                relatedness=relatedness,
                rems_report=rems_report,
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
