"""Role desks (issue #12 item 1): each role's queues with counts and ages, scoped to the person —
another therapist, and another organization's member, never see them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from tests.notes.notes_helpers import draft, signed_note
from tests.readiness_helpers import record_intake, submit_screening

from kapstone.accounts.models import Invitation
from kapstone.measures.models import SafetyTask
from kapstone.shell.desk import age

pytestmark = pytest.mark.django_db


def queue(html: str, role: str, key: str) -> str:
    start = html.index(f'id="queue-{role}-{key}"')
    return html[start : html.index("</section>", start)]


def test_age_reads_in_the_largest_whole_unit() -> None:
    now = timezone.now()
    assert age(now - timedelta(seconds=20), now) == "1 min"
    assert age(now - timedelta(minutes=12), now) == "12 min"
    assert age(now - timedelta(hours=5), now) == "5 h"
    assert age(now - timedelta(days=3, hours=2), now) == "3 days"


def test_the_therapists_desk_counts_safety_tasks_by_level_and_drafts_to_sign(
    world: Any, as_user: Any
) -> None:
    SafetyTask.objects.create(
        organization=world.org_a, client=world.clients["rowan"], instrument_id="phq9", instrument_version="1",
        flag_id="phq9_item9", severity="safety", message="PHQ-9 item 9 answered 2", source="clinician",
        level="moderate", opened_at=timezone.now() - timedelta(hours=5),
    )  # fmt: skip
    draft(world, "theo")

    html = as_user("theo").get("/dashboard/").content.decode()
    safety = queue(html, "therapist", "safety")
    assert 'aria-label="1 waiting"' in safety and "Moderate risk: 1" in safety and "Rowan" in safety
    assert "Oldest waiting 5 h" in safety
    drafts = queue(html, "therapist", "drafts")
    assert 'aria-label="1 waiting"' in drafts
    assert "Today&#x27;s sessions" in html or "Today's sessions" in html
    assert "Questionnaires due" in html

    other = as_user("tamsin").get("/dashboard/").content.decode()  # not on Rowan's care team
    assert 'aria-label="0 waiting"' in queue(other, "therapist", "safety") and "Rowan" not in other
    olive = as_user("olive").get("/dashboard/").content.decode()
    assert "Rowan" not in olive and 'aria-label="0 waiting"' in queue(olive, "therapist", "safety")


def test_the_prescribers_desk_lists_the_clearance_waiting_for_them(world: Any, as_user: Any) -> None:
    record_intake(world)
    evaluation = submit_screening(world)
    html = as_user("priya").get("/dashboard/").content.decode()
    clearances = queue(html, "prescriber", "clearances")
    assert 'aria-label="1 waiting"' in clearances and f"/screening/{evaluation.pk}/" in clearances
    assert "Doses waiting for your justification" in html and "Open dosing-room alerts" in html
    assert "Clearances to decide" not in as_user("theo").get("/dashboard/").content.decode()


def test_the_supervisors_desk_lists_notes_to_cosign(world: Any, as_user: Any) -> None:
    note = signed_note(world, "toby")  # a trainee's note waits for the supervisor
    html = as_user("sam").get("/dashboard/").content.decode()
    cosign = queue(html, "supervisor", "cosign")
    assert 'aria-label="1 waiting"' in cosign and f"/notes/{note.pk}/" in cosign


def test_the_admins_desk_shows_members_invitations_and_what_to_configure(world: Any, as_user: Any) -> None:
    Invitation.objects.create(
        organization=world.org_a, email="new.person@example.test", role="therapist", token_hash="x" * 64,
        invited_by=world.users["avery"], expires_at=timezone.now() + timedelta(days=7),
        created_at=timezone.now() - timedelta(days=3),
    )  # fmt: skip
    html = as_user("avery").get("/dashboard/").content.decode()
    invitations = queue(html, "org_admin", "invitations")
    assert "new.person@example.test as Therapist" in invitations and "3 days" in invitations
    members = queue(html, "org_admin", "members")
    assert 'aria-label="6 waiting"' in members and "Therapist: 2" in members
    configuration = queue(html, "org_admin", "configuration")
    assert "Choose the clinic&#x27;s time zone" in configuration
    assert "Install the KAP protocols" in configuration and "/care/protocols/" in configuration

    world.org_a.time_zone = "America/Denver"
    world.org_a.save()
    from tests.care.care_helpers import protocol

    protocol(world)  # the shipped protocols installed
    html = as_user("avery").get("/dashboard/").content.decode()
    assert "time zone" not in queue(html, "org_admin", "configuration")
    assert "Nothing left to configure." in queue(html, "org_admin", "configuration")
    assert "new.person" not in as_user("theo").get("/dashboard/").content.decode()
