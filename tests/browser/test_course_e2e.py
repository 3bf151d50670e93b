"""A whole KAP course in a real browser, on a 1024×768 tablet: start a course, two preparation
sessions, a dosing session (pre-dose go, dose, vitals with one threshold alert acknowledged, discharge
refused before the observation time and allowed after it), then integration. Under the strict CSP.

Readiness (clearance + consent) is real: before the course, the client is made ready through the
intake, screening, clearance and consent services (``readiness_helpers``), as the therapist, the
prescriber and the client would. Without a clearance, or without a consent, the dosing session is
refused on the page, naming what is missing. The clock moves with time_machine (the live server runs
in this process, so it moves too); after the jump the clinician signs in again, as a real one would."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import Page, expect
from tests.care.care_helpers import monitored

from kapstone.care.models import Alert, CareSession, Course, DoseRecord, ProtocolVersion, VitalReading
from readiness_helpers import Ready, clear, make_ready, record_intake, staff, submit_screening


@pytest.fixture
def ready(world: Any) -> Ready:
    """Rowan is ready: intake, screening cleared by Priya, consent with supportive touch."""
    return make_ready(world)


def _local(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _schedule(page: Page, kind: str, when: Any) -> None:
    page.get_by_role("link", name=f"Schedule {kind}").first.click()
    page.get_by_label("Date and time").fill(_local(when))
    page.get_by_role("button", name="Schedule").click()
    expect(page.get_by_text(f"{kind.capitalize()} session scheduled.")).to_be_visible()


def _preparation(page: Page) -> None:
    _schedule(page, "preparation", timezone.now())
    page.get_by_role("button", name="Start preparation").first.click()
    page.get_by_label("Intention(s), in the client's words").fill("To meet the grief with kindness.")
    page.get_by_label("Transport plan (who drives the client home)").fill("Ana (sister) drives me home.")
    page.get_by_label("Fasting instructions given").check()
    page.get_by_label("Medication-hold instructions given").check()
    page.get_by_role("button", name="Save and complete the session").click()
    expect(page.get_by_text("Session completed.")).to_be_visible()


def _vitals(page: Page, line: str) -> None:
    quick = page.get_by_label("Quick entry")
    expect(quick).to_be_focused()  # autofocus: the clinician types at once
    quick.fill(line)
    quick.press("Enter")


def _discharge_form(page: Page) -> None:
    form = page.locator("#entry-discharge")
    boxes = form.locator("input[type=checkbox]")
    for index in range(boxes.count()):
        boxes.nth(index).check()
    form.get_by_label("Left with (name, relationship)").fill("Ana (sister)")
    form.get_by_role("button", name="Discharge").click()


def test_a_whole_course_preparation_dosing_with_an_alert_discharge_and_integration(
    page: Page, signed_in: Any, world: Any, page_errors: Any, ready: Ready
) -> None:
    theo, rowan = world.users["theo"], world.clients["rowan"]
    signed_in(page, theo)

    # Start the course from the client's page.
    page.goto(f"/clients/{rowan.pk}/")
    page.get_by_role("link", name="Start a course").click()
    protocol = page.get_by_label("Protocol")
    expect(protocol.locator("option")).to_have_count(5)  # "---------" + the four shipped templates
    pv = ProtocolVersion.objects.get(organization=world.org_a, protocol_id="sublingual_kap_series")
    protocol.select_option(str(pv.pk))
    page.get_by_role("button", name="Start the course").click()
    expect(page.locator("#next-step")).to_contain_text(
        "preparation session required before the first dose (0 of 2"
    )
    course = Course.objects.get(client=rowan)

    # Two preparation sessions, then the course names the dosing session as the next step.
    _preparation(page)
    _preparation(page)
    expect(page.locator("#next-step")).to_contain_text("dosing session 1 of 6")

    # The dosing room: the pre-dose go / no-go.
    _schedule(page, "dosing", timezone.now() + timedelta(minutes=2))
    page.get_by_role("link", name="Open dosing room").click()
    expect(page.locator("#touch")).to_contain_text("Supportive touch agreed: hand on the shoulder")
    now = timezone.now()
    page.get_by_label("Last food").fill(_local(now - timedelta(hours=6)))
    page.get_by_label("Last liquid").fill(_local(now - timedelta(hours=3)))
    for label, value in (
        ("Systolic (mmHg)", "124"),
        ("Diastolic (mmHg)", "78"),
        ("Heart rate (/min)", "72"),
        ("SpO2 (%)", "98"),
        ("Resp. rate (/min)", "14"),
    ):
        page.get_by_label(label).fill(value)
    page.get_by_label("MOAA/S (pre-dose baseline)").select_option("5")
    page.get_by_label("Same-day medications reviewed").check()
    page.get_by_label(re.compile(r"^An escort/driver is present")).check()
    page.get_by_label("Mood and suicidality check (C-SSRS / PHQ-9)").select_option("no_risk")
    page.get_by_label(re.compile(r"^Psychotic symptoms now")).select_option("no")
    page.get_by_label(re.compile(r"^Manic or hypomanic symptoms now")).select_option("no")
    page.get_by_role("button", name="Check go / no-go").click()
    expect(page.get_by_text("Go: dosing session 1 started. Give the dose.")).to_be_visible()

    # The dose.
    page.get_by_label("Dose:", exact=True).fill("150")
    page.get_by_label("Tier").select_option("psycholytic")
    page.get_by_label("Lot / batch").fill("RDT-2291")
    page.get_by_role("button", name="Record the dose").click()
    expect(page.locator("#status-line")).to_contain_text("Dosed")
    session = CareSession.objects.get(course=course, kind="dosing")
    assert DoseRecord.objects.get(session=session).lot == "RDT-2291"

    # Vitals in one line each; the second crosses the protocol's systolic threshold.
    _vitals(page, "132/84 76 98 14")
    expect(page.locator("#entry-vitals .saved")).to_contain_text("Vitals saved at")
    expect(page.locator("#timeline")).to_contain_text("BP 132/84")
    _vitals(page, "186/98 90 97 14")
    alerts = page.locator("#alerts")
    expect(alerts).to_contain_text("Systolic at or above 180 mmHg")
    expect(page.locator("#charts circle.point.s-sbp")).to_have_count(3)  # pre-dose + two readings
    assert VitalReading.objects.filter(session=session, phase="post_dose").count() == 2

    # The alert needs an action: without one it stays open, with one it is acknowledged.
    alerts.get_by_role("button", name="Acknowledge").click()
    expect(alerts).to_contain_text("the action is required")
    alerts.get_by_label("Action taken").fill("Rechecked at 5 min: 168/92; prescriber informed.")
    alerts.get_by_role("button", name="Acknowledge").click()
    expect(page.locator("#alerts h2")).to_have_count(0)
    alert = Alert.objects.get(session=session)
    assert alert.acknowledged_by == theo and alert.action_taken.startswith("Rechecked")

    # Discharge too early: refused, naming the time; nothing lost from the form.
    _discharge_form(page)
    expect(page.locator("#entry-discharge")).to_contain_text("discharge not before")
    expect(page.locator("#entry-discharge").get_by_label("Left with (name, relationship)")).to_have_value(
        "Ana (sister)"
    )
    session.refresh_from_db()
    assert session.status == "in_progress"

    # Two hours later (a booster-free session, 120 min minimum), with the protocol's scheduled readings
    # (40 minutes, and a blood pressure just before discharge) taken meanwhile: allowed.
    monitored(world, session)
    with time_machine.travel(timezone.now() + timedelta(minutes=125), tick=True):
        signed_in(page, theo)
        page.goto(f"/care/sessions/{session.pk}/dosing/")
        expect(page.locator("#status-line")).to_contain_text("Discharge from")
        _discharge_form(page)
        expect(page.get_by_role("heading", name="Discharged")).to_be_visible()
        session.refresh_from_db()
        assert session.status == "completed" and session.dosing.left_with == "Ana (sister)"

        # Integration after the dosing session.
        page.get_by_role("link", name="Back to the course").click()
        expect(page.locator("#next-step")).to_contain_text("integration session due within 72 h")
        page.get_by_role("link", name="Schedule integration").last.click()
        page.get_by_label("Date and time").fill(_local(timezone.now()))
        page.get_by_role("button", name="Schedule").click()
        page.get_by_role("button", name="Start integration").click()
        page.get_by_label("The client's account of the session").fill("I met my younger self and stayed.")
        page.get_by_label("Themes").fill("grief, self-compassion")
        page.get_by_label("Internal Family Systems (IFS)").check()
        page.get_by_label("Feedback to the prescriber").fill("Well tolerated; consider 200 mg next time.")
        page.get_by_role("button", name="Save and complete the session").click()
        expect(page.locator("#next-step")).to_contain_text("dosing session 2 of 6")
        expect(page.locator(".feedback-box")).to_contain_text("consider 200 mg")

    integration = CareSession.objects.get(course=course, kind="integration")
    assert integration.status == "completed" and integration.integration.modalities == ["ifs"]
    # The refusals above answer 422 on purpose (the form comes back with the field named); Chromium
    # logs every 4xx response as a console error. Anything else in the console is a failure.
    refused = "Failed to load resource: the server responded with a status of 422"
    assert [e for e in page_errors(page) if refused not in e] == []


def _dosed_session(world: Any) -> CareSession:
    """A course with its preparation done and a dose given, built through the services."""
    from kapstone.care import services
    from kapstone.core.actor import Actor

    theo = Actor(user=world.users["theo"], organization=world.org_a, roles=frozenset({"therapist"}))
    services.protocols_install_shipped(theo, world.org_a)
    pv = ProtocolVersion.objects.get(organization=world.org_a, protocol_id="sublingual_kap_series")
    course = services.course_start(theo, world.clients["rowan"], pv)
    for _ in range(2):
        prep = services.session_schedule(theo, course, "preparation", timezone.now())
        services.preparation_record(
            theo,
            prep,
            entry=services.PreparationInput(
                intentions="x",
                transport_plan="y",
                fasting_instructions_given=True,
                medication_hold_instructions_given=True,
            ),
            expected_version=prep.version,
            complete=True,
        )
    session = services.session_schedule(theo, course, "dosing", timezone.now())
    now = timezone.now()
    services.dosing_start(
        theo,
        session,
        checks=services.PreDoseChecks(
            last_food_at=now - timedelta(hours=6),
            last_liquid_at=now - timedelta(hours=3),
            vitals=services.vitals_from(
                {"systolic": 120, "diastolic": 80, "heart_rate": 70, "spo2": 98, "respiratory_rate": 14}
            ),
            medications_reviewed=True,
            attested=frozenset({"escort_present"}),
            mood_result="no_risk",
            current_state={"current_psychotic_symptoms": False, "current_manic_symptoms": False},
            weight_kg=70,
        ),
        expected_version=session.version,
    )
    session.refresh_from_db()
    services.dose_record(theo, session, amount_mg=150, unit="mg", tier="psycholytic")
    return session


def test_a_reading_entered_offline_is_kept_and_sent_once_when_back_online(
    page: Page, signed_in: Any, world: Any, page_errors: Any, ready: Ready
) -> None:
    session = _dosed_session(world)
    signed_in(page, world.users["theo"])
    page.goto(f"/care/sessions/{session.pk}/dosing/")
    quick = page.get_by_label("Quick entry")

    # Typed but not sent when the page reloads: the draft comes back.
    quick.fill("140/88 80 97 15")
    page.reload()
    expect(page.get_by_label("Quick entry")).to_have_value("140/88 80 97 15")
    expect(page.locator("#entry-vitals [data-entry-state]")).to_contain_text("Restored what was typed here")

    # The connection drops as the reading is saved: it is queued on the tablet and says so.
    page.context.set_offline(True)
    page.get_by_label("Quick entry").press("Enter")
    pending = page.locator("#pending")
    expect(pending).to_be_visible()
    expect(pending).to_contain_text("NOT SAVED YET")
    expect(page.locator("#entry-vitals [data-entry-state]")).to_contain_text("Not saved yet: no connection")
    assert not VitalReading.objects.filter(session=session, phase="post_dose").exists()

    # Back online: sent with its key, saved once, and the timeline catches up.
    page.context.set_offline(False)
    expect(pending).to_contain_text("saved", timeout=15_000)
    expect(pending).not_to_contain_text("NOT SAVED YET")
    expect(page.locator("#timeline")).to_contain_text("BP 140/88", timeout=15_000)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")  # a second flush finds nothing to send
    page.wait_for_timeout(500)
    assert VitalReading.objects.filter(session=session, phase="post_dose").count() == 1
    reading = VitalReading.objects.get(session=session, phase="post_dose")
    assert (reading.systolic, reading.diastolic, reading.heart_rate) == (
        140,
        88,
        80,
    ) and reading.idempotency_key

    # Offline, Chromium and htmx log the failed request itself (htmx:sendError, htmx:afterRequest).
    expected = ("net::ERR_INTERNET_DISCONNECTED", "error: htmx:sendError", "error: htmx:afterRequest")
    assert [e for e in page_errors(page) if not any(x in e for x in expected)] == []


def _course(world: Any) -> Course:
    from kapstone.care import services

    services.protocols_install_shipped(staff(world, "avery"), world.org_a)
    pv = ProtocolVersion.objects.get(organization=world.org_a, protocol_id="sublingual_kap_series")
    return services.course_start(staff(world, "theo"), world.clients["rowan"], pv)


@pytest.mark.parametrize(
    ("state", "missing"),
    [
        (
            "intake, no clearance",
            [
                re.compile(
                    r"^medical clearance awaiting the prescriber's decision on the screening submitted "
                    r"\d{4}-\d{2}-\d{2}$"
                ),
                "KAP consent not signed for template v1",
            ],
        ),
        ("cleared, no consent", ["KAP consent not signed for template v1"]),
    ],
)
def test_a_dosing_session_is_refused_on_the_page_without_clearance_or_consent(
    page: Page, signed_in: Any, world: Any, page_errors: Any, state: str, missing: list[Any]
) -> None:
    record_intake(world)
    evaluation = submit_screening(world)
    if state == "cleared, no consent":
        clear(world, evaluation)
    course = _course(world)
    signed_in(page, world.users["theo"])

    page.goto(f"/care/courses/{course.pk}/")
    expect(page.locator(".blocker-box")).to_contain_text("Before any dosing:")
    page.get_by_role("link", name="Schedule dosing").first.click()
    page.get_by_label("Date and time").fill(_local(timezone.now() + timedelta(days=2)))
    page.get_by_role("button", name="Schedule").click()

    refusal = page.locator("#not-ready")
    expect(refusal).to_contain_text("Not ready for dosing:")
    expect(refusal.locator("li")).to_have_text(missing)
    expect(page.get_by_text("The client is not ready for a dosing session")).to_be_visible()
    assert not CareSession.objects.filter(course=course, kind="dosing").exists()
    assert page_errors(page) == []
