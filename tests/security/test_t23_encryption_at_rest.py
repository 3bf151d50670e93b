"""T23 (security.md section 7): psychotherapy-note bodies are encrypted at rest.

The drill runs against a real SQLite file in a temporary instance directory: legacy plaintext rows
are migrated, canaries are written through the service, then the database file, its write-ahead
log, a ``kapstone backup`` file, a ``dumpdata`` dump and every log line are searched for them; the
key is rotated and every note read back; the key file is removed and every read must fail with a
message that names the missing key.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
KAPSTONE = [sys.executable, "-m", "kapstone.cli"]
STEPS = [sys.executable, str(HERE / "t23_steps.py")]


class Drill:
    def __init__(self, var: Path) -> None:
        self.env = {
            **os.environ,
            "KAPSTONE_ENV": "test",
            "KAPSTONE_VAR_DIR": str(var),
            "KAPSTONE_LOG_LEVEL": "DEBUG",
        }
        self.env.pop("DATABASE_URL", None)
        self.env.pop("KAPSTONE_PSYCHNOTE_KEYS", None)
        self.env.pop("KAPSTONE_PSYCHNOTE_KEY_FILE", None)
        self.logs: list[str] = []

    def run(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            args, env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
        )
        self.logs.append(done.stderr)
        if ok:
            assert done.returncode == 0, done.stderr[-2000:]
        return done

    def step(self, *args: str) -> dict:
        return json.loads(self.run(*STEPS, *args).stdout.strip().splitlines()[-1])


def test_t23_canaries_absent_at_rest_readable_after_rotation_unreadable_without_key(tmp_path, battery):
    var = tmp_path / "instance"
    drill = Drill(var)
    drill.run(*KAPSTONE, "migrate", "-v0")
    # Before encryption existed: plaintext rows in the body column, then the upgrade migrates them.
    drill.run(*KAPSTONE, "migrate", "notes", "0003_psychnote_encrypted_columns", "-v0")
    assert drill.step("plant_legacy")["planted"] == 3
    drill.run(*KAPSTONE, "migrate", "-v0")
    drill.run(*KAPSTONE, "psychnotes", "compact")
    key_file = var / "keys" / "psychnote-keys"
    assert key_file.exists() and oct(key_file.stat().st_mode & 0o777) == "0o600"

    planted = drill.step("plant")
    assert planted["wal_exists"], "the write-ahead log must exist while the scan runs"
    backup = tmp_path / "backup.sqlite3"
    drill.run(*KAPSTONE, "backup", str(backup))
    dump = tmp_path / "dump.json"
    dump.write_text(drill.run(*KAPSTONE, "dumpdata", "notes").stdout)
    found = {
        "database file": planted["in_db"],
        "WAL": planted["in_wal"],
        "backup": drill.step("scan", str(backup))["found"],
        "dumpdata": drill.step("scan", str(dump))["found"],
        "database file after": drill.step("scan", str(var / "kapstone.sqlite3"))["found"],
    }
    total = 15  # 12 written through the service + 3 legacy rows migrated
    battery(
        "T23", f"canaries planted: {total}; found at rest: " + ", ".join(f"{k} {v}" for k, v in found.items())
    )
    assert found == dict.fromkeys(found, 0)

    before = drill.step("read")
    assert before["readable"] == before["matched"] == total and len(before["key_ids"]) == 1

    rotated = drill.run(*KAPSTONE, "psychnotes", "rotate-key").stdout
    assert f"{total} note data key(s) re-wrapped" in rotated
    after = drill.step("read")
    assert after["readable"] == after["matched"] == total
    assert after["key_ids"] != before["key_ids"] and len(after["key_ids"]) == 1
    battery("T23", f"readable after rotation: {after['readable']} of {total}")

    key_file.rename(tmp_path / "key-kept-elsewhere")
    without = drill.step("read")
    assert without["readable"] == 0 and without["total"] == total
    assert len(without["errors"]) == 1 and "No psychotherapy-note key" in without["errors"][0]
    assert str(key_file) in without["errors"][0]
    status = drill.run(*KAPSTONE, "psychnotes", "status", ok=False)
    assert status.returncode != 0 and "No psychotherapy-note key" in status.stderr
    battery("T23", f"unreadable after key removal: {total - without['readable']} of {total} (100 %)")

    logs = "\n".join(drill.logs)
    leaked = sum(f"zq-{kind}-{n:02d}" in logs for kind in ("canary", "legacy") for n in range(12))
    battery("T23", f"canaries in captured logs: {leaked}")
    assert leaked == 0


@pytest.mark.django_db(transaction=True)
def test_t23_on_postgresql_a_plain_sql_dump_holds_no_canary(world, settings, tmp_path, monkeypatch, battery):
    """The PostgreSQL side: notes written through the service, committed, then a plain-text
    ``pg_dump`` of the database (uncompressed, so a plaintext body would be visible) is searched."""
    from django.db import connection

    from kapstone.core.actor import Actor
    from kapstone.core.backup import _pg_args, _pg_env, _tool
    from kapstone.notes.services import psychnote_create

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (run with DATABASE_URL); the SQLite file drill is the test above")
    monkeypatch.delenv("KAPSTONE_PSYCHNOTE_KEYS", raising=False)
    settings.KAPSTONE_PSYCHNOTE_KEY_FILE = tmp_path / "keys" / "psychnote-keys"
    canaries = [f"zq-pg-canary-{n:02d}-lakehouse" for n in range(12)]
    theo = Actor(user=world.users["theo"], organization=world.org_a, roles=frozenset({"therapist"}))
    for text in canaries:
        psychnote_create(theo, world.clients["rowan"], f"Reflections. {text}.")
    cfg = connection.settings_dict
    dump = subprocess.run(  # noqa: S603 - fixed argument list
        [_tool("pg_dump"), "--data-only", "--format=plain", *_pg_args(cfg), str(cfg["NAME"])],
        env=_pg_env(cfg),
        capture_output=True,
        check=True,
        timeout=300,
    ).stdout
    assert b"notes_psychotherapynote" in dump
    # bytea is dumped as hex: look for the hex form too, so a stored plaintext could not hide there.
    found = sum(text.encode() in dump or text.encode().hex().encode() in dump for text in canaries)
    battery("T23", f"PostgreSQL: canaries planted 12; found in a plain pg_dump: {found}")
    assert found == 0
