"""Shared fixtures: named personas in two organizations, and helpers to act as them.

Personas (fictional): in Larkspur (org A) — admin Avery, therapist Theo, other therapist Tamsin,
prescriber Priya, supervisor Sam, trainee Toby; in Otherbrook (org B) — therapist Olive.
Theo, Priya, Sam and Toby are on client Rowan's care team; Tamsin is on Harper's; Olive on Oona's.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client as HttpClient

os.environ.setdefault("KAPSTONE_ENV", "test")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop


@pytest.fixture(autouse=True)
def _fast_hashing(settings: object) -> None:
    # Argon2 is what production uses (see test_settings); tests hash thousands of times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


@dataclass
class World:
    org_a: object
    org_b: object
    users: dict[str, object]
    clients: dict[str, object]


PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def world(db: object) -> World:
    from kapstone.accounts.models import Membership, Organization, Role, User
    from kapstone.clients.models import CareTeamMember, Client

    org_a = Organization.objects.create(name="Larkspur Test Clinic", slug="larkspur-test", kind="both")
    org_b = Organization.objects.create(name="Otherbrook Test Clinic", slug="otherbrook-test", kind="clinic")
    spec = {
        "avery": (org_a, Role.ORG_ADMIN), "theo": (org_a, Role.THERAPIST), "tamsin": (org_a, Role.THERAPIST),
        "priya": (org_a, Role.PRESCRIBER), "sam": (org_a, Role.SUPERVISOR), "toby": (org_a, Role.TRAINEE),
        "olive": (org_b, Role.THERAPIST),
    }  # fmt: skip
    users = {}
    for name, (org, role) in spec.items():
        user = User.objects.create_user(f"{name}@test.example", PASSWORD, full_name=f"{name.title()} Test")
        Membership.objects.create(user=user, organization=org, role=role)
        users[name] = user
    users["rowan_portal"] = User.objects.create_user(
        "rowan@test.example", PASSWORD, full_name="Rowan Fictional", kind=User.Kind.CLIENT
    )
    rowan = Client.objects.create(organization=org_a, given_name="Rowan", family_name="Fictional",
                                  portal_user=users["rowan_portal"])
    harper = Client.objects.create(organization=org_a, given_name="Harper", family_name="Notreal")
    oona = Client.objects.create(organization=org_b, given_name="Oona", family_name="Elsewhere")
    for name, team_role in (("theo", "therapist"), ("priya", "prescriber"), ("sam", "supervisor"), ("toby", "trainee")):
        CareTeamMember.objects.create(client=rowan, user=users[name], team_role=team_role)
    CareTeamMember.objects.create(client=harper, user=users["tamsin"], team_role="therapist")
    CareTeamMember.objects.create(client=oona, user=users["olive"], team_role="therapist")
    return World(org_a, org_b, users, {"rowan": rowan, "harper": harper, "oona": oona})


def signed_in_client(user: object) -> HttpClient:
    """An HTTP client with a fully signed-in session for ``user`` (as after password + second factor)."""
    from kapstone.accounts.services import AUTH_AT, SEEN_AT

    http = HttpClient()
    http.force_login(user)  # type: ignore[arg-type]
    session = http.session
    session[AUTH_AT] = time.time()
    session[SEEN_AT] = time.time()
    session.save()
    return http


@pytest.fixture
def as_user(world: World) -> Callable[[str], HttpClient]:
    return lambda name: signed_in_client(world.users[name])
