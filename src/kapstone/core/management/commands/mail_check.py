from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kapstone.core.tasks import mail_check


class Command(BaseCommand):
    help = (
        "Queue a test message to ADDRESS through the task queue every notification uses. It arrives only "
        "if a worker runs (kapstone serve starts one in development; production runs kapstone db_worker)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("address")

    def handle(self, *args: Any, address: str, **options: Any) -> None:
        result = mail_check.enqueue(address)
        self.stdout.write(f"Queued a mail check to {address} (task {result.id}).")
