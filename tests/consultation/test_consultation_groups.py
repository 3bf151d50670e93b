"""Consultation groups through their pages: the admin makes one and adds members; the facilitator
records a meeting; others cannot."""

from __future__ import annotations

from typing import Any

import pytest

from kapstone.consultation.models import Attendance, ConsultationGroup, GroupMember, Meeting

pytestmark = pytest.mark.django_db


def make_group(world: Any, as_user: Any, **extra: str) -> ConsultationGroup:
    data = {"name": "Thursday group", "facilitator": world.users["sam"].pk, "max_members": "3",
            "minutes_per_case": "20", "schedule": "Thursdays 12:00", **extra}  # fmt: skip
    response = as_user("avery").post("/consultation/groups/new/", data)
    assert response.status_code == 302
    return ConsultationGroup.objects.get(name=data["name"])


def test_the_admin_makes_a_group_and_adds_members_up_to_its_size(world: Any, as_user: Any) -> None:
    g = make_group(world, as_user)
    assert g.facilitator == world.users["sam"] and g.max_members == 3
    avery = as_user("avery")
    for name in ("theo", "tamsin", "priya"):
        response = avery.post(
            f"/consultation/groups/{g.pk}/members/", {"user": world.users[name].pk}, follow=True
        )
    assert set(GroupMember.objects.filter(group=g).values_list("user__email", flat=True)) == {
        "sam@test.example",
        "theo@test.example",
        "tamsin@test.example",
    }
    assert "This group is full (3 members)." in response.content.decode()


def test_a_refused_group_keeps_what_was_typed(world: Any, as_user: Any) -> None:
    make_group(world, as_user)
    response = as_user("avery").post("/consultation/groups/new/", {
        "name": "Thursday group", "facilitator": world.users["sam"].pk, "max_members": "4",
        "minutes_per_case": "15", "schedule": "Fridays <b>9</b>"})  # fmt: skip
    assert response.status_code == 400
    html = response.content.decode()
    assert "A group with this name already exists." in html and "Fridays &lt;b&gt;9&lt;/b&gt;" in html
    assert ConsultationGroup.objects.count() == 1


def test_only_the_admin_makes_groups_and_only_in_their_organization(world: Any, as_user: Any) -> None:
    for name in ("theo", "sam", "olive"):
        assert as_user(name).post("/consultation/groups/new/", {"name": "x"}).status_code == 404
    g = make_group(world, as_user)
    olive = world.users["olive"]
    as_user("avery").post(f"/consultation/groups/{g.pk}/members/", {"user": olive.pk})
    assert not GroupMember.objects.filter(user=olive).exists()


def test_the_facilitator_records_a_meeting_with_attendance(world: Any, as_user: Any) -> None:
    g = make_group(world, as_user)
    as_user("avery").post(f"/consultation/groups/{g.pk}/members/", {"user": world.users["theo"].pk})
    meeting = {
        "held_on": "2026-11-20",
        "minutes": "75",
        "attendees": [world.users["sam"].pk, world.users["theo"].pk],
    }
    assert as_user("theo").post(f"/consultation/groups/{g.pk}/meetings/", meeting).status_code == 404
    assert not Meeting.objects.exists()
    assert as_user("sam").post(f"/consultation/groups/{g.pk}/meetings/", meeting).status_code == 302
    stored = Meeting.objects.get()
    assert stored.minutes == 75 and Attendance.objects.filter(meeting=stored).count() == 2
    future = {**meeting, "held_on": "2999-01-01"}
    response = as_user("sam").post(f"/consultation/groups/{g.pk}/meetings/", future)
    assert response.status_code == 400 and "after it took place" in response.content.decode()
    assert Meeting.objects.count() == 1
