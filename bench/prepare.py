"""Sign in the bench's personas on a seeded database and say which ids the load may use.

Run in its own process against the bench database (``python -m bench.prepare --seed S``). Prints one
JSON line: session cookies (therapist with 200 clients, the supervisor with the longest co-sign queue,
the trainee with the longest practicum ledger and the supervisor whose desk checks it),
the therapist's client ids, live dosing-session ids, the organization id, and a second therapist
whose clients take the recorded questionnaires: the read paths then see the same histories in every
run and at every tier (a write run adds thousands of responses, which would lengthen the charts and
exports being measured).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kapstone.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.db.models import Count  # noqa: E402

from kapstone.accounts.models import User  # noqa: E402
from kapstone.accounts.services import AUTH_AT, SEEN_AT  # noqa: E402
from kapstone.care.models import CareSession  # noqa: E402
from kapstone.clients.models import CareTeamMember  # noqa: E402
from kapstone.practicum.models import LedgerEntry, Supervision  # noqa: E402
from kapstone.tooling.synth import email_of  # noqa: E402


def session_cookie(user: User) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "kapstone.accounts.backends.EmailBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[AUTH_AT] = time.time()
    session[SEEN_AT] = time.time()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def prepare(seed: int) -> dict[str, object]:
    therapist = User.objects.get(email=email_of(seed, "therapist", 1, 1))
    writer = User.objects.get(email=email_of(seed, "therapist", 1, 2))
    org_id = therapist.memberships.get().organization_id

    def caseload(user: User) -> list[int]:
        rows = CareTeamMember.objects.filter(user=user, team_role="therapist")
        return list(rows.values_list("client_id", flat=True))

    live = list(
        CareSession.objects.filter(lead=therapist, status="in_progress", kind="dosing").values_list(
            "pk", flat=True
        )
    )
    busiest = (  # the supervisor on the most care teams (of trainees' clients) in the organization
        CareTeamMember.objects.filter(team_role="supervisor", client__organization_id=org_id)
        .values("user_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("user_id", flat=True)
        .first()
    )
    supervisor = User.objects.get(pk=busiest) if busiest else therapist
    longest = (  # the trainee with the longest practicum ledger (bench.seed_paths: 2,000 entries)
        LedgerEntry.objects.values("trainee_id").annotate(n=Count("pk")).order_by("-n", "trainee_id").first()
    )
    assert longest is not None, "bench.seed_paths writes the ledgers"
    trainee = User.objects.get(pk=longest["trainee_id"])
    desk = User.objects.get(  # the supervisor whose desk checks that ledger, beside their other trainees'
        pk=Supervision.objects.filter(trainee=trainee, active=True).values_list("supervisor_id", flat=True)[0]
    )
    csrf = secrets.token_hex(16)  # 32 characters: Django accepts the unmasked secret as the token
    return {
        "csrf": csrf,
        "therapist": {"id": therapist.pk, "cookie": f"{session_cookie(therapist)}; csrftoken={csrf}"},
        "writer": {
            "id": writer.pk,
            "cookie": f"{session_cookie(writer)}; csrftoken={csrf}",
            "clients": caseload(writer),
        },
        "supervisor": {"id": supervisor.pk, "cookie": session_cookie(supervisor)},
        "trainee": {
            "id": trainee.pk,
            "cookie": session_cookie(trainee),
            "organization": trainee.memberships.get().organization_id,
        },
        "desk": {
            "id": desk.pk,
            "cookie": session_cookie(desk),
            "organization": desk.memberships.get().organization_id,
        },
        "organization": org_id,
        "clients": caseload(therapist),
        "live_sessions": live,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(json.dumps(prepare(args.seed)))


if __name__ == "__main__":
    main()
