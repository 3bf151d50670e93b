"""The record learns what stands on it only through hooks registered in AppConfig.ready: the portal's
upcoming sessions come from the care module without the record importing it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from tests.care.care_helpers import actor, start_course

from kapstone.care import services
from kapstone.care.selectors import upcoming_sessions as care_upcoming
from kapstone.clients import hooks

pytestmark = pytest.mark.django_db


def test_the_care_module_registers_its_upcoming_sessions_with_the_record() -> None:
    assert care_upcoming in hooks._upcoming


def test_the_portal_lists_a_session_scheduled_in_the_care_module(world: Any, as_user: Any) -> None:
    course = start_course(world)
    when = (timezone.now() + timedelta(days=3)).replace(hour=10, minute=30, second=0, microsecond=0)
    services.session_schedule(actor(world, "theo"), course, "preparation", when)
    home = as_user("rowan_portal").get(reverse("portal:home")).content.decode()
    assert "None scheduled." not in home
    assert timezone.localtime(when).strftime("%H:%M") in home
    assert [s.scheduled_at for s in hooks.upcoming_sessions(world.clients["rowan"]) or []] == [when]


def test_without_a_provider_the_record_says_none_rather_than_guessing(world: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(hooks, "_upcoming", [])
    assert hooks.upcoming_sessions(world.clients["rowan"]) is None
