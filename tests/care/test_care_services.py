"""Care services: behaviour and stored state, refusals naming the field, access rules, concurrency."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from care_helpers import (
    actor,
    discharge_summary,
    dosed,
    dosing_session,
    go_checklist,
    monitored,
    prepare,
    protocol,
    record_vitals,
    start_course,
    started,
)
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kapstone.audit.models import AuditEvent
from kapstone.care import services
from kapstone.care.models import (
    AdverseEvent,
    Alert,
    CareSession,
    Course,
    DoseRecord,
    Intervention,
    ProtocolVersion,
    Rating,
    VitalReading,
)
from kapstone.care.selectors import course_overview
from kapstone.care.services import IntegrationInput, PreparationInput
from kapstone.core.contract import Stale
from readiness_helpers import Ready, clear, record_intake, sign_consent, submit_screening, withdraw_consent

pytestmark = pytest.mark.django_db


def fields(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return exc.value.message_dict


# --------------------------------------------------------------------------------------------------
# Protocols
# --------------------------------------------------------------------------------------------------


def test_shipped_templates_install_once_per_organization(world: Any) -> None:
    first = services.protocols_install_shipped(actor(world, "avery"), world.org_a)
    again = services.protocols_install_shipped(actor(world, "avery"), world.org_a)
    assert {p.protocol_id for p in first} == {
        "esketamine_spravato",
        "im_kap",
        "iv_induction_series",
        "sublingual_kap_series",
    }
    assert [p.pk for p in first] == [p.pk for p in again]
    assert ProtocolVersion.objects.filter(organization=world.org_b).count() == 0
    assert AuditEvent.objects.filter(action="protocol.install").count() == 4


def test_a_prescriber_saves_a_higher_version_and_running_courses_keep_theirs(
    world: Any, ready: Ready
) -> None:
    base = protocol(world)
    course = start_course(world)
    text = base.text.replace('version = "1.0.0"', 'version = "1.1.0"', 1).replace(
        "min_observation_minutes = { value = 120", "min_observation_minutes = { value = 150", 1
    )
    pv = services.protocol_version_create(
        actor(world, "priya"), world.org_a, text, note="Longer watch.", based_on=base
    )
    assert (pv.version, pv.origin, pv.based_on_id) == ("1.1.0", "edited", base.pk)
    course.refresh_from_db()
    assert (course.protocol_key, course.protocol_version) == ("sublingual_kap_series", "1.0.0")
    assert services.protocol_of(course).discharge.min_observation_minutes.value == 120


def test_protocol_edit_refuses_bad_text_naming_the_line_or_field(world: Any) -> None:
    base = protocol(world)
    priya = actor(world, "priya")
    with pytest.raises(ValidationError) as syntax:
        services.protocol_version_create(priya, world.org_a, base.text + "\n[oops\n", note="x", based_on=base)
    assert "line" in fields(syntax)["text"][0]
    bumped = base.text.replace('version = "1.0.0"', 'version = "1.2.0"', 1)
    with pytest.raises(ValidationError) as meaning:
        services.protocol_version_create(
            priya, world.org_a, bumped.replace('op = ">="', 'op = "=>"', 1), note="x", based_on=base
        )
    assert "alerts[0].op" in fields(meaning)["text"][0]
    with pytest.raises(ValidationError) as same:
        services.protocol_version_create(priya, world.org_a, base.text, note="x", based_on=base)
    assert "not above" in fields(same)["text"][0]


def test_a_prescriber_defines_a_new_protocol_from_a_template(world: Any, ready: Ready) -> None:
    base = protocol(world)
    text = base.text.replace('id = "sublingual_kap_series"', 'id = "larkspur_sublingual"', 1)
    pv = services.protocol_version_create(
        actor(world, "priya"), world.org_a, text, note="Our own", based_on=base
    )
    assert (pv.protocol_id, pv.version, pv.based_on_id) == ("larkspur_sublingual", "1.0.0", base.pk)
    course = services.course_start(actor(world, "theo"), world.clients["rowan"], pv)
    assert (course.protocol_key, services.protocol_of(course).id) == (
        "larkspur_sublingual",
        "larkspur_sublingual",
    )


@pytest.mark.parametrize("who", ["theo", "avery", "olive"])
def test_only_a_prescriber_edits_protocols(world: Any, who: str) -> None:
    base = protocol(world)
    with pytest.raises(PermissionDenied):
        services.protocol_version_create(actor(world, who), world.org_a, base.text, note="x", based_on=base)


# --------------------------------------------------------------------------------------------------
# Courses and scheduling
# --------------------------------------------------------------------------------------------------


def test_course_stores_the_protocol_version_and_refuses_a_second_open_course(world: Any) -> None:
    course = start_course(world)
    assert (course.protocol_key, course.protocol_version, course.status) == (
        "sublingual_kap_series",
        "1.0.0",
        "active",
    )
    with pytest.raises(ValidationError, match="already has an open course"):
        start_course(world)


@pytest.mark.parametrize("who", ["tamsin", "sam", "avery", "olive"])
def test_course_start_is_for_the_care_team_only(world: Any, who: str) -> None:
    with pytest.raises(PermissionDenied):
        services.course_start(actor(world, who), world.clients["rowan"], protocol(world))
    assert not Course.objects.exists()


def test_stale_course_edit_is_refused_with_the_saved_version(world: Any) -> None:
    course = start_course(world)
    services.course_update(actor(world, "theo"), course, goals="Less numbness", expected_version=1)
    with pytest.raises(Stale) as stale:
        services.course_update(actor(world, "priya"), course, goals="Sleep", expected_version=1)
    assert stale.value.current.goals == "Less numbness" and stale.value.current.version == 2
    assert (stale.value.current_version, stale.value.submitted_version, stale.value.status) == (2, 1, 409)
    assert Course.objects.get(pk=course.pk).goals == "Less numbness"  # nothing written


def test_dosing_session_is_not_scheduled_without_readiness_real_contract(world: Any) -> None:
    course = start_course(world)
    with pytest.raises(services.NotReady) as refused:
        services.session_schedule(actor(world, "theo"), course, "dosing", timezone.now() + timedelta(days=1))
    assert any("consent" in line for line in refused.value.missing)
    assert any("clearance" in line or "screening" in line for line in refused.value.missing)
    assert not CareSession.objects.filter(kind="dosing").exists()


@pytest.mark.parametrize(
    ("steps", "missing"),
    [
        ("intake", ["safety screening not submitted to a prescriber", "KAP consent not signed"]),
        ("submitted", ["medical clearance awaiting the prescriber's decision", "KAP consent not signed"]),
        ("cleared", ["KAP consent not signed for template v1"]),
    ],
)
def test_dosing_session_is_refused_until_clearance_and_consent_are_both_current(
    world: Any, steps: str, missing: list[str]
) -> None:
    record_intake(world)
    if steps in ("submitted", "cleared"):
        evaluation = submit_screening(world)
        if steps == "cleared":
            clear(world, evaluation)
    course = start_course(world)
    with pytest.raises(services.NotReady) as refused:
        services.session_schedule(actor(world, "theo"), course, "dosing", timezone.now() + timedelta(days=1))
    assert len(refused.value.missing) == len(missing)
    assert all(line.startswith(text) for line, text in zip(refused.value.missing, missing, strict=True))
    assert not CareSession.objects.filter(kind="dosing").exists()


def test_dosing_session_is_refused_once_the_consent_is_withdrawn(world: Any, ready: Ready) -> None:
    course = start_course(world)
    withdraw_consent(world)
    with pytest.raises(services.NotReady) as refused:
        services.session_schedule(actor(world, "theo"), course, "dosing", timezone.now() + timedelta(days=1))
    today = timezone.localdate().isoformat()
    assert refused.value.missing == [
        f"KAP consent withdrawn on {today}: a new consent for template v1 is needed"
    ]
    assert "consent withdrawn" in refused.value.reason and refused.value.status == 422  # a Refused
    assert not CareSession.objects.filter(kind="dosing").exists()


def test_dosing_session_is_refused_when_the_clearance_has_expired(world: Any, ready: Ready) -> None:
    course = start_course(world)
    expires = ready.clearance.expires_at
    expected = [f"medical clearance not current (expired {timezone.localtime(expires).date().isoformat()})"]
    theo = actor(world, "theo")
    # Booked today for a day after the expiry: refused at booking.
    with pytest.raises(services.NotReady) as ahead:
        services.session_schedule(theo, course, "dosing", expires + timedelta(days=1))
    assert ahead.value.missing == expected
    # The clearance runs out: booking for "now" is refused too.
    with (
        time_machine.travel(expires + timedelta(hours=1), tick=False),
        pytest.raises(services.NotReady) as later,
    ):
        services.session_schedule(theo, course, "dosing", timezone.now())
    assert later.value.missing == expected
    assert not CareSession.objects.filter(kind="dosing").exists()


def test_next_step_names_preparation_then_integration(world: Any, ready_without_touch: Ready) -> None:
    course = start_course(world)
    overview = course_overview(course)
    assert overview.phase == "Intake"
    assert overview.step.text.startswith("preparation session required before the first dose (0 of 2 done)")
    assert "consent for touch not yet given: no supportive touch in dosing sessions" in overview.notes
    session = dosed(world, course=course)
    _discharge_later(world, session)
    overview = course_overview(course, now=timezone.now() + timedelta(hours=3))
    assert overview.step.code == "integration_due"
    assert "integration session due within 72 h" in overview.step.text
    assert overview.phase == "Integration"


# --------------------------------------------------------------------------------------------------
# Preparation
# --------------------------------------------------------------------------------------------------


def test_preparation_completes_only_with_intentions_transport_and_instructions(world: Any) -> None:
    course = start_course(world)
    theo = actor(world, "theo")
    session = services.session_schedule(theo, course, "preparation", timezone.now())
    with pytest.raises(ValidationError) as refused:
        services.preparation_record(
            theo, session, entry=PreparationInput(music="Piano"), expected_version=1, complete=True
        )
    assert set(fields(refused)) == {
        "intentions",
        "transport_plan",
        "fasting_instructions_given",
        "medication_hold_instructions_given",
    }
    detail = services.preparation_record(
        theo, session, entry=PreparationInput(intentions="In my words", music="Piano"), expected_version=1
    )
    assert detail.intentions == "In my words"
    session.refresh_from_db()
    assert (session.status, session.version) == ("in_progress", 2)
    with pytest.raises(Stale) as stale:
        services.preparation_record(
            actor(world, "toby"), session, entry=PreparationInput(fears="Losing control"), expected_version=1
        )
    assert stale.value.current.version == 2


# --------------------------------------------------------------------------------------------------
# Dosing start: readiness, preparation, go / no-go
# --------------------------------------------------------------------------------------------------


def test_dosing_start_needs_the_preparation_sessions(world: Any, ready: Ready) -> None:
    course = start_course(world)
    session = dosing_session(world, course, prepared=False)
    prepare(world, course, count=1)
    with pytest.raises(services.NotReady, match="1 of 2 completed"):
        services.dosing_start(
            actor(world, "theo"), session, checks=go_checklist(), expected_version=session.version
        )


@pytest.mark.parametrize(
    ("protocol_id", "course"),
    [("im_kap", "racemic ketamine, im"), ("esketamine_spravato", "esketamine, intranasal")],
)
def test_a_clearance_for_another_product_or_route_does_not_clear_the_course(
    world: Any, ready: Ready, protocol_id: str, course: str
) -> None:
    # Rowan was screened and cleared for racemic ketamine, sublingual: the rules differ by product and
    # route, so an IM or an esketamine course needs its own screening.
    started_course = start_course(world, protocol_id)
    with pytest.raises(services.NotReady) as refused:
        services.session_schedule(actor(world, "theo"), started_course, "dosing", timezone.now())
    assert refused.value.missing == [
        f"medical clearance is for racemic ketamine, sublingual, not this course's {course}: record the "
        "course's product and route in the intake and screen again"
    ]
    assert refused.value.missing[0] in course_overview(started_course).blockers
    assert not CareSession.objects.filter(kind="dosing").exists()


def test_dosing_start_rechecks_readiness_the_consent_was_withdrawn_since_booking(
    world: Any, ready: Ready
) -> None:
    course = start_course(world)
    session = dosing_session(world, course)
    withdraw_consent(world)
    with pytest.raises(services.NotReady, match="consent withdrawn"):
        services.dosing_start(
            actor(world, "theo"), session, checks=go_checklist(), expected_version=session.version
        )
    session.refresh_from_db()
    assert session.status == "scheduled" and not session.vitals.exists()
    denied = AuditEvent.objects.get(action="dosing.start")
    assert (denied.outcome, denied.detail) == ("denied", {"reason": "not_ready"})


def test_dosing_start_rechecks_readiness_the_clearance_expired_since_booking(
    world: Any, ready: Ready
) -> None:
    course = start_course(world)
    session = dosing_session(world, course)  # booked while the clearance is current
    expires = ready.clearance.expires_at
    with (
        time_machine.travel(expires + timedelta(minutes=5), tick=False),
        pytest.raises(services.NotReady, match="medical clearance not current"),
    ):
        services.dosing_start(
            actor(world, "theo"), session, checks=go_checklist(), expected_version=session.version
        )
    session.refresh_from_db()
    assert session.status == "scheduled"


def test_no_go_names_what_is_missing_and_starts_nothing(world: Any, ready: Ready) -> None:
    session = dosing_session(world, start_course(world))
    data = go_checklist(protocol_attestations=(), last_food_at=None, mood_result="")
    result = services.dosing_start(
        actor(world, "theo"), session, checks=data, expected_version=session.version
    )
    assert not result.started and result.result.decision == "no_go"
    missing = {item.id: item.message for item in result.result.blocking}
    assert missing["fasting_food"] == "time of last food not recorded"
    assert missing["attestation.escort_present"] == "missing"
    assert missing["mood_check"] == "not done"
    session.refresh_from_db()
    assert session.status == "scheduled" and not session.vitals.exists()


def test_consent_and_clearance_attestations_come_from_readiness(world: Any, ready: Ready) -> None:
    session = started(world)
    attestations = session.dosing.pre_dose_input["attestations"]
    assert attestations == {"escort_present": True, "consent_current": True, "clearance_current": True}
    stored = session.dosing.readiness  # the real clearance and consent the go was given on
    assert (stored["clearance_id"], stored["consent_id"]) == (ready.clearance.pk, ready.consent.pk)
    assert stored["ready"] and stored["missing"] == []
    # Toby is named in the consent; the shared world gives him no supervisor on the care team.
    assert stored["warnings"] == ["trainee Toby Test has no supervisor on the care team"]


def test_go_starts_the_session_and_stores_the_baseline(world: Any, ready: Ready) -> None:
    session = started(world)
    assert (session.status, session.number) == ("in_progress", 1)
    detail = session.dosing
    assert detail.decision == "go" and detail.pre_dose_result["protocol_id"] == "sublingual_kap_series"
    assert detail.touch_opt_in is True and "hand on the shoulder" in detail.touch_scope
    baseline = session.vitals.get()
    assert (baseline.phase, baseline.systolic, baseline.diastolic) == ("pre_dose", 122, 78)
    assert session.ratings.get().moaas == 5


def test_needs_justification_starts_only_with_a_prescribers_justification(world: Any, ready: Ready) -> None:
    session = dosing_session(world, start_course(world))
    data = go_checklist(systolic=150)  # > 140: prescriber benefit-risk review
    theo = actor(world, "theo")
    result = services.dosing_start(theo, session, checks=data, expected_version=session.version)
    assert not result.started and result.result.decision == "needs_justification"
    with pytest.raises(ValidationError) as refused:
        services.dosing_start(
            theo, session, checks=data, expected_version=session.version, justification="fine"
        )
    assert "prescriber" in fields(refused)["justification"][0]
    result = services.dosing_start(
        actor(world, "priya"),
        session,
        checks=data,
        expected_version=session.version,
        justification="Anxious; rechecked 138.",
    )
    assert result.started
    session.refresh_from_db()
    assert session.dosing.decision_justified_by == world.users["priya"]


def test_impossible_pre_dose_vitals_are_refused_naming_the_field(world: Any, ready: Ready) -> None:
    session = dosing_session(world, start_course(world))
    with pytest.raises(ValidationError) as refused:
        services.dosing_start(
            actor(world, "theo"), session, checks=go_checklist(systolic=420), expected_version=session.version
        )
    assert "impossible" in fields(refused)["systolic"][0]


@pytest.mark.parametrize("who", ["sam", "tamsin", "avery"])
def test_dosing_is_recorded_by_the_care_team_only(world: Any, ready: Ready, who: str) -> None:
    session = dosing_session(world, start_course(world))
    with pytest.raises(PermissionDenied):
        services.dosing_start(
            actor(world, who), session, checks=go_checklist(), expected_version=session.version
        )


# --------------------------------------------------------------------------------------------------
# The dose
# --------------------------------------------------------------------------------------------------


def _dose(world: Any, session: CareSession, who: str = "theo", key: str = "", **data: Any) -> Any:
    base = {"amount_mg": 150, "unit": "mg", "route": "sublingual", "tier": "psycholytic"}
    justification = data.pop("justification", "")
    return services.dose_record(
        actor(world, who), session, **(base | data), idempotency_key=key, justification=justification
    )


def test_a_dose_in_the_wrong_unit_is_refused_naming_the_unit(world: Any, ready: Ready) -> None:
    session = started(world)
    with pytest.raises(ValidationError) as refused:
        _dose(world, session, unit="mcg")
    assert "must be mg" in fields(refused)["unit"][0]
    assert not DoseRecord.objects.exists()


def test_a_dose_within_protocol_is_recorded_with_the_check(world: Any, ready: Ready) -> None:
    session = started(world)
    dose, created = _dose(world, session, lot="RDT-2291")
    assert created and dose.level == "ok" and dose.lot == "RDT-2291"
    assert float(dose.mg_per_kg) == pytest.approx(150 / 70, abs=1e-4)
    assert dose.check_result["protocol_version"] == "1.0.0" and dose.given_by == world.users["theo"]


def test_a_retried_dose_post_is_not_a_second_dose(world: Any, ready: Ready) -> None:
    session = started(world)
    first, created = _dose(world, session, key="k-1")
    again, created_again = _dose(world, session, key="k-1")
    assert created and not created_again and first.pk == again.pk
    assert DoseRecord.objects.count() == 1


def test_outside_protocol_needs_a_prescribers_justification(world: Any, ready: Ready) -> None:
    session = started(world)
    with pytest.raises(ValidationError) as refused:
        _dose(world, session, amount_mg=250, tier="psychedelic")  # above the 200 mg first-dose maximum
    assert "first-dose maximum" in fields(refused)["justification"][0]
    with pytest.raises(ValidationError) as not_prescriber:
        _dose(
            world, session, amount_mg=250, tier="psychedelic", justification="Tolerated 200 before elsewhere"
        )
    assert "Only a prescriber" in fields(not_prescriber)["justification"][0]
    dose, _ = _dose(
        world, session, "priya", amount_mg=250, tier="psychedelic", justification="Prior tolerance"
    )
    assert (dose.level, dose.justified_by, dose.justification) == (
        "needs_justification",
        world.users["priya"],
        "Prior tolerance",
    )


def test_a_hard_stop_is_refused_even_for_a_prescriber(world: Any, ready: Ready) -> None:
    session = started(world)
    with pytest.raises(ValidationError) as refused:
        _dose(world, session, "priya", route="iv", justification="no")
    assert "Refused by the protocol" in fields(refused)["amount_mg"][0]


def test_a_weight_based_protocol_needs_the_weight(world: Any, ready_for_im: Ready) -> None:
    course = start_course(world, "im_kap")
    session = dosing_session(world, course)
    with pytest.raises(ValidationError) as refused:
        services.dosing_start(
            actor(world, "theo"),
            session,
            checks=go_checklist(weight_kg=None),
            expected_version=session.version,
        )
    assert "weight" in fields(refused)["weight_kg"][0]


def test_an_impossible_weight_is_refused_naming_the_field(world: Any, ready_for_im: Ready) -> None:
    session = dosing_session(world, start_course(world, "im_kap"))
    with pytest.raises(ValidationError) as refused:
        services.dosing_start(
            actor(world, "theo"),
            session,
            checks=go_checklist(weight_kg=900),
            expected_version=session.version,
        )
    assert "not pounds" in fields(refused)["weight_kg"][0]


def test_a_second_dose_is_a_booster_checked_as_one(world: Any, ready: Ready) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        session = started(world)
        _dose(world, session, given_at=start)
    with time_machine.travel(start + timedelta(minutes=45), tick=False):
        booster, _ = _dose(world, session, amount_mg=50, tier="")
    assert booster.is_booster and booster.level == "ok"


def test_a_dose_before_the_go_is_refused(world: Any, ready: Ready) -> None:
    session = started(world)
    with pytest.raises(ValidationError) as refused:
        _dose(world, session, given_at=session.started_at - timedelta(hours=1))
    assert "before the pre-dose go" in fields(refused)["given_at"][0]


# --------------------------------------------------------------------------------------------------
# Vitals, alerts, ratings
# --------------------------------------------------------------------------------------------------


def _vitals(world: Any, session: CareSession, key: str = "", who: str = "theo", **values: Any) -> Any:
    data = {"systolic": 130, "diastolic": 80, "heart_rate": 80, "spo2": 97, "respiratory_rate": 14} | values
    return record_vitals(actor(world, who), session, data, key=key)


@pytest.mark.parametrize(
    ("values", "field", "text"),
    [
        ({"systolic": 400}, "systolic", "impossible"),
        ({"heart_rate": 5}, "heart_rate", "impossible"),
        ({"spo2": 101}, "spo2", "impossible"),
        ({"systolic": 80, "diastolic": 95}, "diastolic", "must be below"),
    ],
)
def test_impossible_vitals_are_refused_naming_the_field(
    world: Any, ready: Ready, values: dict[str, int], field: str, text: str
) -> None:
    session = dosed(world)
    with pytest.raises(ValidationError) as refused:
        _vitals(world, session, **values)
    assert text in fields(refused)[field][0]
    assert session.vitals.filter(phase="post_dose").count() == 0


def test_a_post_dose_reading_timed_before_the_dose_is_refused(world: Any, ready: Ready) -> None:
    session = dosed(world)
    dose_at = session.doses.get().given_at
    with pytest.raises(ValidationError) as refused:
        _vitals(world, session, taken_at=dose_at - timedelta(minutes=3))
    assert "before the first dose" in fields(refused)["taken_at"][0]
    with pytest.raises(ValidationError) as future:
        _vitals(world, session, taken_at=timezone.now() + timedelta(minutes=30))
    assert "in the future" in fields(future)["taken_at"][0]


def test_a_reading_over_a_threshold_opens_an_alert_that_needs_an_action(world: Any, ready: Ready) -> None:
    session = dosed(world)
    reading, alerts, created = _vitals(world, session, systolic=185, diastolic=100)
    assert created and [a.code for a in alerts] == ["sbp_high"]
    alert = alerts[0]
    assert (
        alert.reading == reading and alert.is_open and alert.result["protocol_id"] == "sublingual_kap_series"
    )
    with pytest.raises(ValidationError) as refused:
        services.alert_acknowledge(actor(world, "theo"), alert, "  ")
    assert "action" in fields(refused)["action_taken"][0]
    services.alert_acknowledge(actor(world, "sam"), alert, "Rechecked at 5 min: 172/96; prescriber told.")
    alert.refresh_from_db()
    assert (alert.acknowledged_by, alert.is_open) == (world.users["sam"], False)
    with pytest.raises(ValidationError, match="Already acknowledged"):
        services.alert_acknowledge(actor(world, "theo"), alert, "Again")


@pytest.mark.parametrize("who", ["tamsin", "avery", "olive"])
def test_alerts_are_acknowledged_by_the_care_team_only(world: Any, ready: Ready, who: str) -> None:
    session = dosed(world)
    _, alerts, _ = _vitals(world, session, systolic=185)
    with pytest.raises(PermissionDenied):
        services.alert_acknowledge(actor(world, who), alerts[0], "Looked")


def test_hypertensive_emergency_symptoms_always_alert(world: Any, ready: Ready) -> None:
    session = dosed(world)
    _, alerts, _ = _vitals(world, session, symptoms=["chest_pain"])
    assert [(a.code, a.severity) for a in alerts] == [("hypertensive_emergency", "emergency")]
    assert "Refer immediately for emergency care" in alerts[0].message


def test_a_retried_vitals_post_does_not_duplicate(world: Any, ready: Ready) -> None:
    session = dosed(world)
    first, alerts, created = _vitals(world, session, key="tablet-abc", systolic=185)
    again, alerts_again, created_again = _vitals(world, session, key="tablet-abc", systolic=185)
    assert created and not created_again and first.pk == again.pk
    assert [a.pk for a in alerts] == [a.pk for a in alerts_again]
    assert VitalReading.objects.filter(phase="post_dose").count() == 1 and Alert.objects.count() == 1


def test_a_sedation_drop_from_the_pre_dose_score_opens_an_alert(world: Any, ready: Ready) -> None:
    session = dosed(world)
    rating, alerts, _ = services.rating_record(
        actor(world, "theo"), session, moaas=3, emotional_state="calm", idempotency_key=""
    )
    assert rating.moaas == 3 and [a.code for a in alerts] == ["sedation_increase"]
    with pytest.raises(ValidationError) as refused:
        services.rating_record(
            actor(world, "theo"), session, dissociation_scale="cadss6", dissociation_score=30
        )
    assert "0-24" in fields(refused)["dissociation_score"][0]
    assert Rating.objects.filter(phase="post_dose").count() == 1


# --------------------------------------------------------------------------------------------------
# Interventions and adverse events
# --------------------------------------------------------------------------------------------------


def test_supportive_touch_only_within_the_consent(world: Any, ready: Ready) -> None:
    session = dosed(world)
    theo = actor(world, "theo")
    with pytest.raises(ValidationError) as no_detail:
        services.intervention_record(theo, session, kind="supportive_touch")
    assert "within the agreement" in fields(no_detail)["description"][0]
    with pytest.raises(ValidationError) as trainee:
        services.intervention_record(actor(world, "toby"), session, kind="supportive_touch", description="x")
    assert "not a trainee" in fields(trainee)["kind"][0]
    row, _ = services.intervention_record(
        theo, session, kind="supportive_touch", description="Hand on shoulder"
    )
    assert row.kind == "supportive_touch"
    sign_consent(world, touch=False, in_person=True)  # the client takes touch back, Theo witnessing
    with pytest.raises(ValidationError) as withdrawn:
        services.intervention_record(theo, session, kind="supportive_touch", description="Hand")
    assert "no current consent" in fields(withdrawn)["kind"][0]
    services.intervention_record(theo, session, kind="grounding", description="5-4-3-2-1")
    assert Intervention.objects.count() == 2


def test_adverse_events_use_the_shared_catalogue_and_a_serious_one_alerts(world: Any, ready: Ready) -> None:
    session = dosed(world)
    theo = actor(world, "theo")
    with pytest.raises(ValidationError) as unknown:
        services.adverse_event_record(theo, session, term="sneezing", severity="mild")
    assert "term" in fields(unknown)
    with pytest.raises(ValidationError) as no_action:
        services.adverse_event_record(theo, session, term="vomiting", severity="mild", serious=True)
    assert "action" in fields(no_action)["action_taken"][0]
    event, _ = services.adverse_event_record(
        theo,
        session,
        term="vomiting",
        severity="moderate",
        serious=True,
        action_taken="Antiemetic per protocol",
        outcome="resolving",
    )
    assert (event.category, event.catalog_version, event.serious) == ("gastrointestinal", "1.0.0", True)
    assert Alert.objects.get(code="serious_adverse_event").is_open
    assert AdverseEvent.objects.count() == 1


# --------------------------------------------------------------------------------------------------
# Discharge and integration
# --------------------------------------------------------------------------------------------------

ALL_ITEMS = (
    "clinician_judged_stable",
    "bp_safe",
    "vitals_within_range",
    "mental_status_baseline",
    "ambulation",
    "nausea_controlled",
    "escort_present",
    "safety_check",
    "follow_up_booked",
    "aftercare_given",
)


def _discharge_later(world: Any, session: CareSession, minutes: int = 125) -> None:
    session.refresh_from_db()
    first = session.doses.order_by("given_at").first()
    assert first is not None
    monitored(world, session, discharge_after=minutes)
    with time_machine.travel(first.given_at + timedelta(minutes=minutes), tick=False):
        services.discharge(
            actor(world, "theo"),
            session,
            summary=discharge_summary(session),
            expected_version=session.version,
        )
    session.refresh_from_db()


def test_discharge_is_blocked_before_the_minimum_observation_and_allowed_after(
    world: Any, ready: Ready
) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        session = dosed(world, at=start)
    theo = actor(world, "theo")
    with (
        time_machine.travel(start + timedelta(minutes=119), tick=False),
        pytest.raises(ValidationError) as early,
    ):
        services.discharge(
            theo, session, summary=discharge_summary(session), expected_version=session.version
        )
    assert "discharge not before" in " ".join(fields(early)["__all__"])
    monitored(world, session, discharge_after=121)
    with time_machine.travel(start + timedelta(minutes=121), tick=False):
        detail = services.discharge(
            theo, session, summary=discharge_summary(session), expected_version=session.version
        )
    session.refresh_from_db()
    assert session.status == "completed" and detail.left_with == "Ana (sister)"
    assert detail.discharge_result["ready"] is True and detail.no_driving.startswith("no driving")
    assert AuditEvent.objects.filter(action="measure.schedule_event", detail__event="after_dosing").exists()


def test_discharge_names_unmet_items_and_open_alerts(world: Any, ready: Ready) -> None:
    session = dosed(world)
    _vitals(world, session, systolic=190)
    later = timezone.now() + timedelta(hours=3)
    theo = actor(world, "theo")
    with time_machine.travel(later, tick=False):
        with pytest.raises(ValidationError, match="not acknowledged"):
            services.discharge(
                theo, session, summary=discharge_summary(session), expected_version=session.version
            )
        services.alert_acknowledge(theo, Alert.objects.get(), "Rechecked: 150/90")
        with pytest.raises(ValidationError) as unmet:
            services.discharge(
                theo,
                session,
                summary=discharge_summary(session, item_ambulation=False, left_with=""),
                expected_version=session.version,
            )
    errors = fields(unmet)
    assert "not met" in errors["item_ambulation"][0] and "left_with" in errors


def test_a_booster_restarts_the_observation_clock(world: Any, ready: Ready) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        session = dosed(world, at=start)
    with time_machine.travel(start + timedelta(minutes=45), tick=False):
        _dose(world, session, amount_mg=50, tier="")
    with time_machine.travel(start + timedelta(minutes=130), tick=False), pytest.raises(ValidationError):
        services.discharge(
            actor(world, "theo"),
            session,
            summary=discharge_summary(session),
            expected_version=session.version,
        )


def test_an_integration_note_on_a_dosing_session_that_never_happened_is_refused(
    world: Any, ready: Ready
) -> None:
    course = start_course(world)
    dosing = dosing_session(world, course)
    theo = actor(world, "theo")
    integration = services.session_schedule(theo, course, "integration", timezone.now(), follows=dosing)
    with pytest.raises(ValidationError) as refused:
        services.integration_record(
            theo, integration, entry=IntegrationInput(narrative="..."), expected_version=1
        )
    assert "has not happened" in fields(refused)["follows"][0]
    services.session_cancel(theo, dosing, "Client unwell")
    with pytest.raises(ValidationError) as cancelled:
        services.session_schedule(theo, course, "integration", timezone.now(), follows=dosing)
    assert "never happened" in fields(cancelled)["follows"][0]


def test_integration_after_discharge_records_interval_modalities_and_feedback(
    world: Any, ready: Ready
) -> None:
    session = dosed(world)
    _discharge_later(world, session)
    theo = actor(world, "theo")
    with time_machine.travel(timezone.now() + timedelta(hours=26), tick=False):
        integration = services.session_schedule(
            theo, session.course, "integration", timezone.now(), follows=session
        )
        services.session_start(theo, integration)
        integration.refresh_from_db()
        detail = services.integration_record(
            theo,
            integration,
            entry=IntegrationInput(
                narrative="I met my younger self.",
                themes="grief, self-compassion",
                modalities=("ifs", "act"),
                measures_due=("ebi",),
                prescriber_feedback="Well tolerated; consider 200 mg.",
            ),
            expected_version=integration.version,
            complete=True,
        )
        overview = course_overview(session.course)
    assert detail.themes == ["grief", "self-compassion"] and detail.modalities == ["ifs", "act"]
    assert 25.5 < float(detail.interval_hours) < 27
    assert overview.step.code == "dosing_session" and overview.feedback[0][1].startswith("Well tolerated")
    assert AuditEvent.objects.filter(
        action="measure.schedule_event", detail__event="before_integration"
    ).exists()


def test_dosing_dates_reach_the_measure_charts(world: Any, ready: Ready) -> None:
    from kapstone.measures.hooks import dosing_marker_dates

    session = dosed(world)
    assert dosing_marker_dates(world.clients["rowan"]) == [session.doses.get().given_at.date()]
    assert dosing_marker_dates(world.clients["harper"]) == []
