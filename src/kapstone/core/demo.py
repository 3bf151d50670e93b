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
from kapstone.core.actor import SYSTEM, Actor

DEMO_SLUG = "larkspur-demo"
# Printed on purpose: the demo is fictional, and `kapstone demo` is refused in production.
DEMO_PASSWORD = "larkspur-demo-only-2026"  # noqa: S105
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
# Who is on a client's care team, by demo person, with their role on that team.
FULL_TEAM = {key: key for key in ("therapist", "prescriber", "trainee", "supervisor")}
# (given, family, pronouns, care team keys with their team roles)
CLIENTS = (
    ("Rowan", "Fictional", "they/them", FULL_TEAM),
    ("Sky", "Placeholder", "she/her", FULL_TEAM),
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
            defaults={
                "name": "Larkspur Demo Clinic & Training Program",
                "kind": Organization.Kind.BOTH,
                "is_demo": True,
            },
        )
        people: dict[str, User] = {}
        sign_ins: list[DemoSignIn] = []
        for person in STAFF:
            user = User.objects.filter(email=email_for(person.key)).first()
            if user is None:
                user = User.objects.create_user(
                    email_for(person.key), DEMO_PASSWORD, full_name=person.full_name
                )
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
            _demo_measures(org, people)
    return sign_ins


# Fictional weekly PHQ-9 and GAD-7 totals, spread over the items: Rowan improves steadily, Sky a
# little, Quinn not at all (so the caseload shows every kind of trend).
DEMO_TRAJECTORIES = {
    "Rowan": ((18, 13), (16, 12), (13, 10), (11, 8), (8, 6), (6, 5)),
    "Sky": ((14, 11), (14, 10), (12, 10), (11, 9), (11, 8), (10, 8)),
    "Quinn": ((9, 7), (10, 8), (9, 8), (11, 9), (10, 9), (11, 10)),
}


def _spread(total: int, item_ids: list[str]) -> dict[str, int]:
    """Answers 0-3 summing to ``total``, filled item by item; never a suicidality answer (item 9)."""
    answers = dict.fromkeys(item_ids, 0)
    remaining = total
    for item_id in item_ids:
        if item_id == "phq9_9":
            continue
        answers[item_id] = min(3, remaining)
        remaining -= answers[item_id]
    return answers


def _demo_measures(org: Organization, people: dict[str, User]) -> None:
    from datetime import timedelta

    from kapstone.measures.scoring import default_registry
    from kapstone.measures.services import response_submit

    registry = default_registry()
    phq9, gad7 = registry.get("phq9"), registry.get("gad7")
    phq9_items = [item.id for item in phq9.items if item.scored]
    gad7_items = [item.id for item in gad7.items if item.scored]
    extra = {item.id: 1 for item in phq9.items if not item.scored}  # the difficulty item
    therapist = Actor(user=people["therapist"], organization=org, roles=frozenset({Role.THERAPIST}),
                      request_id="demo")  # fmt: skip
    now = timezone.now()
    for client in Client.objects.filter(organization=org, given_name__in=DEMO_TRAJECTORIES):
        weeks = DEMO_TRAJECTORIES[client.given_name]
        for index, (phq, gad) in enumerate(weeks):
            when = now - timedelta(weeks=len(weeks) - index)
            answers = {**_spread(phq, phq9_items), **extra}
            if client.given_name == "Quinn" and index == len(weeks) - 1:
                answers["phq9_9"] = 1  # opens a safety task, so the demo shows the care team's panel
            response_submit(therapist, client, "phq9", answers, administered_at=when)
            response_submit(therapist, client, "gad7", _spread(gad, gad7_items), administered_at=when)


def current_code(email: str) -> str | None:
    """The current TOTP code of a demo staff account (demo organization only), for trying the demo."""
    device = TOTPDevice.objects.filter(
        user__email=email.lower(), user__memberships__organization__slug=DEMO_SLUG
    ).first()
    return pyotp.TOTP(device.secret).now() if device else None
