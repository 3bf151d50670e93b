"""Seed a benchmark database: one clinic, one therapist with N clients x M responses each.

Run in its own process with KAPSTONE_VAR_DIR pointing at a scratch folder (python -m bench.seed).
Deterministic for a seed; obviously fictional names. Prints one JSON line with the session cookie
of the therapist, so the load driver can request pages as them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from datetime import UTC, datetime, timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kapstone.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.db import transaction  # noqa: E402

from bench.scoring import item_values  # noqa: E402
from kapstone.accounts.models import Membership, Organization, Role, User  # noqa: E402
from kapstone.accounts.services import AUTH_AT, SEEN_AT  # noqa: E402
from kapstone.clients.models import CareTeamMember, Client  # noqa: E402
from kapstone.measures.models import Response  # noqa: E402
from kapstone.measures.scoring import default_registry, score  # noqa: E402

INSTRUMENTS = ("phq9", "gad7", "pcl5")
GIVEN = ("Ash", "Bay", "Cove", "Dale", "Elm", "Fern", "Glen", "Heath", "Isle", "Jade")
FAMILY = ("Sample", "Madeup", "Fictional", "Placeholder", "Testwood", "Notreal")


def trajectory_answers(
    rng: random.Random, instrument, step: int, steps: int, responder: bool
) -> dict[str, int]:
    """Answers that drift down over time for responders and wander for the rest."""
    progress = step / max(1, steps - 1)
    level = (0.75 - (0.6 * progress if responder else 0.1 * progress)) + rng.uniform(-0.15, 0.15)
    answers = {}
    for item in instrument.items:
        values = item_values(item)
        if not item.scored:
            answers[item.id] = values[0]
            continue
        index = max(0, min(len(values) - 1, round(level * (len(values) - 1) + rng.uniform(-0.6, 0.6))))
        answers[item.id] = values[index]
    return answers


def seed(clients: int, responses: int, seed_value: int) -> dict[str, object]:
    rng = random.Random(seed_value)
    registry = default_registry()
    instruments = {i: registry.get(i) for i in INSTRUMENTS}
    started = time.perf_counter()
    with transaction.atomic():
        org = Organization.objects.create(name="Benchmark Fictional Clinic", slug=f"bench-{seed_value}")
        therapist = User.objects.create_user(
            "bench.therapist@bench.example", None, full_name="Bench Therapist"
        )
        Membership.objects.create(user=therapist, organization=org, role=Role.THERAPIST)
        people = Client.objects.bulk_create(
            Client(organization=org, given_name=rng.choice(GIVEN), family_name=f"{rng.choice(FAMILY)}-{n}")
            for n in range(clients)
        )
        CareTeamMember.objects.bulk_create(
            CareTeamMember(client=c, user=therapist, team_role="therapist") for c in people
        )
        now = datetime.now(UTC)
        rows = []
        for client in people:
            responder = rng.random() < 0.35
            for step in range(responses):
                instrument = instruments[INSTRUMENTS[step % len(INSTRUMENTS)]]
                answers = trajectory_answers(
                    rng, instrument, step // len(INSTRUMENTS), responses // 3, responder
                )
                result = score(instrument, answers)
                rows.append(Response(
                    organization=org, client=client, instrument_id=instrument.id,
                    instrument_version=instrument.version, answers=answers, result=result.to_dict(),
                    total=result.total, band=result.band or "", complete=result.complete,
                    administered_at=now - timedelta(days=7 * (responses - step)), source="clinician",
                    recorded_by=therapist,
                ))  # fmt: skip
            if len(rows) >= 5000:
                Response.objects.bulk_create(rows, batch_size=1000)
                rows = []
        Response.objects.bulk_create(rows, batch_size=1000)
    session = SessionStore()
    session[SESSION_KEY] = str(therapist.pk)
    session[BACKEND_SESSION_KEY] = "kapstone.accounts.backends.EmailBackend"
    session[HASH_SESSION_KEY] = therapist.get_session_auth_hash()
    session[AUTH_AT] = time.time()
    session[SEEN_AT] = time.time()
    session.create()
    return {
        "cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}",
        "clients": clients,
        "responses": clients * responses,
        "seconds": round(time.perf_counter() - started, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--responses", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(json.dumps(seed(args.clients, args.responses, args.seed)))


if __name__ == "__main__":
    main()
