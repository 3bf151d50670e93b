"""Live workshops: capacity, waitlist promotion with a hold, cancellation, .ics, feeds, hours."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from community_helpers import actor
from django.core import mail
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar
from tests.conftest import signed_in_client

from kapstone.audit.models import AuditEvent
from kapstone.community import workshop_services as svc
from kapstone.community.models import Registration
from kapstone.community.selectors import earned_hours
from kapstone.core.contract import NotYours, Refused, Stale


def _workshop(world: Any, *, capacity: int = 2, host: str = "sam", **extra: Any) -> Any:
    starts = timezone.now() + dt.timedelta(days=3)
    values: dict[str, Any] = {
        "title": "Integration skills",
        "starts_at": starts,
        "ends_at": starts + dt.timedelta(minutes=90),
        "capacity": capacity,
        "time_zone": "America/Denver",
        "topics": ["co.integration"],
    }
    values.update(extra)
    return svc.workshop_create(actor(world, host), **values)


def _status(world: Any, workshop: Any, name: str) -> str:
    return Registration.objects.filter(workshop=workshop, user=world.users[name]).latest("pk").status


def test_capacity_then_waitlist_then_double_registration_refused(world: Any) -> None:
    workshop = _workshop(world, capacity=2)
    for name in ("theo", "tamsin", "toby"):
        svc.register(actor(world, name), workshop_pk=workshop.pk)
    assert [_status(world, workshop, n) for n in ("theo", "tamsin", "toby")] == [
        "registered",
        "registered",
        "waitlisted",
    ]
    with pytest.raises(Refused, match="already registered"):
        svc.register(actor(world, "theo"), workshop_pk=workshop.pk)
    assert Registration.objects.filter(workshop=workshop).count() == 3


def test_a_freed_place_is_held_for_the_next_person_with_a_mail_and_passes_on_when_unclaimed(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    workshop = _workshop(world, capacity=1, hold_hours=2)
    for name in ("theo", "tamsin", "toby"):
        svc.register(actor(world, name), workshop_pk=workshop.pk)
    with django_capture_on_commit_callbacks(execute=True):
        svc.registration_cancel(actor(world, "theo"), workshop_pk=workshop.pk)
    assert _status(world, workshop, "tamsin") == "held"
    assert [m.to for m in mail.outbox] == [["tamsin@test.example"]] and "held for you" in mail.outbox[
        0
    ].subject
    with pytest.raises(Refused, match="no place held"):
        svc.hold_claim(actor(world, "toby"), workshop_pk=workshop.pk)
    with (
        time_machine.travel(timezone.now() + dt.timedelta(hours=3)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert svc.holds_expire_all() == 1
        assert _status(world, workshop, "tamsin") == "expired"
        assert _status(world, workshop, "toby") == "held"
        svc.hold_claim(actor(world, "toby"), workshop_pk=workshop.pk)
    assert _status(world, workshop, "toby") == "registered"
    assert mail.outbox[-1].to == ["toby@test.example"]


def test_the_ics_keeps_its_uid_and_grows_its_sequence_and_a_cancellation_is_method_cancel(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    workshop = _workshop(world)
    svc.register(actor(world, "theo"), workshop_pk=workshop.pk)
    http = signed_in_client(world.users["theo"])
    first = Calendar.from_ical(http.get(reverse("community:workshop_event", args=[workshop.pk])).content)
    event = first.walk("VEVENT")[0]
    assert str(event["UID"]) == workshop.uid and int(event["SEQUENCE"]) == 0
    assert first.walk("VTIMEZONE")[0]["TZID"] == "America/Denver"
    assert str(event["DTSTART"].params["TZID"]) == "America/Denver"
    with django_capture_on_commit_callbacks(execute=True):
        svc.workshop_update(
            actor(world, "sam"),
            workshop_pk=workshop.pk,
            expected_version=1,
            title="Integration skills II",
            starts_at=workshop.starts_at,
            ends_at=workshop.ends_at,
            capacity=3,
            time_zone="America/Denver",
        )
    second = Calendar.from_ical(http.get(reverse("community:workshop_event", args=[workshop.pk])).content)
    event = second.walk("VEVENT")[0]
    assert (str(event["UID"]), int(event["SEQUENCE"]), str(event["SUMMARY"])) == (
        workshop.uid,
        1,
        "Integration skills II",
    )
    assert mail.outbox[0].attachments[0][0] == "workshop.ics"
    with pytest.raises(Stale):
        svc.workshop_update(
            actor(world, "sam"),
            workshop_pk=workshop.pk,
            expected_version=1,
            title="x",
            starts_at=workshop.starts_at,
            ends_at=workshop.ends_at,
            capacity=3,
            time_zone="America/Denver",
        )
    with django_capture_on_commit_callbacks(execute=True):
        svc.workshop_cancel(actor(world, "sam"), workshop_pk=workshop.pk)
    third = Calendar.from_ical(http.get(reverse("community:workshop_event", args=[workshop.pk])).content)
    assert str(third["METHOD"]) == "CANCEL"
    event = third.walk("VEVENT")[0]
    assert (str(event["UID"]), int(event["SEQUENCE"]), str(event["STATUS"])) == (workshop.uid, 2, "CANCELLED")
    assert "method=CANCEL" in mail.outbox[-1].attachments[0][2]
    with pytest.raises(Refused, match="cancelled"):
        svc.register(actor(world, "tamsin"), workshop_pk=workshop.pk)


def test_bad_workshop_input_is_refused(world: Any) -> None:
    with pytest.raises(Refused, match="time zone"):
        _workshop(world, time_zone="Mars/Olympus")
    starts = timezone.now() + dt.timedelta(days=1)
    with pytest.raises(Refused, match="end after"):
        _workshop(world, starts_at=starts, ends_at=starts)
    with pytest.raises(NotYours):  # not the host: the same 404 as a missing workshop
        svc.workshop_cancel(actor(world, "theo"), workshop_pk=_workshop(world).pk)


def test_attendance_counts_as_live_didactic_hours_with_the_topics(world: Any) -> None:
    workshop = _workshop(world, capacity=3)
    for name in ("toby", "theo"):
        svc.register(actor(world, name), workshop_pk=workshop.pk)
    with pytest.raises(Refused, match="once the workshop has started"):
        svc.attendance_take(
            actor(world, "sam"), workshop_pk=workshop.pk, present_user_ids=[world.users["toby"].pk]
        )
    with time_machine.travel(workshop.starts_at + dt.timedelta(minutes=100)):
        svc.attendance_take(
            actor(world, "sam"), workshop_pk=workshop.pk, present_user_ids=[world.users["toby"].pk]
        )
    hours = earned_hours(world.users["toby"])
    assert [(h.kind, h.minutes, h.topics, h.source) for h in hours] == [
        ("didactic_live", 90, ("co.integration",), "community.workshop")
    ]
    assert hours[0].occurred_on == workshop.starts_at.astimezone(dt.timezone(dt.timedelta(hours=-7))).date()
    assert earned_hours(world.users["theo"]) == []


def test_the_private_feed_lists_my_workshops_until_revoked(world: Any) -> None:
    workshop = _workshop(world)
    svc.register(actor(world, "theo"), workshop_pk=workshop.pk)
    theo = signed_in_client(world.users["theo"])
    page = theo.post(reverse("community:calendar_feed_manage"), {"action": "create"})
    feed_url = page.context["feed_url"]
    feed = HttpClient().get(feed_url)
    assert feed.status_code == 200
    assert [str(e["UID"]) for e in Calendar.from_ical(feed.content).walk("VEVENT")] == [workshop.uid]
    theo.post(reverse("community:calendar_feed_manage"), {"action": "revoke"})
    assert HttpClient().get(feed_url).status_code == 404
    assert HttpClient().get(reverse("community:calendar_feed", args=["not-a-token"])).status_code == 404


def test_another_organization_gets_404_audited(world: Any) -> None:
    workshop = _workshop(world)
    with pytest.raises(NotYours):
        svc.register(actor(world, "olive"), workshop_pk=workshop.pk)
    page = signed_in_client(world.users["olive"]).get(reverse("community:workshop", args=[workshop.pk]))
    assert page.status_code == 404
    assert AuditEvent.objects.filter(action__startswith="workshop.", outcome="denied").count() == 2
    assert not Registration.objects.exists()


def test_the_pages_register_and_join_the_waitlist(world: Any) -> None:
    workshop = _workshop(world, capacity=1)
    url = reverse("community:workshop_register", args=[workshop.pk])
    signed_in_client(world.users["theo"]).post(url)
    tamsin = signed_in_client(world.users["tamsin"])
    tamsin.post(url)
    page = tamsin.get(reverse("community:workshop", args=[workshop.pk])).content.decode()
    assert "On the waitlist" in page
    again = tamsin.post(url, follow=True).content.decode()
    assert "already registered or on the waitlist" in again


def test_reminders_go_once_to_everyone_registered_within_a_day(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    soon = _workshop(
        world,
        starts_at=timezone.now() + dt.timedelta(hours=5),
        ends_at=timezone.now() + dt.timedelta(hours=6),
    )
    later = _workshop(world)  # in three days
    for workshop in (soon, later):
        svc.register(actor(world, "theo"), workshop_pk=workshop.pk)
    with django_capture_on_commit_callbacks(execute=True):
        assert svc.reminders_send() == 1
        assert svc.reminders_send() == 0
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["theo@test.example"], "Reminder: Integration skills")
    ]


def test_the_feed_keeps_a_cancelled_workshop_as_cancelled_and_drops_a_cancelled_registration(
    world: Any,
) -> None:
    kept, left = _workshop(world), _workshop(world, title="Left early")
    for workshop in (kept, left):
        svc.register(actor(world, "theo"), workshop_pk=workshop.pk)
    svc.registration_cancel(actor(world, "theo"), workshop_pk=left.pk)
    svc.workshop_cancel(actor(world, "sam"), workshop_pk=kept.pk)
    token = svc.feed_create(actor(world, "theo"))
    feed = Calendar.from_ical(HttpClient().get(reverse("community:calendar_feed", args=[token])).content)
    assert [(str(e["UID"]), str(e["STATUS"]), int(e["SEQUENCE"])) for e in feed.walk("VEVENT")] == [
        (kept.uid, "CANCELLED", 1)
    ]
