"""The demo organization: Rowan's KAP course (first dose today) and Marlowe's completed one, made
through the real services, loaded once."""

from __future__ import annotations

import time

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from kapstone.audit.models import AuditEvent
from kapstone.audit.services import verify_chain
from kapstone.care.models import Alert, CareSession, Course, DoseRecord, Intervention, Rating, VitalReading
from kapstone.care.selectors import course_overview
from kapstone.clients.models import Client, ConsentRecord, Intake
from kapstone.measures.models import Response
from kapstone.notes.models import ProgressNote
from kapstone.notes.services import note_verify
from kapstone.screening.models import Clearance, ScreeningEvaluation
from kapstone.screening.readiness import dosing_readiness
from kapstone.tooling.demo import DEMO_SLUG, load_demo

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo() -> float:
    start = time.perf_counter()
    load_demo()
    return time.perf_counter() - start


def rowan() -> Client:
    return Client.objects.get(organization__slug=DEMO_SLUG, given_name="Rowan")


def test_rowan_is_ready_through_a_cleared_screening_and_a_consent_with_touch(demo: float) -> None:
    client = rowan()
    intake = Intake.objects.get(client=client)
    evaluation = ScreeningEvaluation.objects.get(client=client)
    clearance = Clearance.objects.get(client=client)
    consent = ConsentRecord.objects.get(client=client)
    assert (intake.product, intake.route) == ("racemic_ketamine", "sublingual")
    assert evaluation.status == "submitted" and evaluation.outcome in ("no_flags", "needs_prescriber_review")
    assert clearance.clears and clearance.prescriber.email == "prescriber@larkspur.example"
    assert intake.created_at < evaluation.submitted_at < clearance.decided_at < consent.signed_at
    assert consent.channel == "portal" and consent.touch and consent.touch_scope and consent.touch_stop_signal
    readiness = dosing_readiness(client)
    assert readiness.ready and readiness.missing == [] and readiness.warnings == []
    assert readiness.touch_opt_in.consented


def test_rowan_has_a_course_with_preparation_a_dosing_session_and_integration(demo: float) -> None:
    client = rowan()
    course = Course.objects.get(client=client)
    assert course.protocol_key == "sublingual_kap_series" and course.status == "active"
    sessions = {kind: list(course.sessions.filter(kind=kind).order_by("started_at")) for kind in
                ("preparation", "dosing", "integration")}  # fmt: skip
    assert [s.status for s in sessions["preparation"]] == ["completed", "completed"]
    (dosing,) = sessions["dosing"]
    (integration,) = sessions["integration"]
    assert dosing.status == integration.status == "completed" and integration.follows == dosing
    assert course.started_at < sessions["preparation"][-1].ended_at < dosing.started_at
    assert dosing.ended_at <= integration.started_at <= timezone.now()

    dose = DoseRecord.objects.get(session=dosing)
    assert dose.level == "ok" and dose.given_at >= dosing.started_at
    readings = list(VitalReading.objects.filter(session=dosing).order_by("taken_at"))
    assert 4 <= len(readings) <= 5 and readings[0].phase == "pre_dose"
    assert all(r.taken_at > dose.given_at for r in readings if r.phase == "post_dose")
    (alert,) = Alert.objects.filter(session=dosing)
    assert alert.code == "sbp_high" and alert.acknowledged_by is not None and alert.action_taken
    assert alert.reading is not None and alert.reading.systolic >= 180
    assert Rating.objects.filter(session=dosing, phase="post_dose").count() == 2
    assert Intervention.objects.get(session=dosing).kind == "supportive_touch"
    detail = dosing.dosing
    assert detail.discharge_result["ready"] and detail.discharge_result["observed_minutes"] >= 120
    assert detail.readiness["ready"] and detail.readiness["clearance_id"] is not None
    assert integration.integration.narrative and integration.integration.prescriber_feedback
    assert course_overview(course).step.code == "dosing_session"


def test_a_signed_therapist_note_and_a_trainee_note_awaiting_the_supervisors_co_sign(demo: float) -> None:
    notes = {n.author.email: n for n in ProgressNote.objects.filter(client=rowan())}
    therapist, trainee = notes["therapist@larkspur.example"], notes["trainee@larkspur.example"]
    assert (therapist.template_id, therapist.status) == ("dap", "signed") and note_verify(therapist)
    assert (trainee.status, trainee.cosign_required) == ("pending_cosign", True)
    assert therapist.session.kind == trainee.session.kind == "dosing"


def test_loading_again_changes_nothing_and_the_audit_chain_verifies(demo: float) -> None:
    assert demo < 5, f"load_demo took {demo:.1f} s"
    counts = {
        m.__name__: m.objects.count()
        for m in (AuditEvent, CareSession, DoseRecord, VitalReading, ProgressNote, Response)
    }
    load_demo()
    assert {
        m.__name__: m.objects.count()
        for m in (AuditEvent, CareSession, DoseRecord, VitalReading, ProgressNote, Response)
    } == (counts)
    assert verify_chain().ok


def test_the_demo_shows_training_and_community_a_newcomer_can_open(demo: float) -> None:
    from kapstone.community.directory_selectors import verified_certificate
    from kapstone.community.models import Listing
    from kapstone.training.demo import COHORT_NAME
    from kapstone.training.models import Cohort

    cohort = Cohort.objects.get(organization__slug=DEMO_SLUG, name=COHORT_NAME)
    assert cohort.enrollments.exists()
    listings = list(Listing.objects.filter(organization__slug=DEMO_SLUG))
    assert len(listings) >= 3
    verified = [listing for listing in listings if verified_certificate(listing) is not None]
    assert len(verified) == 1  # the demo trainee's valid certificate; the revoked one shows nowhere
    response = HttpClient().get("/directory/?state=" + verified[0].state)
    assert verified[0].display_name in response.content.decode()


def test_marlowe_has_a_completed_course_entered_step_by_step_at_its_own_times(demo: float) -> None:
    """The second demo client's course went through the same services, checked at the times it
    carries: cleared and consented before the course, two preparations, six doses at least the
    protocol's 72 h apart, each discharged on recorded vitals without a justification, and an
    integration session after each."""
    client = Client.objects.get(organization__slug=DEMO_SLUG, given_name="Marlowe")
    course = Course.objects.get(client=client)
    clearance, consent = Clearance.objects.get(client=client), ConsentRecord.objects.get(client=client)
    assert course.status == "completed" and course.end_reason and course.ended_at is not None
    assert clearance.clears and clearance.decided_at < consent.signed_at < course.started_at
    assert consent.channel == "in_person" and consent.witnessed_by is not None
    prep = list(course.sessions.filter(kind="preparation").order_by("started_at"))
    dosing = list(course.sessions.filter(kind="dosing").order_by("started_at"))
    assert [s.status for s in prep] == ["completed"] * 2 and prep[-1].ended_at < dosing[0].started_at
    assert [s.number for s in dosing] == [1, 2, 3, 4, 5, 6]
    doses = [DoseRecord.objects.get(session=s) for s in dosing]
    gaps = [(b.given_at - a.given_at).total_seconds() / 3600 for a, b in zip(doses, doses[1:], strict=False)]
    assert min(gaps) >= 72, gaps
    for session, dose in zip(dosing, doses, strict=True):
        detail = session.dosing
        assert session.started_at <= dose.given_at < detail.discharged_at == session.ended_at
        assert detail.discharge_result["ready"] and not detail.vitals_justification
        assert all(item["status"] == "ok" for item in detail.discharge_result["vitals"])
        integration = course.sessions.get(kind="integration", follows=session)
        assert integration.status == "completed" and session.ended_at < integration.started_at
    assert course.ended_at is not None and course.ended_at > dosing[-1].ended_at
    assert course.ended_at < timezone.now()
