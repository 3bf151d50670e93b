"""The side navigation (issue #12 item 1): links by section, each derived from the policy; a
capability app's home found from its URL namespace without an entry in the list."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import get_script_prefix, set_script_prefix

from kapstone.core.actor import Actor
from kapstone.shell.navigation import NAV, nav_sections

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


def test_the_dosing_section_lists_live_and_todays_sessions_for_those_who_may_monitor(
    world: Any, as_user: Any
) -> None:
    """Derived from the policy (dosing.record): the care team's therapist and prescriber see
    Rowan's live session; a colleague outside the team sees none; the admin gets no Dosing section."""
    from django.urls import reverse
    from tests.care.care_helpers import started
    from tests.readiness_helpers import make_ready

    make_ready(world)
    session = started(world)
    room = reverse("care:dosing", kwargs={"pk": session.pk})
    for name, role in (("theo", "therapist"), ("priya", "prescriber")):
        assert sections(world, name, role)["Dosing"] == ["Rowan F., live now"]
    assert sections(world, "tamsin", "therapist")["Dosing"] == ["No dosing sessions today"]
    assert "Dosing" not in sections(world, "avery", "org_admin")
    assert "Dosing" not in sections(world, "sam", "supervisor")

    page = as_user("theo").get("/dashboard/").content.decode()
    assert f'<a href="{room}">Rowan F., live now</a>' in page
    other = as_user("tamsin").get("/dashboard/").content.decode()
    assert room not in other and '<li class="nav-note">No dosing sessions today</li>' in other


def test_links_resolved_once_per_process_follow_the_script_prefix_and_the_roles(world: Any) -> None:
    """The side navigation resolves its links once per process (issue #18): a second role still
    gets only its own links, and a site served under a path prefix gets links under that prefix."""
    supervisor = Actor(user=world.users["sam"], organization=world.org_a, roles=frozenset({"supervisor"}))
    therapist = Actor(user=world.users["theo"], organization=world.org_a, roles=frozenset({"therapist"}))
    first = {item.label: item.url for s in nav_sections(supervisor) for item in s.items}
    assert first["Notes to co-sign"] == "/notes/cosign/"
    again = {item.label: item.url for s in nav_sections(therapist) for item in s.items}
    assert "Notes to co-sign" not in again and again["Caseload"] == "/measures/caseload/"
    before = get_script_prefix()
    set_script_prefix("/kap/")
    try:
        prefixed = {item.label: item.url for s in nav_sections(supervisor) for item in s.items}
    finally:
        set_script_prefix(before)
    assert prefixed["Notes to co-sign"] == "/kap/notes/cosign/"
    assert {item.label: item.url for s in nav_sections(supervisor) for item in s.items} == first
