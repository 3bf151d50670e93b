from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kapstone.accounts.models import Organization
from kapstone.outcomes.services import rebuild


class Command(BaseCommand):
    help = "Recompute the program-outcome aggregates from the stored responses (all organizations or one)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organization", type=int, help="Organization id (default: every organization).")

    def handle(self, *args: Any, organization: int | None = None, **options: Any) -> None:
        ids = [organization] if organization else list(Organization.objects.values_list("pk", flat=True))
        for pk in ids:
            count = rebuild(pk)
            self.stdout.write(f"organization {pk}: {count} client x instrument states")
