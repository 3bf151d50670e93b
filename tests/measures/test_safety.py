"""Safety flags open a task every care-team member sees until someone acknowledges it with an action."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from measures_helpers import actor, phq9, phq9_post

from kapstone.audit.models import AuditEvent
from kapstone.measures.models import Response, SafetyTask
from kapstone.measures.services import IncompleteResponse, response_submit, safety_acknowledge

pytestmark = pytest.mark.django_db

MESSAGE = "PHQ-9 item 9 (thoughts of being better off dead or of self-harm)"


def _flag_rowan(world, item9=1):
    return response_submit(actor(world, "theo"), world.clients["rowan"], "phq9", phq9(item9=item9))


@pytest.mark.parametrize("item9", [1, 2, 3])
def test_phq9_item9_of_one_or_more_opens_a_safety_task(world, item9):
    response = _flag_rowan(world, item9)
    task = SafetyTask.objects.get()
    assert (task.response, task.client, task.flag_id, task.severity) == (
        response,
        world.clients["rowan"],
        "phq9_item9",
        "safety",
    )
    assert task.evidence == {"phq9_9": item9} and task.is_open and task.opened_by == world.users["theo"]
    opened = AuditEvent.objects.get(action="safety.open")
    assert opened.object_id == str(task.pk) and opened.detail["response"] == response.pk


def test_item9_of_zero_opens_nothing(world):
    _flag_rowan(world, 0)
    assert not SafetyTask.objects.exists()


def test_cssrs_high_risk_opens_one_high_task_naming_every_flag(world):
    # Was one task per "yes" (four here); now one task per response at its triage level (issue #11).
    answers = {"cssrs_1": 1, "cssrs_2": 1, "cssrs_3": 1, "cssrs_4": 1, "cssrs_5": 0, "cssrs_6": 0}
    response = response_submit(actor(world, "theo"), world.clients["rowan"], "cssrs_screener", answers)
    assert response.band == "High risk"
    task = SafetyTask.objects.get()
    assert (task.response, task.level, task.flag_id) == (response, "high", "cssrs_intent")
    assert [f["id"] for f in task.flags] == [
        "cssrs_intent",
        "cssrs_method",
        "cssrs_wish_dead",
        "cssrs_suicidal_thoughts",
    ]


DASHBOARD_SEES = [
    ("theo", True),
    ("priya", True),
    ("sam", True),
    ("toby", True),
    ("tamsin", False),
    ("olive", False),
    ("avery", False),
]


@pytest.mark.parametrize(("name", "sees"), DASHBOARD_SEES)
def test_the_open_task_is_on_every_care_team_dashboard_and_no_one_elses(world, as_user, name, sees):
    _flag_rowan(world)
    page = as_user(name).get("/dashboard/").content.decode()
    assert (MESSAGE in page) is sees
    assert ("Rowan Fictional" in page) is sees
    if sees:
        assert AuditEvent.objects.filter(action="safety.list", actor_id=world.users[name].pk).exists()


def test_acknowledging_needs_a_documented_action(world):
    _flag_rowan(world)
    task = SafetyTask.objects.get()
    for blank in ("", "   \n"):
        with pytest.raises(ValidationError) as caught:
            safety_acknowledge(actor(world, "priya"), task, blank)
        assert "action_taken" in caught.value.message_dict
    task.refresh_from_db()
    assert task.is_open and not AuditEvent.objects.filter(action="safety.acknowledge").exists()


def test_acknowledged_with_an_action_it_leaves_every_dashboard_and_is_audited(world, as_user):
    _flag_rowan(world)
    task = safety_acknowledge(
        actor(world, "priya"),
        SafetyTask.objects.get(),
        "Called Rowan; C-SSRS negative.",
        safety_plan="Safety plan reviewed by phone; crisis line card resent.",
    )
    assert not task.is_open and task.acknowledged_by == world.users["priya"]
    assert task.action_taken == "Called Rowan; C-SSRS negative."
    event = AuditEvent.objects.get(action="safety.acknowledge")
    assert (event.actor_id, event.object_id) == (world.users["priya"].pk, str(task.pk))
    assert MESSAGE not in as_user("theo").get("/dashboard/").content.decode()
    with pytest.raises(ValidationError, match="already acknowledged"):
        safety_acknowledge(actor(world, "theo"), task, "Also called.", safety_plan="Same plan.")


def test_the_acknowledge_page_refuses_a_blank_action_and_accepts_a_written_one(world, as_user):
    _flag_rowan(world)
    task = SafetyTask.objects.get()
    http = as_user("sam")  # the supervisor may acknowledge (but not record)
    url = f"/measures/safety/{task.pk}/"
    assert http.get(url).status_code == 200
    reply = http.post(url, {"action_taken": "  "})
    assert reply.status_code == 200 and b"Describe what you did" in reply.content
    task.refresh_from_db()
    assert task.is_open
    reply = http.post(url, {"action_taken": "Reviewed with Theo."})
    assert reply.status_code == 200 and b"record the safety plan" in reply.content  # moderate level
    reply = http.post(url, {"action_taken": "Reviewed with Theo.", "safety_plan": "Plan updated with Rowan."})
    assert reply.status_code == 302
    task.refresh_from_db()
    assert task.acknowledged_by == world.users["sam"]


@pytest.mark.parametrize("name", ["tamsin", "olive", "avery"])
def test_people_outside_the_team_cannot_see_or_acknowledge_the_task(world, as_user, name):
    _flag_rowan(world)
    task = SafetyTask.objects.get()
    http = as_user(name)
    assert http.get(f"/measures/safety/{task.pk}/").status_code == 404
    assert http.post(f"/measures/safety/{task.pk}/", {"action_taken": "x"}).status_code == 404
    task.refresh_from_db()
    assert task.is_open
    with pytest.raises(Exception):  # noqa: B017 - PermissionDenied from the service itself
        safety_acknowledge(actor(world, name), task, "Trying anyway.")


def test_incomplete_answers_with_a_safety_flag_are_refused_but_the_task_still_opens(world):
    answers = phq9(item9=2, phq9_1=None, phq9_4=None)
    with pytest.raises(IncompleteResponse) as caught:
        response_submit(actor(world, "theo"), world.clients["rowan"], "phq9", answers)
    assert {"phq9_1", "phq9_4"} <= set(caught.value.message_dict)
    assert not Response.objects.exists()
    task = SafetyTask.objects.get()
    assert caught.value.safety_tasks == [task]
    assert task.response is None and task.evidence == {"phq9_9": 2}
    assert AuditEvent.objects.filter(action="safety.open", object_id=str(task.pk)).exists()
    refused = AuditEvent.objects.get(action="measure.refused")
    assert refused.detail["safety_tasks"] == [task.pk]

    # Trying again, still incomplete, does not pile up tasks; it is audited against the open one.
    with pytest.raises(IncompleteResponse):
        response_submit(actor(world, "theo"), world.clients["rowan"], "phq9", answers)
    assert SafetyTask.objects.count() == 1
    assert AuditEvent.objects.filter(action="safety.flag_repeated", object_id=str(task.pk)).count() == 1

    # The complete response then attaches to the same task.
    response = response_submit(actor(world, "theo"), world.clients["rowan"], "phq9", phq9(item9=2))
    task.refresh_from_db()
    assert SafetyTask.objects.count() == 1 and task.response == response


def test_the_form_tells_the_clinician_when_refused_answers_raised_a_flag(
    world, as_user, django_capture_on_commit_callbacks
):
    post = phq9_post(item9=1)
    del post["phq9_2"]
    with django_capture_on_commit_callbacks(execute=True):
        reply = as_user("toby").post(f"/measures/clients/{world.clients['rowan'].pk}/record/phq9/", post)
    page = reply.content.decode()
    assert reply.status_code == 200
    assert "Safety flag raised" in page and "Question 2 has no answer." in page
    assert not Response.objects.exists() and SafetyTask.objects.count() == 1
    assert MESSAGE in as_user("priya").get("/dashboard/").content.decode()


def test_the_rest_of_the_care_team_is_told_by_mail_without_clinical_detail(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _flag_rowan(world)
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert sorted(mail.to) == ["priya@test.example", "sam@test.example", "toby@test.example"]  # not theo
    assert "item 9" not in mail.body and "Rowan" not in mail.body and "PHQ" not in mail.body
    assert f"/measures/safety/{SafetyTask.objects.get().pk}/" in mail.body


def test_opening_a_task_is_an_audited_read(world, as_user):
    _flag_rowan(world)
    task = SafetyTask.objects.get()
    assert as_user("toby").get(f"/measures/safety/{task.pk}/").status_code == 200
    event = AuditEvent.objects.get(action="safety.view")
    assert (event.actor_id, event.object_id, event.client_id) == (
        world.users["toby"].pk,
        str(task.pk),
        world.clients["rowan"].pk,
    )
