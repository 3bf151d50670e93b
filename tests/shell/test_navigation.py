"""The side navigation (issue #12 item 1): links by section, each derived from the policy; a
capability app's home found from its URL namespace without an entry in the list."""

from __future__ import annotations

from typing import Any

import pytest

from kapstone.core.actor import Actor
from kapstone.core.navigation import NAV, nav_sections

pytestmark = pytest.mark.django_db


def sections(world: Any, name: str, role: str) -> dict[str, list[str]]:
    org = world.org_b if name == "olive" else world.org_a
    actor = Actor(user=world.users[name], organization=org, roles=frozenset({role}))
    return {s.title: [item.label for item in s.items] for s in nav_sections(actor)}


def test_each_role_sees_its_sections_in_order(world: Any) -> None:
    admin = sections(world, "avery", "org_admin")
    assert list(admin)[:2] == ["Desk", "Clients"] and list(admin)[-1] == "Admin"
    configuration = {"Members", "Audit log", "Instruments", "Consent form", "Organization settings"}
    assert configuration <= set(admin["Admin"])
    assert "Notes" not in admin and "Dosing" not in admin

    supervisor = sections(world, "sam", "supervisor")
    assert supervisor["Notes"] == ["Notes to co-sign"] and "Admin" not in supervisor
    therapist = sections(world, "theo", "therapist")
    assert "Notes to co-sign" not in sum(therapist.values(), [])
    assert "Organization settings" not in sum(therapist.values(), [])


def test_a_capability_apps_home_is_found_from_its_namespace(world: Any) -> None:
    listed = {item.url_name for item in NAV}
    assert "community:home" not in listed  # nobody wrote it down ...
    therapist = sections(world, "theo", "therapist")
    assert "Community" in therapist.get("Community", [])  # ... and it is there, under its section


def test_the_page_shows_the_side_navigation_and_a_portal_client_gets_none(world: Any, as_user: Any) -> None:
    html = as_user("sam").get("/dashboard/").content.decode()
    assert '<nav class="side-nav" aria-label="Main">' in html and "Notes to co-sign" in html
    assert 'href="/dashboard/" aria-current="page">Desk</a>' in html
    portal = as_user("rowan_portal").get("/portal/").content.decode()
    assert "side-nav" not in portal and "Desk" not in portal
