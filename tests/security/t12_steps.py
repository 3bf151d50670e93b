"""Steps of the T12 backup drill, each run as ``python t12_steps.py STEP [ARG]`` against a scratch
instance (its environment set by the test). Prints one JSON line on stdout.

``seed``: a fictional clinic with signed progress notes (through the notes services).
``tables UPTO``: per table, a row count and a SHA-256 over every row in primary-key order; the audit
table up to event UPTO (the backup's snapshot; later rows are the writer's or the restore's own).
``snapshot``: the newest audit event id in this database that the restore command did not write.
``notes``: signed notes and how many fail to match their content hash.
``restored``: after a restore, in one process: ``migrate --check``, ``audit verify``, ``snapshot``,
``notes`` and ``tables`` at the snapshot (each subprocess costs seconds on a loaded machine).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kapstone.settings")
import django  # noqa: E402

django.setup()

from django.apps import apps  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.management.base import CommandError  # noqa: E402
from django.db import connection  # noqa: E402

from kapstone.accounts.models import Membership, Organization, Role, User  # noqa: E402
from kapstone.audit.models import AuditEvent  # noqa: E402
from kapstone.clients.models import CareTeamMember, Client  # noqa: E402
from kapstone.core.actor import Actor  # noqa: E402
from kapstone.notes.models import ProgressNote  # noqa: E402
from kapstone.notes.services import draft_create, note_problems, note_sign  # noqa: E402

NOTES = 6


def seed() -> dict[str, object]:
    org = Organization.objects.create(
        name="Backup Drill Fictional Clinic", slug="backup-drill", kind="clinic"
    )
    user = User.objects.create_user("drill@test.example", "drill password 1234", full_name="Dee Rill")
    Membership.objects.create(user=user, organization=org, role=Role.THERAPIST)
    actor = Actor(user=user, organization=org, roles=frozenset({"therapist"}), request_id="t12")
    for n in range(NOTES):
        client = Client.objects.create(organization=org, given_name=f"Bea{n}", family_name="Fictional")
        CareTeamMember.objects.create(client=client, user=user, team_role="therapist")
        sections = {k: f"Fictional {k} text {n}." for k in ("subjective", "objective", "assessment", "plan")}
        note = draft_create(actor, client, "soap", sections=sections)
        note_sign(actor, note, expected_version=note.version)
    return {"signed": ProgressNote.objects.exclude(content_hash="").count()}


def tables(upto: int) -> dict[str, object]:
    result: dict[str, list[object]] = {}
    models = [m for m in apps.get_models(include_auto_created=True) if m._meta.managed and not m._meta.proxy]
    for model in models:
        rows = model._base_manager.order_by("pk")
        if model is AuditEvent:
            rows = rows.filter(pk__lte=upto)
        fields = [f.attname for f in model._meta.concrete_fields]
        digest = hashlib.sha256()
        count = 0
        for row in rows.values_list(*fields).iterator(chunk_size=2000):
            digest.update(json.dumps(row, default=str, sort_keys=True).encode() + b"\n")
            count += 1
        result[model._meta.db_table] = [count, digest.hexdigest()]
    return {"vendor": connection.vendor, "tables": result}


def snapshot() -> dict[str, object]:
    newest = AuditEvent.objects.exclude(action="system.restore").order_by("-pk").values_list("pk", flat=True)
    return {"upto": newest.first() or 0}


def notes() -> dict[str, object]:
    signed = list(ProgressNote.objects.exclude(content_hash="").order_by("pk"))
    return {"signed": len(signed), "failures": sum(1 for note in signed if note_problems(note))}


def restored() -> dict[str, object]:
    try:
        call_command("migrate", check=True, verbosity=0)
        migrations_ok = True
    except SystemExit:
        migrations_ok = False
    try:
        call_command("audit", "verify", stdout=sys.stderr)
        chain_ok = True
    except CommandError as exc:
        print(exc, file=sys.stderr)
        chain_ok = False
    upto = int(snapshot()["upto"])  # type: ignore[call-overload]
    return {
        "migrations_ok": migrations_ok,
        "chain_ok": chain_ok,
        "upto": upto,
        "notes": notes(),
        **tables(upto),
    }


if __name__ == "__main__":
    name = sys.argv[1]
    if name == "tables":
        out = tables(int(sys.argv[2]))
    else:
        out = {"seed": seed, "snapshot": snapshot, "notes": notes, "restored": restored}[name]()
    print(json.dumps(out))
