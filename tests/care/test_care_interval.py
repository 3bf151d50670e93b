"""The minimum interval between dosing sessions is checked early (issue #11 item 6): when a dosing
session is booked, and at the pre-dose go, whose go/no-go names it; not only when the dose is
entered."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from care_helpers import actor, discharge_summary, dosed, go_checklist, monitored
from django.core.exceptions import ValidationError
from django.urls import reverse

from kapstone.audit.models import AuditEvent
from kapstone.care import services
from kapstone.care.models import CareSession
from readiness_helpers import Ready

pytestmark = pytest.mark.django_db


def _first_session_done(world: Any) -> CareSession:
    session = dosed(world)
    monitored(world, session, discharge_after=125)
    first = session.doses.get()
    with time_machine.travel(first.given_at + timedelta(minutes=125), tick=False):
        services.discharge(
            actor(world, "theo"),
            session,
            summary=discharge_summary(session),
            expected_version=session.version,
        )
    session.refresh_from_db()
    return session


def test_booking_a_dosing_session_inside_the_minimum_interval_is_refused(world: Any, ready: Ready) -> None:
    first = _first_session_done(world)
    given = first.doses.get().given_at
    with pytest.raises(ValidationError) as refused:
        services.session_schedule(actor(world, "theo"), first.course, "dosing", given + timedelta(hours=30))
    message = refused.value.message_dict["scheduled_at"][0]
    assert "Too close to another dosing session" in message
    assert "the minimum interval is 72 h" in message and "earliest" in message
    assert CareSession.objects.filter(kind="dosing").count() == 1
    # 72 hours on, it books.
    later = services.session_schedule(
        actor(world, "theo"), first.course, "dosing", given + timedelta(hours=73)
    )
    assert later.status == "scheduled"


def test_booking_checks_other_booked_sessions_too(world: Any, ready: Ready) -> None:
    first = _first_session_done(world)
    given = first.doses.get().given_at
    theo = actor(world, "theo")
    services.session_schedule(theo, first.course, "dosing", given + timedelta(days=7))
    with pytest.raises(ValidationError, match="Too close to another dosing session"):
        services.session_schedule(theo, first.course, "dosing", given + timedelta(days=8))


def test_only_a_prescribers_reason_books_inside_the_interval(world: Any, ready: Ready) -> None:
    first = _first_session_done(world)
    when = first.doses.get().given_at + timedelta(hours=50)
    reason = "Travelling abroad next week; prescriber reviewed the last session's tolerability."
    with pytest.raises(ValidationError) as refused:
        services.session_schedule(
            actor(world, "theo"), first.course, "dosing", when, interval_justification=reason
        )
    assert "Only a prescriber" in refused.value.message_dict["interval_justification"][0]
    booked = services.session_schedule(
        actor(world, "priya"), first.course, "dosing", when, interval_justification=reason
    )
    event = AuditEvent.objects.get(action="session.schedule", object_id=str(booked.pk))
    assert event.detail["interval_justification"] == reason


def test_the_pre_dose_go_names_the_minimum_interval(world: Any, ready: Ready) -> None:
    first = _first_session_done(world)
    given = first.doses.get().given_at
    second = services.session_schedule(
        actor(world, "theo"), first.course, "dosing", given + timedelta(hours=96)
    )
    # The team runs the go two days early: the go/no-go names the interval and does not start.
    with time_machine.travel(given + timedelta(hours=48), tick=False):
        result = services.dosing_start(
            actor(world, "theo"), second, checks=go_checklist(), expected_version=second.version
        )
    assert not result.started and result.result.decision == "needs_justification"
    interval = next(i for i in result.result.items if i.id == "min_interval")
    assert interval.label == "Minimum interval since the previous dosing session"
    assert (
        interval.status == "needs_justification" and "only 48 h after the dosing session" in interval.message
    )
    second.refresh_from_db()
    assert second.status == "scheduled"
    with time_machine.travel(given + timedelta(hours=96), tick=False):
        on_time = services.dosing_start(
            actor(world, "theo"), second, checks=go_checklist(), expected_version=second.version
        )
    assert on_time.started
    ok = next(i for i in on_time.result.items if i.id == "min_interval")
    assert ok.status == "ok" and "96 h after the dosing session" in ok.message


def test_the_first_dose_go_says_there_is_no_interval_to_keep(world: Any, ready: Ready) -> None:
    session = dosed(world)
    item = next(i for i in session.dosing.pre_dose_result["items"] if i["id"] == "min_interval")
    assert item["status"] == "ok" and item["message"] == "first dose of the course: no interval to keep"


def test_the_booking_page_shows_the_interval_refusal(world: Any, as_user: Any, ready: Ready) -> None:
    first = _first_session_done(world)
    when = first.doses.get().given_at + timedelta(hours=24)
    page = as_user("theo").post(
        reverse("care:session_new", kwargs={"pk": first.course.pk}),
        {"kind": "dosing", "scheduled_at": when.strftime("%Y-%m-%dT%H:%M"), "location": "clinic"},
    )
    assert page.status_code == 200 and "Too close to another dosing session" in page.content.decode()
