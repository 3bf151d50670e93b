"""``kapstone psychnotes``: the psychotherapy-note key ring (status, rotation, re-wrapping)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from kapstone.audit.services import record
from kapstone.core.actor import SYSTEM
from kapstone.notes.models import PsychotherapyNote
from kapstone.notes.psychvault import key_file, keys_from_environment, load_ring, rewrap_all, rotate
from kapstone.notes.sealing import SealingError, new_key_line


class Command(BaseCommand):
    help = (
        "Psychotherapy-note encryption keys. status: which keys the rows use and whether each is present; "
        "rotate-key: add a new key to the key file and re-wrap every note's data key under it; "
        "new-key: print a new key entry (for keys kept in KAPSTONE_PSYCHNOTE_KEYS); "
        "rewrap: re-wrap every data key under the active (last) key; "
        "compact: on SQLite, zero freed pages and empty the write-ahead log (VACUUM on PostgreSQL)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["status", "rotate-key", "new-key", "rewrap", "compact"])

    def handle(self, *args: Any, subcommand: str, **options: Any) -> None:
        try:
            getattr(self, "_" + subcommand.replace("-", "_"))()
        except SealingError as exc:
            raise CommandError(str(exc)) from exc

    def _status(self) -> None:
        source = "KAPSTONE_PSYCHNOTE_KEYS" if keys_from_environment() else str(key_file())
        ring = load_ring()
        self.stdout.write(f"Key ring: {source}; active key {ring.active_id}; {len(ring.keys)} key(s).")
        missing = 0
        for key_id, count in _counts().items():
            present = key_id in ring.keys
            missing += 0 if present else count
            self.stdout.write(f"  {key_id}: {count} note(s){'' if present else ' -- KEY MISSING'}")
        if missing:
            raise CommandError(
                f"{missing} psychotherapy note(s) cannot be read: their key is not in the ring."
            )

    def _rotate_key(self) -> None:
        report = rotate(PsychotherapyNote)
        record(
            SYSTEM,
            "system.psychnote_key_rotate",
            detail={"key_id": report.active_key_id, "rewrapped": report.rewrapped},
        )
        self.stdout.write(
            f"New active key {report.active_key_id} in {key_file()}; {report.rewrapped} note data key(s) "
            "re-wrapped under it. Keep the older keys while you keep backups taken before today."
        )

    def _new_key(self) -> None:
        self.stdout.write(new_key_line())

    def _rewrap(self) -> None:
        ring = load_ring()
        changed, current = rewrap_all(PsychotherapyNote, ring)
        record(SYSTEM, "system.psychnote_key_rotate", detail={"key_id": ring.active_id, "rewrapped": changed})
        self.stdout.write(
            f"{changed} note data key(s) re-wrapped under {ring.active_id}; {current} already were."
        )

    def _compact(self) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("PRAGMA secure_delete = ON")
                cursor.execute("VACUUM")
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            else:
                cursor.execute(f"VACUUM FULL {PsychotherapyNote._meta.db_table}")
        self.stdout.write("Compacted: no freed page or log frame keeps an old psychotherapy-note row.")


def _counts() -> dict[str, int]:
    counts: dict[str, int] = {}
    for key_id in PsychotherapyNote.objects.values_list("key_id", flat=True):
        counts[key_id] = counts.get(key_id, 0) + 1
    return counts
