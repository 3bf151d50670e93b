from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kapstone.audit.services import broken_message, record, verify_chain
from kapstone.core.actor import SYSTEM
from kapstone.core.backup import BackupError, restore


class Command(BaseCommand):
    help = "Replace the database with a backup made by `kapstone backup`. Stop the server first."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

    def handle(self, *args: Any, path: Path, yes: bool, **options: Any) -> None:
        if not yes:
            answer = input(
                f"This replaces every record in the database with {path}. Type 'restore' to go on: "
            )
            if answer.strip() != "restore":
                raise CommandError("Nothing was restored.")
        try:
            restore(path)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        report = verify_chain()
        record(SYSTEM, "system.restore", detail={"path": str(path), "audit_chain_ok": report.ok})
        self.stdout.write(
            f"Restored from {path}. Audit chain: {report.reason} ({report.checked} events checked)."
        )
        if not report.ok:
            raise CommandError(f"Restored, but: {broken_message(report)}")
