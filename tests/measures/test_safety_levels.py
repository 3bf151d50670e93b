"""Suicide-risk follow-up tiered by the Columbia triage (issue #11 item 3): one safety task per
response at its level (low / moderate / high), a skipped PHQ-9 item 9 leaves a review task, and
the task list sorts by level, then age."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone
from measures_helpers import actor, phq9

from kapstone.audit.models import AuditEvent
from kapstone.measures.models import SafetyTask
from kapstone.measures.scoring import default_registry, score
from kapstone.measures.scoring.safety_levels import default_safety_levels, triage
from kapstone.measures.selectors import open_safety_tasks
from kapstone.measures.services import IncompleteResponse, response_submit, safety_acknowledge
from kapstone.measures.tasks import notify_safety_task

LEVEL_OF_TRIAGE = {1: "low", 2: "moderate", 3: "high"}


def _cssrs(**yes: int) -> dict[str, int]:
    """C-SSRS answers following the skip logic; ``yes`` names the items answered 1."""
    answers = {"cssrs_1": yes.get("q1", 0), "cssrs_2": yes.get("q2", 0), "cssrs_6": yes.get("q6", 0)}
    if answers["cssrs_2"]:
        answers.update(cssrs_3=yes.get("q3", 0), cssrs_4=yes.get("q4", 0), cssrs_5=yes.get("q5", 0))
    if answers["cssrs_6"]:
        answers["cssrs_6b"] = yes.get("q6b", 0)
    return answers


def _patterns() -> list[dict[str, int]]:
    found = []
    for q1, q2, q3, q4, q5, q6, q6b in itertools.product((0, 1), repeat=7):
        if not q2 and (q3 or q4 or q5):
            continue
        if not q6 and q6b:
            continue
        found.append(_cssrs(q1=q1, q2=q2, q3=q3, q4=q4, q5=q5, q6=q6, q6b=q6b))
    return found


@pytest.mark.parametrize("answers", _patterns(), ids=lambda a: "".join(str(v) for v in a.values()))
def test_the_task_level_is_the_columbia_triage_level_for_every_answer_pattern(answers):
    instrument = default_registry().get("cssrs_screener")
    result = score(instrument, answers)
    assert result.complete
    safety = [f for f in result.flags if f.get("severity") == "safety"]
    finding = triage(default_safety_levels(), safety)
    if result.total == 0:
        assert finding is None
    else:
        assert finding is not None and finding.level.id == LEVEL_OF_TRIAGE[int(result.total)]


def test_every_shipped_safety_flag_has_a_level():
    levels = default_safety_levels()
    registry = default_registry()
    for instrument_id in registry.ids():
        for flag in registry.get(instrument_id).flags:
            if flag.severity == "safety":
                assert flag.id in levels.flag_levels, f"{instrument_id}: {flag.id} has no level"


def test_an_unknown_flag_is_treated_as_high():
    finding = triage(default_safety_levels(), [{"id": "new_flag_nobody_mapped", "message": "?"}])
    assert finding is not None and finding.level.id == "high" and finding.level.blocks_dosing


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("yes", "level"),
    [
        ({"q1": 1}, "low"),
        ({"q1": 1, "q2": 1}, "low"),
        ({"q2": 1, "q3": 1}, "moderate"),
        ({"q6": 1, "q6b": 0}, "moderate"),
        ({"q2": 1, "q5": 1, "q6": 1, "q6b": 1}, "high"),
        ({"q1": 1, "q2": 1, "q4": 1}, "high"),
    ],
)
def test_one_task_per_cssrs_response_keyed_to_its_level(world, yes, level):
    theo = actor(world, "theo")
    response = response_submit(theo, world.clients["rowan"], "cssrs_screener", _cssrs(**yes))
    task = SafetyTask.objects.get()  # one, however many "yes" answers
    assert (task.response, task.level) == (response, level)
    assert task.message.startswith(
        {"low": "Low risk", "moderate": "Moderate risk", "high": "High risk"}[level]
    )
    opened = AuditEvent.objects.get(action="safety.open")
    assert opened.detail["level"] == level and len(opened.detail["flags"]) == sum(yes.values())


@pytest.mark.django_db
def test_q5_and_q6_within_three_months_open_one_high_task_not_four(world):
    answers = _cssrs(q1=1, q2=1, q5=1, q6=1, q6b=1)
    response_submit(actor(world, "theo"), world.clients["rowan"], "cssrs_screener", answers)
    assert SafetyTask.objects.count() == 1
    task = SafetyTask.objects.get()
    assert task.level == "high" and task.blocks_dosing
    assert {f["id"] for f in task.flags} == {
        "cssrs_wish_dead",
        "cssrs_suicidal_thoughts",
        "cssrs_plan",
        "cssrs_behaviour",
        "cssrs_recent_behaviour",
    }


@pytest.mark.django_db
def test_a_phq9_with_item_9_skipped_opens_an_item_9_unanswered_review(world):
    theo = actor(world, "theo")
    with pytest.raises(IncompleteResponse) as refused:
        response_submit(theo, world.clients["rowan"], "phq9", phq9(base=1, phq9_9=None))
    assert "phq9_9" in refused.value.message_dict
    task = SafetyTask.objects.get()
    assert refused.value.safety_tasks == [task]
    assert (task.flag_id, task.level, task.response) == ("phq9_item9_unanswered", "low", None)
    assert "item 9 unanswered" in task.message and task.is_open and not task.blocks_dosing
    # Answered later with a 2, the same task rises to moderate and attaches to the response.
    response = response_submit(theo, world.clients["rowan"], "phq9", phq9(base=1, item9=2))
    task.refresh_from_db()
    assert (task.level, task.flag_id, task.response) == ("moderate", "phq9_item9", response)
    assert SafetyTask.objects.count() == 1


@pytest.mark.django_db
def test_the_task_list_sorts_by_level_then_age(world):
    theo = actor(world, "theo")
    now = timezone.now()
    rowan = world.clients["rowan"]
    response_submit(theo, rowan, "cssrs_screener", _cssrs(q1=1), administered_at=now - timedelta(hours=3))
    response_submit(theo, rowan, "phq9", phq9(item9=1), administered_at=now - timedelta(hours=2))
    response_submit(
        theo, rowan, "cssrs_screener", _cssrs(q2=1, q4=1), administered_at=now - timedelta(hours=1)
    )
    low, moderate, high = SafetyTask.objects.order_by("pk")
    SafetyTask.objects.filter(pk=low.pk).update(opened_at=now - timedelta(days=3))
    SafetyTask.objects.filter(pk=moderate.pk).update(opened_at=now - timedelta(days=2))
    older_high = SafetyTask.objects.create(
        organization=world.org_a, client=rowan, instrument_id="cssrs_screener", instrument_version="1.0.0",
        flag_id="cssrs_plan", severity="safety", level="high", level_rank=3, message="High risk: older.",
        source="clinician", opened_at=now - timedelta(days=1),
    )  # fmt: skip
    listed = open_safety_tasks(actor(world, "priya"))
    assert [t.pk for t in listed] == [older_high.pk, high.pk, moderate.pk, low.pk]


@pytest.mark.django_db
def test_high_is_an_urgent_notice_low_is_not(world):
    theo = actor(world, "theo")
    response_submit(theo, world.clients["rowan"], "cssrs_screener", _cssrs(q2=1, q4=1))
    response_submit(theo, world.clients["rowan"], "cssrs_screener", _cssrs(q1=1))
    high, low = SafetyTask.objects.order_by("pk")
    mail.outbox.clear()
    assert notify_safety_task.call(high.pk) > 0
    assert mail.outbox[-1].subject.startswith("URGENT: ") and "review now" in mail.outbox[-1].subject
    assert notify_safety_task.call(low.pk) > 0
    assert (
        not mail.outbox[-1].subject.startswith("URGENT") and "before the next dose" in mail.outbox[-1].subject
    )
    assert "suicid" not in mail.outbox[-1].body.lower()  # no clinical detail in the mail


@pytest.mark.django_db
@pytest.mark.parametrize("level_answers", [_cssrs(q2=1, q3=1), _cssrs(q2=1, q4=1)])
def test_moderate_and_high_need_the_safety_plan_to_close(world, level_answers):
    response_submit(actor(world, "theo"), world.clients["rowan"], "cssrs_screener", level_answers)
    task = SafetyTask.objects.get()
    with pytest.raises(ValidationError) as refused:
        safety_acknowledge(actor(world, "priya"), task, "Spoke with Rowan.")
    assert "safety_plan" in refused.value.message_dict
    task.refresh_from_db()
    assert task.is_open
    done = safety_acknowledge(actor(world, "priya"), task, "Spoke with Rowan.", safety_plan="Plan v2 agreed.")
    assert not done.is_open and done.safety_plan == "Plan v2 agreed."


@pytest.mark.django_db
def test_low_closes_with_the_review_alone(world):
    response_submit(actor(world, "theo"), world.clients["rowan"], "cssrs_screener", _cssrs(q1=1))
    task = safety_acknowledge(actor(world, "priya"), SafetyTask.objects.get(), "Reviewed before dose 2.")
    assert not task.is_open and task.safety_plan == ""
