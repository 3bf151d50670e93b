"""Seed what the training and community hot paths read, on top of ``kapstone synth``'s database.

Run once per seeded bench database, right after synth (``python -m bench.seed_paths --seed S``); the
bench's cache key carries ``VERSION``, so a database seeded by an older version is seeded again.
Deterministic and obviously fictional:

- a ``Supervision`` (cohort 2025-09-01 to 2027-06-30) for every pair synth made of a trainee and the
  supervisor named on the trainee's care teams;
- a practicum ledger per synth trainee (``bench.practicum.ledger_entries``): the first trainee of
  the first organization (the ``ledger`` path's persona: the longest ledger) has ``LEDGER_ENTRIES``,
  every other trainee ``OTHER_ENTRIES``; the newest ``PENDING`` of each wait for the supervisor
  (the desk's queue);
- ``LISTINGS`` public directory listings (``kapstone.community.demo.bulk_listings``, 90 % opted in)
  in the first organization.

Prints what it wrote, one line per table, then one summary line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kapstone.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.practicum import ledger_entries  # noqa: E402
from kapstone.accounts.models import Organization, User  # noqa: E402
from kapstone.clients.models import CareTeamMember, Client  # noqa: E402
from kapstone.community.demo import bulk_listings  # noqa: E402
from kapstone.practicum.models import LedgerEntry, Supervision  # noqa: E402
from kapstone.tooling.synth import email_of  # noqa: E402

VERSION = "1"  # bump when the same seed would give other rows (keys the bench's database cache)
LEDGER_ENTRIES = 2_000
OTHER_ENTRIES = 300
PENDING = 12
LISTINGS = 10_000
COHORT = (dt.date(2025, 9, 1), dt.date(2027, 6, 30))


def seed(seed: int) -> list[str]:
    started = time.perf_counter()
    now = timezone.now()
    pairs = sorted(
        set(
            CareTeamMember.objects.filter(team_role="trainee", supervisor__isnull=False).values_list(
                "client__organization_id", "supervisor_id", "user_id"
            )
        )
    )
    assert pairs, "synth seeds trainees with clients (tier XS and up)"
    wanted = User.objects.filter(email=email_of(seed, "trainee", 1, 1)).values_list("pk", flat=True).first()
    first = wanted if any(t == wanted for _, _, t in pairs) else pairs[0][2]
    users = User.objects.in_bulk({u for _, s, t in pairs for u in (s, t)})
    orgs = Organization.objects.in_bulk({o for o, _, _ in pairs})
    entries = 0
    with transaction.atomic():
        Supervision.objects.bulk_create(
            Supervision(
                organization_id=org,
                supervisor_id=supervisor,
                trainee_id=trainee,
                starts_on=COHORT[0],
                ends_on=COHORT[1],
            )  # fmt: skip
            for org, supervisor, trainee in pairs
        )
        for n, (org, supervisor, trainee) in enumerate(pairs):
            clients = list(
                Client.objects.filter(care_team__user_id=trainee, care_team__team_role="trainee").order_by(
                    "pk"
                )
            )
            count = LEDGER_ENTRIES if trainee == first else OTHER_ENTRIES
            rows = ledger_entries(
                orgs[org], users[trainee], users[supervisor], clients, count, now=now, pending=PENDING, seed=n
            )
            LedgerEntry.objects.bulk_create(rows, batch_size=500)
            entries += count
        directory = Organization.objects.order_by("pk").first()
        assert directory is not None, "synth seeds at least one organization"
        bulk_listings(directory, LISTINGS)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE practicum_supervision, practicum_ledgerentry, community_listing")
    return [
        f"paths (bench.seed_paths v{VERSION}): supervision {len(pairs):,}, ledger entries {entries:,} "
        f"({LEDGER_ENTRIES:,} for {users[first].email}, {PENDING} pending per trainee), "
        f"directory listings {LISTINGS:,}; {time.perf_counter() - started:.1f} s",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    for line in seed(args.seed):
        print(line)


if __name__ == "__main__":
    main()
