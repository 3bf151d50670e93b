"""Helpers for the care tests: actors, a ready client, a course run up to any point."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from kapstone.care import services
from kapstone.care.models import CareSession, Course, ProtocolVersion
from kapstone.care.services.monitoring import VitalsSaved
from kapstone.core.actor import Actor

ROLES = {"avery": "org_admin", "theo": "therapist", "tamsin": "therapist", "priya": "prescriber",
         "sam": "supervisor", "toby": "trainee", "olive": "therapist"}  # fmt: skip


def actor(world: Any, name: str) -> Actor:
    user = world.users[name]
    org = world.org_b if name == "olive" else world.org_a
    return Actor(user=user, organization=org, roles=frozenset({ROLES[name]}))


def protocol(world: Any, protocol_id: str = "sublingual_kap_series") -> ProtocolVersion:
    services.protocols_install_shipped(actor(world, "avery"), world.org_a)
    return ProtocolVersion.objects.get(organization=world.org_a, protocol_id=protocol_id)


def start_course(world: Any, protocol_id: str = "sublingual_kap_series", who: str = "theo") -> Course:
    return services.course_start(actor(world, who), world.clients["rowan"], protocol(world, protocol_id))


def prepare(world: Any, course: Course, count: int = 2) -> list[CareSession]:
    theo = actor(world, "theo")
    done = []
    for _ in range(count):
        session = services.session_schedule(theo, course, "preparation", timezone.now())
        services.preparation_record(
            theo,
            session,
            entry=services.PreparationInput(
                intentions="To feel less stuck; to meet the grief with kindness.",
                transport_plan="My sister Ana drives me home.",
                fasting_instructions_given=True,
                medication_hold_instructions_given=True,
                psychoeducation=("effects", "risks"),
            ),
            expected_version=session.version,
            complete=True,
        )
        done.append(session)
    return done


GO_VITALS = {"systolic": 122, "diastolic": 78, "heart_rate": 72, "spo2": 98, "respiratory_rate": 14}


def go_checklist(
    protocol_attestations: tuple[str, ...] = ("escort_present",), **overrides: Any
) -> services.PreDoseChecks:
    """A pre-dose checklist that gives a go; ``overrides`` name a field of ``PreDoseChecks``, a vital
    (``systolic`` ...) or a current-state question (``current_manic_symptoms``)."""
    now = timezone.now()
    vitals = {**GO_VITALS, **{k: overrides.pop(k) for k in list(overrides) if k in GO_VITALS}}
    state = {name: False for name in services.CURRENT_STATE_FIELDS}
    state |= {k: overrides.pop(k) for k in list(overrides) if k in state}
    checks = services.PreDoseChecks(
        planned_dose_at=now,
        last_food_at=now - timedelta(hours=6),
        last_liquid_at=now - timedelta(hours=3),
        vitals=services.vitals_from(vitals),
        moaas=5,
        medications_reviewed=True,
        mood_result="no_risk",
        weight_kg=70,
        attested=frozenset(protocol_attestations),
        current_state=state,
    )
    return replace(checks, **overrides)


def discharge_summary(session: CareSession, **overrides: Any) -> services.DischargeSummary:
    """Every checklist item of the session's protocol ticked, the escort named, after-care given;
    ``item_<id>=False`` leaves that item unticked."""
    items = frozenset(item.id for item in services.protocol_of(session.course).discharge.items)
    items -= {
        k.removeprefix("item_") for k in list(overrides) if k.startswith("item_") and not overrides.pop(k)
    }
    summary = services.DischargeSummary(items_done=items, left_with="Ana (sister)", aftercare_given=True)
    return replace(summary, **overrides)


def dosing_session(world: Any, course: Course, *, prepared: bool = True) -> CareSession:
    if prepared:
        prepare(world, course)
    return services.session_schedule(
        actor(world, "theo"), course, "dosing", timezone.now() + timedelta(minutes=5)
    )


def started(world: Any, course: Course | None = None, **checklist: Any) -> CareSession:
    course = course or start_course(world)
    session = dosing_session(world, course)
    result = services.dosing_start(
        actor(world, "theo"), session, checks=go_checklist(**checklist), expected_version=session.version
    )
    assert result.started, result.result.rationale
    session.refresh_from_db()
    return session


def dosed(world: Any, amount: float = 150, at: datetime | None = None, **kwargs: Any) -> CareSession:
    session = started(world, **kwargs)
    services.dose_record(
        actor(world, "theo"),
        session,
        amount_mg=amount,
        unit="mg",
        route="sublingual",
        tier="psycholytic",
        given_at=at,
        idempotency_key="dose-1",
    )
    session.refresh_from_db()
    return session


def record_vitals(who: Actor, session: CareSession, values: dict[str, Any], *, key: str = "") -> VitalsSaved:
    """A vitals entry from the values a form would send (the service takes them typed)."""
    return services.vitals_record(
        actor=who,
        session=session,
        reading=services.vitals_from(values, values.get("symptoms") or ()),
        taken_at=values.get("taken_at"),
        note=str(values.get("note") or ""),
        idempotency_key=key,
    )


MONITORED = {"systolic": 130, "diastolic": 80, "heart_rate": 80, "spo2": 97, "respiratory_rate": 14}


def monitored(world: Any, session: CareSession, discharge_after: float = 125, **values: Any) -> None:
    """Take the protocol's scheduled readings after the first dose: at 40 minutes, and a pre-discharge
    reading one minute before ``discharge_after`` minutes (``values`` change the last one)."""
    import time_machine

    first = session.doses.order_by("given_at", "pk").first()
    assert first is not None
    theo = actor(world, "theo")
    with time_machine.travel(first.given_at + timedelta(minutes=40), tick=False):
        record_vitals(theo, session, dict(MONITORED), key="monitored-40")
    with time_machine.travel(first.given_at + timedelta(minutes=discharge_after - 1), tick=False):
        record_vitals(theo, session, MONITORED | values, key="monitored-pre-discharge")
