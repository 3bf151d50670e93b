"""Steps of the T24 load drill, run as ``python t24_steps.py STEP`` against the scratch instance.

``synth``: synthetic fictional data (``kapstone synth``: 40 clinicians, 200 clients, 20 live dosing
rooms), 20 therapists each put on the care team of one live dosing room (the test caches the result).
``sessions``: the 20 therapists signed in (a server-side session each, as the sign-in view makes one,
with a CSRF token). One JSON line: per clinician the session cookie, the CSRF token, their clients
and their room; and the row counts before the load.
``recheck``: after the load, one JSON line: integrity errors (``PRAGMA integrity_check`` / amcheck),
whether the audit chain and every signed note verify, and the row counts the load's writes added to.
"""

from __future__ import annotations

import json
import os
import secrets
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kapstone.settings")
import django  # noqa: E402

django.setup()

from bench.prepare import session_cookie  # noqa: E402
from django.core.management import call_command  # noqa: E402
from t11_writer import integrity_errors  # noqa: E402

from kapstone.accounts.models import Membership, User  # noqa: E402
from kapstone.audit.services import verify_chain  # noqa: E402
from kapstone.care.models import CareSession, VitalReading  # noqa: E402
from kapstone.clients.models import CareTeamMember  # noqa: E402
from kapstone.measures.models import Response  # noqa: E402
from kapstone.notes.models import ProgressNote  # noqa: E402
from kapstone.notes.services import note_problems  # noqa: E402

CLINICIANS = 20


def counts() -> dict[str, int]:
    return {
        "notes": ProgressNote.objects.count(),
        "vitals": VitalReading.objects.count(),
        "responses": Response.objects.count(),
    }


def synth() -> dict[str, object]:
    """The data (cached by the test between runs): synthetic records, each clinician in one room."""
    call_command(
        "synth",
        clinicians=40,
        clients=200,
        responses_per_client=2,
        dosing_per_client=1,
        raw_check_clients=0,
        no_progress=True,
        verbosity=0,
        stdout=sys.stderr,
    )
    for user, room in _clinicians():
        CareTeamMember.objects.get_or_create(client_id=room.client_id, user=user, team_role="therapist")
    return counts()


def _clinicians() -> list[tuple[User, CareSession]]:
    rooms = CareSession.objects.filter(status="in_progress", kind="dosing").order_by("pk")
    therapists = Membership.objects.filter(role="therapist").select_related("user").order_by("user_id")
    return [(m.user, room) for m, room in zip(therapists[:CLINICIANS], rooms, strict=False)]


def sessions() -> dict[str, object]:
    clinicians = []
    for user, room in _clinicians():
        clients = CareTeamMember.objects.filter(user=user, team_role="therapist")
        csrf = secrets.token_hex(16)  # 32 characters: Django accepts the unmasked secret as the token
        clinicians.append(
            {
                "cookie": f"{session_cookie(user)}; csrftoken={csrf}",
                "csrf": csrf,
                "clients": sorted(set(clients.values_list("client_id", flat=True))),
                "room": room.pk,
            }
        )
    return {"clinicians": clinicians, "counts": counts()}


def recheck() -> dict[str, object]:
    signed = ProgressNote.objects.exclude(content_hash="")
    return {
        "integrity_errors": integrity_errors(),
        "chain_ok": verify_chain().ok,
        "note_hash_failures": sum(1 for note in signed if note_problems(note)),
        "counts": counts(),
    }


if __name__ == "__main__":
    print(json.dumps({"synth": synth, "sessions": sessions, "recheck": recheck}[sys.argv[1]]()))
