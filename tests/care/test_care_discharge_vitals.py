"""Discharge on real vitals (issue #11 item 5): discharge is refused while a scheduled vitals check
was never recorded or the latest reading is outside the protocol's discharge limits, unless a
prescriber documents why; an IV infusion's start and end are recorded, and discharge waits for
the end."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from care_helpers import (
    MONITORED,
    actor,
    discharge_summary,
    dosed,
    dosing_session,
    go_checklist,
    monitored,
    record_vitals,
    start_course,
)
from django.core.exceptions import ValidationError
from django.utils import timezone

from kapstone.audit.models import AuditEvent
from kapstone.care import services
from kapstone.care.models import CareSession
from readiness_helpers import Ready, make_ready

pytestmark = pytest.mark.django_db


def _at(session: CareSession, minutes: float) -> Any:
    first = session.doses.order_by("given_at").first()
    assert first is not None
    return time_machine.travel(first.given_at + timedelta(minutes=minutes), tick=False)


def _vitals(world: Any, session: CareSession, minutes: float, key: str, **values: Any) -> None:
    with _at(session, minutes):
        record_vitals(actor(world, "theo"), session, MONITORED | values, key=key)


def test_discharge_is_refused_while_the_40_minute_reading_was_never_taken(world: Any, ready: Ready) -> None:
    session = dosed(world)
    _vitals(world, session, 124, "pre-discharge")  # only the pre-discharge reading
    with _at(session, 125), pytest.raises(ValidationError) as refused:
        services.discharge(
            actor(world, "theo"),
            session,
            summary=discharge_summary(session),
            expected_version=session.version,
        )
    message = " ".join(refused.value.message_dict["vitals_justification"])
    assert "never recorded: 40-minute reading" in message
    session.refresh_from_db()
    assert session.status == "in_progress"


def test_discharge_is_refused_without_a_recent_pre_discharge_blood_pressure(world: Any, ready: Ready) -> None:
    session = dosed(world)
    _vitals(world, session, 40, "m40")
    with _at(session, 125), pytest.raises(ValidationError) as refused:
        services.discharge(
            actor(world, "theo"),
            session,
            summary=discharge_summary(session),
            expected_version=session.version,
        )
    assert "pre-discharge reading with blood pressure (within the last 30 min" in " ".join(
        refused.value.message_dict["vitals_justification"]
    )


def test_the_latest_reading_outside_the_discharge_limits_holds_the_client(world: Any, ready: Ready) -> None:
    session = dosed(world)
    monitored(world, session, discharge_after=125, systolic=168, diastolic=96)
    with _at(session, 125), pytest.raises(ValidationError) as refused:
        services.discharge(
            actor(world, "theo"),
            session,
            summary=discharge_summary(session),
            expected_version=session.version,
        )
    message = " ".join(refused.value.message_dict["vitals_justification"])
    assert "systolic 168 mmHg" in message and "is above 160" in message
    # BP settles: a new reading inside the limits lets the client leave.
    _vitals(world, session, 130, "settled", systolic=138, diastolic=84)
    with _at(session, 131):
        detail = services.discharge(
            actor(world, "theo"),
            session,
            summary=discharge_summary(session),
            expected_version=session.version,
        )
    assert detail.vitals_justification == "" and detail.discharge_result["vitals"][1]["status"] == "ok"


def test_only_a_prescribers_documented_reason_discharges_with_vitals_out_of_limits(
    world: Any, ready: Ready
) -> None:
    session = dosed(world)
    monitored(world, session, discharge_after=125, systolic=166)
    reason = "Baseline hypertension, 164-168 at every visit; asymptomatic; GP aware."
    with _at(session, 125), pytest.raises(ValidationError) as refused:
        services.discharge(
            actor(world, "theo"),
            session,
            summary=discharge_summary(session, vitals_justification=reason),
            expected_version=session.version,
        )
    assert "Only a prescriber" in " ".join(refused.value.message_dict["vitals_justification"])
    with _at(session, 125):
        detail = services.discharge(
            actor(world, "priya"),
            session,
            summary=discharge_summary(session, vitals_justification=reason),
            expected_version=session.version,
        )
    assert detail.vitals_justification == reason and detail.vitals_justified_by == world.users["priya"]
    event = AuditEvent.objects.get(action="dosing.discharge")
    assert event.detail["vitals_overridden"] == ["vitals_limits"]


def test_a_hypertensive_crisis_is_never_discharged_without_a_prescribers_reason(
    world: Any, ready: Ready
) -> None:
    session = dosed(world)
    monitored(world, session, discharge_after=125)
    _vitals(world, session, 124, "crisis", systolic=184, diastolic=112)
    for alert in session.alerts.all():
        services.alert_acknowledge(actor(world, "theo"), alert, "Rechecked; prescriber called.")
    with _at(session, 125), pytest.raises(ValidationError) as refused:
        services.discharge(
            actor(world, "theo"),
            session,
            summary=discharge_summary(session),
            expected_version=session.version,
        )
    assert "Hypertensive crisis" in " ".join(refused.value.message_dict["vitals_justification"])


@pytest.fixture
def ready_for_iv(world: Any) -> Ready:
    return make_ready(world, route="intravenous")


def test_an_iv_infusion_records_start_and_end_and_discharge_waits_for_the_end(
    world: Any, ready_for_iv: Ready
) -> None:
    session = dosing_session(world, start_course(world, "iv_induction_series"))
    started_ = services.dosing_start(
        actor(world, "theo"), session, checks=go_checklist(), expected_version=session.version
    )
    assert started_.started, started_.result.rationale
    session.refresh_from_db()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        dose, _ = services.dose_record(
            actor(world, "priya"),
            session,
            amount_mg=35,
            unit="mg",
            route="iv",
            tier="standard",
            given_at=start,
        )
    assert dose.infusion_started_at == start and dose.infusion_ended_at is None
    monitored(world, session, discharge_after=125)
    with _at(session, 125), pytest.raises(ValidationError) as refused:
        services.discharge(
            actor(world, "theo"),
            session,
            summary=discharge_summary(session),
            expected_version=session.version,
        )
    assert "has no recorded end" in " ".join(refused.value.message_dict["__all__"])
    with _at(session, 42):
        with pytest.raises(ValidationError):
            services.infusion_end_record(actor(world, "theo"), session, ended_at=start - timedelta(minutes=1))
        dose = services.infusion_end_record(actor(world, "theo"), session)
    assert dose.infusion_ended_at == start + timedelta(minutes=42)
    assert AuditEvent.objects.get(action="dosing.infusion_end").detail["minutes"] == 42.0
    with _at(session, 125):
        services.discharge(
            actor(world, "theo"),
            session,
            summary=discharge_summary(session),
            expected_version=session.version,
        )
    session.refresh_from_db()
    assert session.status == "completed"


def test_a_sublingual_dose_is_not_an_infusion(world: Any, ready: Ready) -> None:
    session = dosed(world)
    dose = session.doses.get()
    assert dose.infusion_started_at is None
    with pytest.raises(ValidationError, match="No infusion is running"):
        services.infusion_end_record(actor(world, "theo"), session)


def test_the_infusion_end_page_records_it_and_other_people_get_404(
    world: Any, as_user: Any, ready_for_iv: Ready
) -> None:
    session = dosing_session(world, start_course(world, "iv_induction_series"))
    services.dosing_start(
        actor(world, "theo"), session, checks=go_checklist(), expected_version=session.version
    )
    session.refresh_from_db()
    services.dose_record(actor(world, "priya"), session, amount_mg=35, unit="mg", route="iv", tier="standard")
    from django.urls import reverse

    url = reverse("care:infusion_end", kwargs={"pk": session.pk})
    room = as_user("theo").get(reverse("care:dosing", kwargs={"pk": session.pk})).content.decode()
    assert "Infusion end" in room and "Save infusion end" in room
    for outsider in ("tamsin", "olive"):
        assert as_user(outsider).post(url, {}).status_code == 404
    assert as_user("theo").post(url, {}).status_code == 302
    assert session.doses.get().infusion_ended_at is not None
