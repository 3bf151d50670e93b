"""The supervision desk: notes awaiting co-sign, entries to verify and trainees at risk, with ages;
only the supervisor's own."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from practicum_helpers import actor, kap_session, log, supervise
from tests.conftest import signed_in_client

from kapstone.practicum.desk import desk_for

pytestmark = pytest.mark.django_db


def test_the_desk_lists_the_note_to_cosign_and_the_entry_to_verify_with_their_ages(world: Any) -> None:
    supervise(world)
    kap_session(world, cosign=False)
    entry = log(world, 90, description="Reading on integration")
    desk = desk_for(actor(world, "sam"))
    assert [i.label for i in desk.notes] == ["DAP note by Toby Test"] and desk.notes[0].age_days == 0
    assert [e.pk for e in desk.entries] == [entry.pk]
    html = signed_in_client(world.users["sam"]).get("/practicum/desk/").content.decode()
    assert "Reading on integration" in html and "waiting 0 days" in html


def test_a_trainee_behind_for_the_time_left_is_at_risk(world: Any) -> None:
    today = timezone.localdate()
    supervise(world, starts_on=today - dt.timedelta(days=300), ends_on=today + dt.timedelta(days=65))
    [item] = desk_for(actor(world, "sam")).at_risk
    assert item.label == "Toby Test" and "cohort ends in 65 days" in item.detail
    assert "Instruction across the 14 topic areas: 0 h of 150 h: 150 h missing" in item.detail


def test_a_trainee_early_in_the_cohort_is_not_at_risk(world: Any) -> None:
    today = timezone.localdate()
    supervise(world, starts_on=today - dt.timedelta(days=5), ends_on=today + dt.timedelta(days=360))
    assert desk_for(actor(world, "sam")).at_risk == []


def test_another_supervisors_desk_shows_none_of_it(world: Any) -> None:
    from tests.notes.notes_helpers import add_supervisor

    supervise(world)
    log(world, 90)
    add_supervisor(world, "sol")
    from kapstone.core.actor import Actor

    sol = Actor(user=world.users["sol"], organization=world.org_a, roles=frozenset({"supervisor"}))
    desk = desk_for(sol)
    assert desk.entries == [] and desk.notes == [] and desk.at_risk == []


def test_short_answers_waiting_for_this_supervisors_grade_are_on_the_desk(world: Any) -> None:
    from tests.training.training_support import actor as training_actor
    from tests.training.training_support import published_cohort

    from kapstone.training import services as training

    _, enrollment = published_cohort(world)  # Toby enrolled with Sam as supervisor
    attempt = training.quiz_submit(
        training_actor(world, "toby"), enrollment=enrollment, module_id="safety", number=1,
        answers={"s-1": ["0", "1"], "s-2": ["Check vital signs"]}, key="s",
    )  # fmt: skip
    desk = desk_for(actor(world, "sam"))
    assert desk.training_available
    [item] = desk.training
    assert item.label == "Short answers by Toby Test" and item.url == f"/training/attempts/{attempt.pk}/mark/"
    assert desk_for(actor(world, "avery")).training == []  # not the supervisor on that enrollment
