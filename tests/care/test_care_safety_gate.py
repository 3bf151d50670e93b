"""The dosing room honours the suicide-risk follow-up (issue #11 item 3): an open high-risk safety
task blocks the pre-dose go and the dose until a clinician documents a review; a low one is shown
as "review before the next dose" and does not block."""

from __future__ import annotations

from typing import Any

import pytest
from care_helpers import actor, dosing_session, go_checklist, start_course, started
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from kapstone.care import services
from kapstone.care.models import DoseRecord
from kapstone.measures.models import SafetyTask
from kapstone.measures.services import IncompleteResponse, response_submit, safety_acknowledge
from readiness_helpers import Ready

pytestmark = pytest.mark.django_db

# Answers broken off before Q6 (say, a portal form left half done): nothing is stored, so the
# screening facts and the clearance stand, but the answers given still open the safety task.
HIGH = {"cssrs_1": 1, "cssrs_2": 1, "cssrs_3": 0, "cssrs_4": 1, "cssrs_5": 0}
LOW = {"cssrs_1": 1, "cssrs_2": 0}


def _screen(world: Any, answers: dict[str, int]) -> SafetyTask:
    with pytest.raises(IncompleteResponse):
        response_submit(actor(world, "theo"), world.clients["rowan"], "cssrs_screener", answers)
    return SafetyTask.objects.filter(acknowledged_at__isnull=True).latest("pk")


def _opened(task: SafetyTask) -> str:
    return f"{timezone.localtime(task.opened_at):%Y-%m-%d %H:%M}"


def test_a_high_risk_task_blocks_the_go_until_a_clinician_documents_a_review(
    world: Any, ready: Ready
) -> None:
    session = dosing_session(world, start_course(world))
    task = _screen(world, HIGH)
    with pytest.raises(services.NotReady) as refused:
        services.dosing_start(
            actor(world, "priya"), session, checks=go_checklist(), expected_version=session.version
        )
    assert refused.value.missing == [
        f"high risk safety task open since {_opened(task)} ({task.message}): a clinician must document a "
        "review of it before any dose"
    ]
    session.refresh_from_db()
    assert session.status == "scheduled"
    safety_acknowledge(
        actor(world, "priya"), task, "Seen in person; no current intent.", safety_plan="Updated."
    )
    started_ = services.dosing_start(
        actor(world, "theo"), session, checks=go_checklist(), expected_version=session.version
    )
    assert started_.started


def test_a_high_risk_task_opened_during_the_session_stops_the_dose(world: Any, ready: Ready) -> None:
    session = started(world)
    _screen(world, HIGH)
    data = {"amount_mg": 150, "unit": "mg", "route": "sublingual", "tier": "psycholytic"}
    with pytest.raises(ValidationError) as refused:
        services.dose_record(actor(world, "priya"), session, **data, justification="Client insists")
    assert "No dose: high risk safety task open" in refused.value.message_dict["amount_mg"][0]
    assert not DoseRecord.objects.exists()


def test_a_low_risk_task_is_a_visible_review_not_a_block(world: Any, as_user: Any, ready: Ready) -> None:
    session = dosing_session(world, start_course(world))
    _screen(world, LOW)
    page = as_user("theo").get(reverse("care:dosing", kwargs={"pk": session.pk})).content.decode()
    assert "Low risk safety task open since" in page and "Review before the next dose" in page
    result = services.dosing_start(
        actor(world, "theo"), session, checks=go_checklist(), expected_version=session.version
    )
    assert result.started


def test_the_dosing_room_shows_the_block_before_the_go(world: Any, as_user: Any, ready: Ready) -> None:
    session = dosing_session(world, start_course(world))
    _screen(world, HIGH)
    page = as_user("theo").get(reverse("care:dosing", kwargs={"pk": session.pk})).content.decode()
    assert "Not ready for dosing" in page and "high risk safety task open" in page
