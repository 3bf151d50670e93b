"""Mentorship: requests, the stable match with the mentor's acceptance, meeting hours."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from community_helpers import actor
from django.urls import reverse
from django.utils import timezone
from tests.conftest import signed_in_client

from kapstone.community import mentorship_services as svc
from kapstone.community.models import Mentorship, MentorshipRequest
from kapstone.community.selectors import earned_hours
from kapstone.core.contract import NotYours, Refused


def _mentors(world: Any) -> None:
    svc.profile_save(actor(world, "sam"), capacity=1, modalities=["ifs"], routes=["im"])
    svc.profile_save(actor(world, "theo"), capacity=1, modalities=["emdr"])


def test_matching_respects_preferences_and_capacity_and_the_mentor_accepts(world: Any) -> None:
    _mentors(world)
    sam, theo = world.users["sam"].pk, world.users["theo"].pk
    svc.request_create(
        actor(world, "toby"), wants="IM dosing sessions", preferences=[sam], modalities=["ifs"]
    )
    svc.request_create(actor(world, "tamsin"), wants="Integration", preferences=[sam, theo])
    made = svc.match_run(actor(world, "avery"))
    pairs = {(p.mentee.email.split("@")[0], p.mentor.email.split("@")[0]) for p in made}
    assert pairs == {("toby", "sam"), ("tamsin", "theo")}  # Sam (capacity 1) ranks Toby higher by fit
    toby_pairing = Mentorship.objects.get(mentee=world.users["toby"])
    with pytest.raises(NotYours):  # only the mentor answers
        svc.mentorship_decide(actor(world, "toby"), mentorship_pk=toby_pairing.pk, accept=True)
    svc.mentorship_decide(actor(world, "sam"), mentorship_pk=toby_pairing.pk, accept=True)
    assert MentorshipRequest.objects.get(mentee=world.users["toby"]).status == "matched"
    assert svc.match_run(actor(world, "avery")) == []  # nobody open, Sam is full


def test_a_declined_request_returns_to_the_pool_without_that_mentor(world: Any) -> None:
    _mentors(world)
    svc.request_create(actor(world, "toby"), wants="Anything", preferences=[world.users["sam"].pk])
    first = svc.match_run(actor(world, "sam"))[0]
    svc.mentorship_decide(actor(world, "sam"), mentorship_pk=first.pk, accept=False)
    second = svc.match_run(actor(world, "sam"))
    assert [p.mentor_id for p in second] == [world.users["theo"].pk]


def test_a_second_open_request_and_unknown_mentors_are_refused(world: Any) -> None:
    _mentors(world)
    with pytest.raises(Refused, match="organization's list"):
        svc.request_create(actor(world, "toby"), wants="x", preferences=[world.users["olive"].pk])
    svc.request_create(actor(world, "toby"), wants="x")
    with pytest.raises(Refused, match="already have an open request"):
        svc.request_create(actor(world, "toby"), wants="y")


def test_logged_meetings_count_as_individual_consultation_for_the_mentee(world: Any) -> None:
    _mentors(world)
    svc.request_create(actor(world, "toby"), wants="x", preferences=[world.users["sam"].pk])
    pairing = svc.match_run(actor(world, "avery"))[0]
    today = timezone.localdate()
    with pytest.raises(Refused, match="active mentorship"):
        svc.meeting_log(
            actor(world, "toby"), mentorship_pk=pairing.pk, occurred_on=today, minutes=50, topic="Set-up"
        )
    svc.mentorship_decide(actor(world, "sam"), mentorship_pk=pairing.pk, accept=True)
    with pytest.raises(Refused, match="after it happened"):
        svc.meeting_log(
            actor(world, "toby"),
            mentorship_pk=pairing.pk,
            occurred_on=today + dt.timedelta(days=2),
            minutes=50,
            topic="x",
        )
    svc.meeting_log(
        actor(world, "toby"), mentorship_pk=pairing.pk, occurred_on=today, minutes=50, topic="Set-up"
    )
    hours = [h for h in earned_hours(world.users["toby"]) if h.source == "community.mentorship"]
    assert [(h.kind, h.minutes, h.supervisor_id) for h in hours] == [
        ("individual_consultation", 50, world.users["sam"].pk)
    ]
    assert earned_hours(world.users["sam"]) == []
    for name in ("tamsin", "olive"):
        page = signed_in_client(world.users[name]).get(
            reverse("community:mentorship_detail", args=[pairing.pk])
        )
        assert page.status_code == 404


def test_a_mentor_profile_with_an_unknown_time_zone_or_state_is_refused(world: Any) -> None:
    with pytest.raises(Refused, match="time zone"):
        svc.profile_save(actor(world, "sam"), capacity=1, time_zone="Atlantis/Central")
    with pytest.raises(Refused, match="state codes"):
        svc.profile_save(actor(world, "sam"), capacity=1, states=["CO", "Colorado"])
    with pytest.raises(Refused, match="between 0 and 20"):
        svc.profile_save(actor(world, "sam"), capacity=99)
    profile = svc.profile_save(
        actor(world, "sam"), capacity=2, states=["co", " or"], time_zone="America/Denver"
    )
    assert profile.states == "|CO|OR|"
