"""Run one of the pure CLI entry points (``kapstone.measures.cli``) with the Django registry.

The pure function prints its JSON to stdout and returns the exit code; the command exits with it
(0 scored / listed, 2 invalid input). Nothing else is written to stdout.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

from django.core.management.base import BaseCommand, CommandError

Main = Callable[[Sequence[str], Any], int]


class PureCliCommand(BaseCommand):
    requires_system_checks: list[str] = []  # no database, no checks
    requires_migrations_checks = False
    entry_point = ""  # name of the function in kapstone.measures.cli

    def main(self) -> Main:
        from kapstone.measures import cli

        main: Main = getattr(cli, self.entry_point)
        return main

    def run(self, argv: Sequence[str]) -> int:
        from kapstone.measures.instruments import get_registry
        from kapstone.measures.scoring import DefinitionError

        try:
            registry = get_registry()
        except DefinitionError as exc:
            print(f"kapstone: an instrument definition cannot be used: {exc}", file=sys.stderr)
            return 2
        return self.main()(list(argv), registry)

    def run_from_argv(self, argv: list[str]) -> None:
        # Hand every argument (including --help) to the pure CLI, which owns the interface.
        sys.exit(self.run(argv[2:]))

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("args", nargs=argparse.REMAINDER, help="arguments of the pure command")

    def handle(self, *args: str, **options: Any) -> None:  # call_command() path
        code = self.run(args)
        if code:
            raise CommandError(f"exit status {code}", returncode=code)
