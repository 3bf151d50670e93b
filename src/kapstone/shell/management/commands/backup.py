from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kapstone.audit.models import Outcome
from kapstone.audit.services import record
from kapstone.core.actor import SYSTEM
from kapstone.core.backup import BackupError, backup


class Command(BaseCommand):
    help = "Back up the database to PATH while it is in use (SQLite backup API or pg_dump)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args: Any, path: Path, **options: Any) -> None:
        started = time.monotonic()
        try:
            report = backup(path)
        except BackupError as exc:
            detail = {"path": str(path), "error": str(exc)[:500]}
            record(SYSTEM, "system.backup", outcome=Outcome.FAILURE, detail=detail)
            raise CommandError(str(exc)) from exc
        # Recorded once the backup exists: a refused or failed backup is never logged as a success.
        record(SYSTEM, "system.backup", detail={"path": str(report.path), "bytes": report.size_bytes})
        self.stdout.write(
            f"Backed up the {report.vendor} database to {report.path} "
            f"({report.size_bytes:,} bytes in {time.monotonic() - started:.1f} s)."
        )
