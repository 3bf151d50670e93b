"""Steps of the T23 drill, each run as ``python t23_steps.py STEP`` against a real SQLite file
(KAPSTONE_VAR_DIR set by the test). Prints one JSON line on stdout; nothing else goes there."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kapstone.settings")
import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from kapstone.accounts.models import Membership, Organization, Role, User  # noqa: E402
from kapstone.clients.models import CareTeamMember, Client  # noqa: E402
from kapstone.core.actor import Actor  # noqa: E402
from kapstone.notes.models import PsychotherapyNote  # noqa: E402
from kapstone.notes.psychvault import read_body  # noqa: E402
from kapstone.notes.sealing import KeyMissing, SealingError  # noqa: E402
from kapstone.notes.services import psychnote_create  # noqa: E402

CANARY = "zq-canary-{n:02d}-lakehouse"
LEGACY = "zq-legacy-{n:02d}-orchard"


def db_path() -> Path:
    return Path(settings.DATABASES["default"]["NAME"])


def count_in(data: bytes, texts: list[str]) -> int:
    return sum(1 for t in texts if t.encode() in data)


def plant_legacy() -> dict[str, object]:
    """Rows as they were before encryption: plaintext in the body column (schema at notes 0003)."""
    org = Organization.objects.create(name="Legacy Fictional Clinic", slug="legacy-fictional", kind="clinic")
    user = User.objects.create_user("legacy@test.example", "legacy password 1234", full_name="Lee Gacy")
    client = Client.objects.create(organization=org, given_name="Lex", family_name="Fictional")
    with connection.cursor() as cursor:
        for n in range(3):
            cursor.execute(
                "INSERT INTO notes_psychotherapynote"
                " (organization_id, client_id, author_id, body, created_at, key_id)"
                " VALUES (%s, %s, %s, %s, CURRENT_TIMESTAMP, '')",
                [org.pk, client.pk, user.pk, LEGACY.format(n=n)],
            )
    return {"planted": 3}


def plant() -> dict[str, object]:
    org = Organization.objects.create(name="Canary Fictional Clinic", slug="canary-fictional", kind="clinic")
    user = User.objects.create_user("canary@test.example", "canary password 1234", full_name="Cai Nary")
    Membership.objects.create(user=user, organization=org, role=Role.THERAPIST)
    actor = Actor(user=user, organization=org, roles=frozenset({"therapist"}), request_id="t23")
    texts = [CANARY.format(n=n) for n in range(12)]
    for n, text in enumerate(texts):
        client = Client.objects.create(organization=org, given_name=f"Cy{n}", family_name="Fictional")
        CareTeamMember.objects.create(client=client, user=user, team_role="therapist")
        psychnote_create(actor, client, f"Session reflections. {text}. End.")
    # Scan while this connection is open, so the write-ahead log is still there.
    wal = Path(str(db_path()) + "-wal")
    every = texts + [LEGACY.format(n=n) for n in range(3)]
    return {
        "planted": len(texts),
        "wal_exists": wal.exists(),
        "in_db": count_in(db_path().read_bytes(), every),
        "in_wal": count_in(wal.read_bytes(), every) if wal.exists() else 0,
    }


def scan(path: str) -> dict[str, object]:
    every = [CANARY.format(n=n) for n in range(12)] + [LEGACY.format(n=n) for n in range(3)]
    return {"found": count_in(Path(path).read_bytes(), every)}


def read() -> dict[str, object]:
    readable, errors = 0, set()
    expected = {CANARY.format(n=n) for n in range(12)} | {LEGACY.format(n=n) for n in range(3)}
    matched = 0
    for note in PsychotherapyNote.objects.order_by("pk"):
        try:
            body = read_body(note)
        except KeyMissing as exc:
            errors.add(f"KeyMissing: {exc}")
            continue
        except SealingError as exc:
            errors.add(f"{type(exc).__name__}: {exc}")
            continue
        readable += 1
        matched += any(t in body for t in expected)
    key_ids = sorted(set(PsychotherapyNote.objects.values_list("key_id", flat=True)))
    return {
        "total": PsychotherapyNote.objects.count(),
        "readable": readable,
        "matched": matched,
        "errors": sorted(errors),
        "key_ids": key_ids,
    }


if __name__ == "__main__":
    step = sys.argv[1]
    result = {"plant_legacy": plant_legacy, "plant": plant, "read": read}.get(step)
    out = result() if result else scan(sys.argv[2])
    print(json.dumps(out))
