"""``kapstone deid [--known KNOWN.json] < note.txt``: the pure engine's proposals as JSON (exit 0, or 2
on bad input). Needs no database."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Propose the de-identification of a note read from standard input: kapstone deid "
        "[--known KNOWN.json] [--today YYYY-MM-DD] < note.txt; prints JSON {text, spans, flags, held}; "
        "exit 2 on bad input."
    )
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def run(self, argv: Sequence[str]) -> int:
        from kapstone.deid.cli import main

        return main(list(argv))

    def run_from_argv(self, argv: list[str]) -> None:
        sys.exit(self.run(argv[2:]))

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("args", nargs=argparse.REMAINDER, help="arguments of the pure command")

    def handle(self, *args: str, **options: Any) -> None:  # call_command() path
        code = self.run(args)
        if code:
            raise CommandError(f"exit status {code}", returncode=code)
