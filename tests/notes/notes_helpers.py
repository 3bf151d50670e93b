"""Helpers shared by the notes tests (the `world` personas live in tests/conftest.py)."""

from __future__ import annotations

from typing import Any

from kapstone.core.actor import Actor

ROLE = {
    "avery": "org_admin",
    "theo": "therapist",
    "tamsin": "therapist",
    "priya": "prescriber",
    "sam": "supervisor",
    "toby": "trainee",
    "olive": "therapist",
    "sol": "supervisor",
}

DAP = {
    "data": "Rowan reports sleeping better; PHQ-9 today 9.",
    "assessment": "Improving; no risk indicators.",
    "plan": "Integration session next week; repeat PHQ-9.",
}


def actor(world: Any, name: str) -> Actor:
    org = world.org_b if name == "olive" else world.org_a
    return Actor(
        user=world.users[name], organization=org, roles=frozenset({ROLE[name]}), request_id=f"test-{name}"
    )


def signed_note(world: Any, name: str = "theo", sections: dict[str, str] | None = None) -> Any:
    """A DAP note for Rowan, written and signed by ``name`` (a trainee's comes out pending co-sign)."""
    from kapstone.notes.services import draft_create, note_sign

    who = actor(world, name)
    note = draft_create(who, world.clients["rowan"], "dap", sections=sections or DAP)
    return note_sign(who, note, expected_version=note.version)


def draft(world: Any, name: str = "theo", sections: dict[str, str] | None = None) -> Any:
    from kapstone.notes.services import draft_create

    return draft_create(actor(world, name), world.clients["rowan"], "dap", sections=sections)


def add_supervisor(world: Any, name: str = "sol", *, on_rowans_team: bool = False) -> Any:
    """Another supervisor in organization A (not on Rowan's care team unless asked)."""
    from kapstone.accounts.models import Membership, Role, User
    from kapstone.clients.models import CareTeamMember

    user = User.objects.create_user(
        f"{name}@test.example",
        world.password or "correct horse battery staple 42",
        full_name=f"{name.title()} Test",
    )
    Membership.objects.create(user=user, organization=world.org_a, role=Role.SUPERVISOR)
    if on_rowans_team:
        CareTeamMember.objects.create(client=world.clients["rowan"], user=user, team_role="supervisor")
    world.users[name] = user
    return user


def editor_post(note: Any, sections: dict[str, str], *, version: int, action: str = "save") -> dict[str, Any]:
    return {"version": version, "action": action, **{f"section_{k}": v for k, v in sections.items()}}
