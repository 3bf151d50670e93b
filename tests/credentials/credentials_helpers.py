"""A trainee whose ledger meets the KAP certificate set, and the actors of the credentials tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from kapstone.core.actor import Actor

ROLES = {
    "avery": "org_admin",
    "sam": "supervisor",
    "toby": "trainee",
    "theo": "therapist",
    "olive": "therapist",
}
KAP = "kap_certificate"
FACTS = ("kap.modules_complete", "kap.retreat", "kap.reflection_paper", "kap.consultant_letter")


def actor(world: Any, name: str) -> Actor:
    org = world.org_b if name == "olive" else world.org_a
    return Actor(user=world.users[name], organization=org, roles=frozenset({ROLES[name]}))


def complete_kap_ledger(world: Any, trainee: str = "toby") -> Any:
    """Verified entries and recorded facts that meet every requirement of the KAP certificate set."""
    from kapstone.clients.models import Client
    from kapstone.practicum.models import Fact, LedgerEntry, Program, Supervision

    Program.objects.get_or_create(
        organization=world.org_a, defaults={"enabled_sets": [KAP], "certificate_set": KAP}
    )
    Supervision.objects.get_or_create(
        organization=world.org_a, supervisor=world.users["sam"], trainee=world.users[trainee]
    )
    third, _ = Client.objects.get_or_create(
        organization=world.org_a, given_name="Quill", family_name="Madeup"
    )
    clients = [world.clients["rowan"], world.clients["harper"], third]
    base = {
        "organization": world.org_a,
        "trainee": world.users[trainee],
        "supervisor": world.users["sam"],
        "status": "verified",
        "reviewed_by": world.users["sam"],
        "reviewed_at": timezone.now(),
    }
    day = dt.date(2026, 1, 1)
    rows = [
        LedgerEntry(
            kind="group_consultation", minutes=120, group_size=5, occurred_on=day + dt.timedelta(i), **base
        )
        for i in range(12)
    ]
    rows += [
        LedgerEntry(kind="individual_consultation", minutes=60, occurred_on=day + dt.timedelta(i), **base)
        for i in range(12)
    ]
    rows += [
        LedgerEntry(
            kind="led_under_supervision",
            minutes=240,
            session_kind="administration",
            client=clients[i % 3],
            occurred_on=day + dt.timedelta(20 + i),
            **base,
        )
        for i in range(18)
    ]
    LedgerEntry.objects.bulk_create(rows)
    for fact in FACTS:
        Fact.objects.create(
            organization=world.org_a,
            trainee=world.users[trainee],
            fact=fact,
            value=True,
            recorded_by=world.users["sam"],
        )
    return world.users[trainee]


def issue(world: Any, trainee: str = "toby") -> Any:
    from kapstone.credentials.services import credential_issue

    return credential_issue(actor(world, "sam"), trainee_id=world.users[trainee].pk, set_id=KAP)
