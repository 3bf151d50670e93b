from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kapstone.audit.services import verify_chain


class Command(BaseCommand):
    help = "Audit log tools. `kapstone audit verify` checks the hash chain and names the first broken link."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["verify"])

    def handle(self, *args: Any, subcommand: str, **options: Any) -> None:
        report = verify_chain()
        if not report.ok:
            raise CommandError(
                f"Audit chain BROKEN at event {report.first_broken_id}: {report.reason}. "
                f"{report.checked} events before it verified."
            )
        self.stdout.write(f"Audit chain intact: {report.checked} events verified.")
