"""Shared helpers of the community tests."""

from __future__ import annotations

from typing import Any

from kapstone.core.actor import Actor

ROLES = {
    "avery": "org_admin",
    "theo": "therapist",
    "tamsin": "therapist",
    "priya": "prescriber",
    "sam": "supervisor",
    "toby": "trainee",
    "olive": "therapist",
}


def actor(world: Any, name: str) -> Actor:
    org = world.org_b if name == "olive" else world.org_a
    return Actor(user=world.users[name], organization=org, roles=frozenset({ROLES[name]}))


def listing_for(world: Any, name: str, **overrides: Any) -> Any:
    from kapstone.community.directory_services import listing_save

    values: dict[str, Any] = {
        "kind": "practitioner",
        "display_name": f"{name.title()} Test, LMFT",
        "state": "CO",
        "city": "Denver",
        "routes": ["sublingual", "im"],
        "modalities": ["ifs"],
        "telehealth": True,
        "accepting": True,
        "opted_in": True,
    }
    values.update(overrides)
    return listing_save(actor(world, name), **values)
