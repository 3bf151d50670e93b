"""Schedules make measures due; `send_measure_reminders` mails one link per due occurrence."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from measures_helpers import actor, phq9

from kapstone.audit.models import AuditEvent
from kapstone.measures.models import MeasureSchedule, PortalLink
from kapstone.measures.services import portal_submit, response_submit, schedule_create, schedule_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def rowan(world):
    client = world.clients["rowan"]
    client.email = "rowan.client@test.example"
    client.save()
    return client


@pytest.fixture
def remind(django_capture_on_commit_callbacks):
    def run():
        with django_capture_on_commit_callbacks(execute=True):
            call_command("send_measure_reminders", stdout=mock.MagicMock())

    return run


def test_one_mail_per_due_measure_however_often_the_job_runs(world, rowan, remind, mailoutbox):
    theo = actor(world, "theo")
    schedule_create(theo, rowan, "phq9", kind="interval", interval_days=14)
    schedule_create(theo, rowan, "gad7", kind="interval", interval_days=28)
    schedule_create(
        theo, rowan, "pcl5", kind="interval", interval_days=7, first_due_at=timezone.now() + timedelta(days=3)
    )  # not due yet
    remind()
    remind()
    remind()
    assert len(mailoutbox) == 2
    assert {m.to[0] for m in mailoutbox} == {"rowan.client@test.example"}
    links = PortalLink.objects.order_by("instrument_id")
    assert [link.instrument_id for link in links] == ["gad7", "phq9"]
    assert all(link.schedule_id and link.due_at and link.mailed_at for link in links)
    assert AuditEvent.objects.filter(action="measure.reminder", outcome="success").count() == 2


def test_the_next_occurrence_after_completion_gets_its_own_reminder(world, rowan, remind, mailoutbox):
    schedule = schedule_create(actor(world, "theo"), rowan, "phq9", kind="interval", interval_days=14)
    remind()
    assert len(mailoutbox) == 1
    token = mailoutbox[0].body.split("/q/")[1].split("/")[0]
    response = portal_submit(token, phq9(), None)
    schedule.refresh_from_db()
    assert schedule.next_due_at == response.administered_at + timedelta(days=14)
    remind()
    assert len(mailoutbox) == 1  # not due again yet
    with time_machine.travel(schedule.next_due_at + timedelta(hours=1)):
        remind()
        remind()
    assert len(mailoutbox) == 2


def test_an_unanswered_occurrence_is_not_reminded_twice(world, rowan, remind, mailoutbox):
    schedule_create(actor(world, "theo"), rowan, "phq9", kind="interval", interval_days=14)
    remind()
    with time_machine.travel(timezone.now() + timedelta(days=3)):
        remind()
    assert len(mailoutbox) == 1


def test_event_schedules_become_due_when_the_care_module_reports_the_session(
    world, rowan, remind, mailoutbox
):
    theo = actor(world, "theo")
    schedule = schedule_create(theo, rowan, "phq9", kind="after_dosing")
    assert schedule.next_due_at is None
    remind()
    assert not mailoutbox
    dosed_at = timezone.now() - timedelta(hours=1)
    assert schedule_event(theo, rowan, "after_dosing", dosed_at) == 1
    remind()
    remind()
    assert len(mailoutbox) == 1
    response_submit(theo, rowan, "phq9", phq9())
    schedule.refresh_from_db()
    assert schedule.next_due_at is None  # satisfied until the next dosing session
    assert schedule_event(theo, rowan, "before_integration", timezone.now()) == 0
    with pytest.raises(ValueError):
        schedule_event(theo, rowan, "whenever", timezone.now())


def test_a_client_without_email_is_skipped_once_and_audited(world, remind, mailoutbox):
    harper = world.clients["harper"]
    schedule_create(actor(world, "tamsin"), harper, "phq9", kind="interval", interval_days=7)
    remind()
    remind()
    assert not mailoutbox and not PortalLink.objects.exists()
    skipped = AuditEvent.objects.get(action="measure.reminder")
    assert skipped.outcome == "failure" and skipped.detail["reason"] == "no email address"


def test_a_failed_mail_is_retried_by_the_next_run(world, rowan, remind, mailoutbox):
    schedule_create(actor(world, "theo"), rowan, "phq9", kind="interval", interval_days=14)
    with mock.patch("kapstone.measures.tasks.send_mail", side_effect=OSError("smtp down")):
        remind()
    link = PortalLink.objects.get()
    assert link.mailed_at is None and link.mail_key and not mailoutbox
    remind()
    remind()
    assert len(mailoutbox) == 1 and PortalLink.objects.count() == 1
    link.refresh_from_db()
    assert link.mailed_at is not None and link.mail_key == ""


def test_stopped_schedules_are_not_reminded(world, rowan, remind, mailoutbox, as_user):
    schedule = schedule_create(actor(world, "theo"), rowan, "phq9", kind="interval", interval_days=14)
    reply = as_user("priya").post(f"/measures/clients/{rowan.pk}/schedules/", {"stop": str(schedule.pk)})
    assert reply.status_code == 302
    remind()
    assert not mailoutbox
    assert not MeasureSchedule.objects.get().active


def test_schedules_page_creates_a_schedule_and_refuses_a_bad_one(world, rowan, as_user):
    http = as_user("theo")
    url = f"/measures/clients/{rowan.pk}/schedules/"
    reply = http.post(url, {"instrument": "phq9", "kind": "interval", "interval_days": ""})
    assert reply.status_code == 200 and b"number of days" in reply.content
    reply = http.post(url, {"instrument": "phq9", "kind": "interval", "interval_days": "14"})
    assert reply.status_code == 302
    assert MeasureSchedule.objects.get().interval_days == 14
    assert (
        as_user("sam").post(url, {"instrument": "gad7", "kind": "interval", "interval_days": "7"}).status_code
        == 404
    )
    assert MeasureSchedule.objects.count() == 1


def test_schedule_writes_are_audited(world, rowan):
    theo = actor(world, "theo")
    schedule = schedule_create(theo, rowan, "phq9", kind="after_dosing")
    schedule_event(theo, rowan, "after_dosing", timezone.now())
    from kapstone.measures.services import schedule_stop

    schedule_stop(theo, schedule)
    actions = list(AuditEvent.objects.filter(client_id=rowan.pk).values_list("action", flat=True))
    assert actions == ["measure.schedule", "measure.schedule_event", "measure.schedule_stop"]
