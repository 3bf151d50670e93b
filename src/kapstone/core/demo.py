"""The demo organization: obviously fictional people, for trying Kapstone and for tests.

Idempotent: running it again changes nothing that exists and prints the sign-ins.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyotp
from django.db import transaction
from django.utils import timezone

from kapstone.accounts.models import Membership, Organization, Role, TOTPDevice, User
from kapstone.audit.services import record
from kapstone.clients.models import CareTeamMember, Client
from kapstone.core.actor import SYSTEM

DEMO_SLUG = "larkspur-demo"
DEMO_PASSWORD = "larkspur-demo-only-2026"  # printed on purpose: the demo is fictional and refused in production
DEMO_DOMAIN = "larkspur.example"  # RFC 2606: .example never reaches a real mailbox


@dataclass(frozen=True)
class DemoPerson:
    key: str
    full_name: str
    role: str


STAFF = (
    DemoPerson("admin", "Avery Admin (demo)", Role.ORG_ADMIN),
    DemoPerson("therapist", "Theo Therapist (demo)", Role.THERAPIST),
    DemoPerson("therapist2", "Tamsin Otherfield (demo)", Role.THERAPIST),
    DemoPerson("prescriber", "Priya Prescriber (demo)", Role.PRESCRIBER),
    DemoPerson("supervisor", "Sam Supervisor (demo)", Role.SUPERVISOR),
    DemoPerson("trainee", "Toby Trainee (demo)", Role.TRAINEE),
)
# (given, family, pronouns, care team keys with their team roles)
CLIENTS = (
    ("Rowan", "Fictional", "they/them", {"therapist": "therapist", "prescriber": "prescriber", "trainee": "trainee", "supervisor": "supervisor"}),
    ("Sky", "Placeholder", "she/her", {"therapist": "therapist", "prescriber": "prescriber", "trainee": "trainee", "supervisor": "supervisor"}),
    ("Quinn", "Madeup", "he/him", {"therapist": "therapist", "prescriber": "prescriber"}),
    ("Harper", "Notreal", "she/her", {"therapist2": "therapist", "prescriber": "prescriber"}),
    ("Morgan", "Sampleton", "they/them", {"therapist2": "therapist"}),
)  # fmt: skip
PORTAL_CLIENT = ("client", "Rowan Fictional (demo client)")


def email_for(key: str) -> str:
    return f"{key}@{DEMO_DOMAIN}"


@dataclass(frozen=True)
class DemoSignIn:
    email: str
    role: str
    totp_secret: str | None


def load_demo() -> list[DemoSignIn]:
    with transaction.atomic():
        org, created = Organization.objects.get_or_create(
            slug=DEMO_SLUG,
            defaults={"name": "Larkspur Demo Clinic & Training Program", "kind": Organization.Kind.BOTH, "is_demo": True},
        )
        people: dict[str, User] = {}
        sign_ins: list[DemoSignIn] = []
        for person in STAFF:
            user = User.objects.filter(email=email_for(person.key)).first()
            if user is None:
                user = User.objects.create_user(email_for(person.key), DEMO_PASSWORD, full_name=person.full_name)
            Membership.objects.get_or_create(user=user, organization=org, role=person.role)
            device, _ = TOTPDevice.objects.get_or_create(
                user=user, defaults={"secret": pyotp.random_base32(), "confirmed_at": timezone.now()}
            )
            people[person.key] = user
            sign_ins.append(DemoSignIn(user.email, str(Role(person.role).label), device.secret))
        portal = User.objects.filter(email=email_for(PORTAL_CLIENT[0])).first()
        if portal is None:
            portal = User.objects.create_user(
                email_for(PORTAL_CLIENT[0]), DEMO_PASSWORD, full_name=PORTAL_CLIENT[1], kind=User.Kind.CLIENT
            )
        sign_ins.append(DemoSignIn(portal.email, "Client (portal)", None))
        for index, (given, family, pronouns, team) in enumerate(CLIENTS):
            client, _ = Client.objects.get_or_create(
                organization=org, given_name=given, family_name=family,
                defaults={"pronouns": pronouns, "email": f"{given.lower()}.{family.lower()}@{DEMO_DOMAIN}",
                          "portal_user": portal if index == 0 else None},
            )
            for key, team_role in team.items():
                CareTeamMember.objects.get_or_create(client=client, user=people[key], team_role=team_role)
        if created:
            record(SYSTEM, "demo.load", object_type="organization", object_id=org.pk)
    return sign_ins


def current_code(email: str) -> str | None:
    """The current TOTP code of a demo staff account (demo organization only), for trying the demo."""
    device = TOTPDevice.objects.filter(
        user__email=email.lower(), user__memberships__organization__slug=DEMO_SLUG
    ).first()
    return pyotp.TOTP(device.secret).now() if device else None
