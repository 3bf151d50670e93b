"""Discharging the client from a dosing session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from kapstone.access.policy import allows
from kapstone.care.models import (
    CareSession,
    DosingDetail,
)
from kapstone.care.protocol_core import (
    InvalidInput,
    VitalsReading,
    check_discharge,
)
from kapstone.care.protocol_core.discharge_vitals import check_discharge_vitals
from kapstone.care.services._common import (
    VITAL_FIELDS,
    _audit,
    _authorize,
    _bump,
    _first_dose,
    _hm,
    _now,
    _require_live,
    _user,
    protocol_of,
    vitals_from,
)
from kapstone.core.actor import Actor
from kapstone.measures.services import schedule_event

# --------------------------------------------------------------------------------------------------
# Dosing: discharge
# --------------------------------------------------------------------------------------------------


def _session_readings(session: CareSession) -> list[tuple[datetime, VitalsReading]]:
    rows = session.vitals.order_by("taken_at", "pk")
    return [(row.taken_at, vitals_from({name: getattr(row, name) for name in VITAL_FIELDS})) for row in rows]


@dataclass(frozen=True)
class DischargeSummary:
    """What the discharge records, typed: the protocol's checklist items ticked (by id), who the
    client left with, the after-care given, notes, and a prescriber's reason to discharge with the
    vitals outside the limits (or a scheduled reading missing)."""

    items_done: frozenset[str] = frozenset()
    left_with: str = ""
    aftercare_given: bool = False
    notes: str = ""
    vitals_justification: str = ""


def discharge(
    actor: Actor,
    session: CareSession,
    *,
    summary: DischargeSummary,
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
    checklist = {item.id: item.id in summary.items_done for item in protocol.discharge.items}
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
    vitals_reason = summary.vitals_justification.strip()
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
    left_with = summary.left_with.strip()
    if not left_with:
        errors["left_with"] = ["Who did the client leave with (name and relationship)?"]
    if not (summary.aftercare_given or checklist.get("aftercare_given")):
        field = "item_aftercare_given" if "aftercare_given" in checklist else "aftercare_given"
        errors.setdefault(field, ["Give the after-care instructions (including the no-driving rule)."])
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        _bump(session, expected_version)
        detail.discharged_at = now
        detail.discharged_by = _user(actor)
        detail.discharge_checklist = checklist
        detail.discharge_result = {**result.to_dict(), "vitals": [i.to_dict() for i in vitals_items]}
        if vitals_problems:
            detail.vitals_justification = vitals_reason
            detail.vitals_justified_by = _user(actor)
        detail.left_with = left_with[:200]
        detail.aftercare_given = True
        detail.discharge_notes = summary.notes.strip()
        detail.no_driving = result.no_driving[:200]
        detail.save()
        session.status = CareSession.Status.COMPLETED
        session.ended_at = now
        session.save(update_fields=["status", "ended_at"])
        schedule_event(actor, session.client, "after_dosing", now)
        _audit(actor, "dosing.discharge", session, session.client_id,
               observed_minutes=round(result.observed_minutes, 1),
               vitals_overridden=[i.id for i in vitals_items if i.status != "ok"])  # fmt: skip
    return detail
