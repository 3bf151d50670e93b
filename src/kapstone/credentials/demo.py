"""Demo certificates (fictional): the demo trainee holds a valid KAP certificate, and a second
fictional trainee holds one that was revoked. Called by the demo loader (kapstone.tooling.demo);
the ledgers behind them are complete, verified and obviously made up."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from kapstone.accounts.models import Membership, Organization, Role, User
from kapstone.clients.models import Client
from kapstone.core.actor import Actor
from kapstone.credentials.services import credential_issue, credential_set_status
from kapstone.practicum.core import shipped_sets
from kapstone.practicum.models import Fact, LedgerEntry, Program, Supervision

KAP = "kap_certificate"
FACTS = ("kap.modules_complete", "kap.retreat", "kap.reflection_paper", "kap.consultant_letter")


def _complete_ledger(org: Organization, trainee: User, supervisor: User, clients: list[Client]) -> None:
    now = timezone.now()
    base = {
        "organization": org,
        "trainee": trainee,
        "supervisor": supervisor,
        "status": "verified",
        "reviewed_by": supervisor,
        "reviewed_at": now,
    }
    start = timezone.localdate() - dt.timedelta(days=300)
    rows = [
        LedgerEntry(
            kind="group_consultation",
            minutes=120,
            group_size=5,
            description="Demo group consultation",
            occurred_on=start + dt.timedelta(days=7 * i),
            **base,
        )
        for i in range(12)
    ]
    rows += [
        LedgerEntry(
            kind="individual_consultation",
            minutes=60,
            description="Demo consultation",
            occurred_on=start + dt.timedelta(days=7 * i + 3),
            **base,
        )
        for i in range(12)
    ]
    rows += [
        LedgerEntry(
            kind="led_under_supervision",
            minutes=240,
            session_kind="administration",
            client=clients[i % len(clients)],
            description="Demo KAP session",
            occurred_on=start + dt.timedelta(days=10 * i + 1),
            **base,
        )
        for i in range(18)
    ]
    LedgerEntry.objects.bulk_create(rows)
    for fact in FACTS:
        Fact.objects.create(organization=org, trainee=trainee, fact=fact, value=True, recorded_by=supervisor)


def seed_certificates(org: Organization, people: dict[str, User], *, password: str, domain: str) -> None:
    Program.objects.get_or_create(
        organization=org, defaults={"enabled_sets": shipped_sets().ids(), "certificate_set": KAP}
    )
    second = User.objects.filter(email=f"trainee2@{domain}").first() or User.objects.create_user(
        f"trainee2@{domain}", password, full_name="Tess Trainee (demo)"
    )
    Membership.objects.get_or_create(user=second, organization=org, role=Role.TRAINEE)
    supervisor = people["supervisor"]
    clients = list(Client.objects.filter(organization=org).order_by("pk")[:3])
    while len(clients) < 3:  # three different clients, as the KAP set asks
        clients.append(
            Client.objects.create(organization=org, given_name=f"Demo{len(clients)}", family_name="Fictional")
        )
    sam = Actor(user=supervisor, organization=org, roles=frozenset({Role.SUPERVISOR}))
    admin = Actor(user=people["admin"], organization=org, roles=frozenset({Role.ORG_ADMIN}))
    for trainee in (people["trainee"], second):
        Supervision.objects.get_or_create(organization=org, supervisor=supervisor, trainee=trainee)
        _complete_ledger(org, trainee, supervisor, clients)
        credential = credential_issue(sam, trainee_id=trainee.pk, set_id=KAP)
        if trainee is second:
            credential_set_status(
                admin,
                code=credential.code,
                status="revoked",
                reason="Demo: revoked to show what a verifier sees",
            )
