"""Issue #14's two figures: checking a trainee's ledger of 2,000 entries against every enabled
requirement set, and verifying a credential offline.

    KAPSTONE_ENV=test .venv/bin/python -m bench.practicum                # SQLite (in memory)
    KAPSTONE_ENV=test DATABASE_URL=postgresql://postgres@127.0.0.1:5432/kapstone \\
        .venv/bin/python -m bench.practicum                              # PostgreSQL (test_ database)

Builds a throw-away test database with one fictional trainee and N verified ledger entries of every
kind (topics, sessions, group sizes, clients), then times, over a number of rounds:
- ``core``: the pure checker alone over the ledger's lines, all three shipped sets;
- ``ledger``: the whole read the ledger page makes (entries from the database, derived sources,
  facts, the check of every set), without rendering;
- ``page``: the trainee's ledger page, rendered, through Django's test client;
- ``verify``: the offline verification of one signed credential (proof, key from the DID
  document, the OB 3.0 schema, dates, status list), as ``kapstone credential verify`` runs it.
Prints one JSON line with the median and p95 milliseconds of each. No test asserts a time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import Any

os.environ.setdefault("KAPSTONE_ENV", "test")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kapstone.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from kapstone.lib.hours import KINDS  # noqa: E402
from kapstone.practicum.models import LedgerEntry  # noqa: E402

TOPICS = ("co.ethics", "co.health", "co.touch", "co.trauma", "co.integration", "co.screening")


def _timed(fn: Callable[[], object], rounds: int) -> dict[str, float]:
    fn()  # warm up
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "runs": rounds,
        "median_ms": round(statistics.median(times), 3),
        "p95_ms": round(times[max(int(len(times) * 0.95) - 1, 0)], 3),
    }


def ledger_entries(
    org: Any,
    trainee: Any,
    supervisor: Any,
    clients: Sequence[Any],
    count: int,
    *,
    now: dt.datetime,
    pending: int = 0,
    seed: int = 14,
) -> list[LedgerEntry]:
    """``count`` fictional ledger entries of every kind (topics, sessions, group sizes, clients), the
    last ``pending`` of them waiting for ``supervisor``'s verification, the rest verified. Unsaved:
    the caller bulk-creates them (also used by ``make bench`` to seed its ``ledger`` and ``desk``)."""
    rng = random.Random(seed)  # noqa: S311 - fictional bench data, not secrets
    rows = []
    for i in range(count):
        kind = rng.choice(KINDS)
        session = kind in ("observed_session", "co_facilitated_session", "led_under_supervision")
        verified = i < count - pending
        rows.append(
            LedgerEntry(
                organization=org,
                trainee=trainee,
                supervisor=supervisor,
                kind=kind,
                minutes=rng.randint(30, 240),
                occurred_on=dt.date(2024, 1, 1) + dt.timedelta(days=i % 700),
                status="verified" if verified else "pending",
                reviewed_by=supervisor if verified else None,
                reviewed_at=now if verified else None,
                topics=rng.sample(TOPICS, rng.randint(0, 2)) if kind.startswith("didactic") else [],
                online=rng.choice((True, False, None)) if kind == "didactic_live" else None,
                group_size=rng.randint(2, 8) if kind == "group_consultation" else None,
                session_kind=rng.choice(("preparation", "administration", "integration")) if session else "",
                client=rng.choice(clients) if session and clients else None,
                created_at=now,
            )
        )
    return rows


def _seed(entries: int) -> tuple[object, object]:
    from django.utils import timezone

    from kapstone.accounts.models import Membership, Organization, Role, User
    from kapstone.clients.models import CareTeamMember, Client
    from kapstone.practicum.models import Supervision

    org = Organization.objects.create(name="Bench Fictional Program", slug="bench-practicum", is_demo=True)
    trainee = User.objects.create_user("trainee@bench.example", "bench only", full_name="Bench Trainee")
    supervisor = User.objects.create_user(
        "supervisor@bench.example", "bench only", full_name="Bench Supervisor"
    )
    Membership.objects.create(user=trainee, organization=org, role=Role.TRAINEE)
    Membership.objects.create(user=supervisor, organization=org, role=Role.SUPERVISOR)
    Supervision.objects.create(organization=org, supervisor=supervisor, trainee=trainee)
    clients = [
        Client.objects.create(organization=org, given_name=f"Client{i}", family_name="Fictional")
        for i in range(12)
    ]
    for client in clients:
        CareTeamMember.objects.create(client=client, user=trainee, team_role="trainee")
    LedgerEntry.objects.bulk_create(
        ledger_entries(org, trainee, supervisor, clients, entries, now=timezone.now()), batch_size=500
    )
    return org, trainee


def _credential_files(org: object, trainee: object) -> tuple[dict, dict, dict]:
    from kapstone.credentials import keys, services
    from kapstone.credentials.vc import integrity, openbadge, statuslist

    key = keys.active_key(org)  # type: ignore[arg-type]
    award = openbadge.Award(
        credential_id="urn:uuid:00000000-0000-4000-8000-000000000014",
        issuer_did=keys.instance_did(),
        issuer_name="Bench Fictional Program",
        issuer_url=f"{keys.site_url()}/",
        holder_name="Bench Trainee",
        holder_email="trainee@bench.example",
        achievement_id=f"{keys.site_url()}/credentials/achievements/x/1/",
        title="Bench certificate",
        description="d",
        criteria="c",
        set_id="kap_certificate",
        set_version="1.0.0",
        set_title="KAP",
        totals={"Group consultation": 24.0},
        requirements_met=8,
        valid_from="2026-01-01T00:00:00Z",
        verify_url=f"{keys.site_url()}/verify/KAP-BENC-H001/",
        code="KAP-BENC-H001",
        status=statuslist.entry(list_url=services.status_list_url("bench-practicum"), index=12345),
    )
    credential = integrity.sign(
        openbadge.build(award),
        keys.private_key(key),
        verification_method=keys.verification_method(key),
        created="2026-01-01T00:00:00Z",
    )
    return credential, keys.did_document(), services.status_list_document(org.pk, "bench-practicum")  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()

    from tests.conftest import signed_in_client

    from kapstone.core.actor import Actor
    from kapstone.credentials.vc.verify import verify
    from kapstone.practicum import selectors
    from kapstone.practicum.core import check_set, shipped_sets

    setup_test_environment()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.KAPSTONE_CREDENTIAL_KEY_DIR = tempfile.mkdtemp(prefix="kapstone-bench-keys-")
    old_name = connection.creation.create_test_db(verbosity=0, keepdb=False)
    try:
        org, trainee = _seed(args.entries)
        actor = Actor(user=trainee, organization=org, roles=frozenset({"trainee"}))  # type: ignore[arg-type]
        _, _, view = selectors.check_trainee(trainee, org.pk)  # type: ignore[arg-type, attr-defined]
        rows = list(LedgerEntry.objects.filter(trainee=trainee).values(*selectors.LINE_FIELDS))
        lines = selectors.lines_of(rows, view.derived, org.pk)  # type: ignore[attr-defined]
        sets = shipped_sets().all()
        http = signed_in_client(trainee)
        assert http.get("/practicum/ledger/").status_code == 200
        credential, did_document, status_list = _credential_files(org, trainee)
        now = dt.datetime.now(dt.UTC)
        assert verify(credential, did_document=did_document, status_list=status_list, now=now).valid
        result = {
            "bench": "practicum",
            "database": connection.vendor,
            "entries": args.entries,
            "sets": len(sets),
            "core": _timed(lambda: [check_set(s, lines) for s in sets], args.rounds),
            "ledger": _timed(lambda: selectors.ledger(actor, trainee), args.rounds),  # type: ignore[arg-type]
            "page": _timed(lambda: http.get("/practicum/ledger/"), args.rounds),
            "verify": _timed(
                lambda: verify(credential, did_document=did_document, status_list=status_list, now=now),
                args.rounds * 10,
            ),
        }
        print(json.dumps(result))
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
