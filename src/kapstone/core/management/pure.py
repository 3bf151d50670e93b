"""One scaffold for the commands that hand their whole argument list to a pure core's
``main(argv) -> exit code`` (``kapstone score``, ``screen``, ``check-dose``, ``deid``, ...).

The pure function owns the interface (its own ``--help``, JSON on stdout, exit 0 / 1 / 2); the
command only supplies what needs Django (a registry read from settings, a database row) in ``run``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connections


class PureCommand(BaseCommand):
    requires_system_checks: list[str] = []  # no checks: these commands must answer quickly
    requires_migrations_checks = False

    def run(self, argv: Sequence[str]) -> int:
        """The exit code of the pure core's ``main(argv)``; every command states its own (seven do)."""
        raise NotImplementedError(f"{type(self).__module__} must say which pure core it runs")

    def run_from_argv(self, argv: list[str]) -> None:
        # Hand every argument (including --help) to the pure CLI, which owns the interface.
        code = self.run(argv[2:])
        connections.close_all()
        sys.exit(code)

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("args", nargs=argparse.REMAINDER, help="arguments of the pure command")

    def handle(self, *args: str, **options: Any) -> None:  # call_command() path
        code = self.run(args)
        if code:
            raise CommandError(f"exit status {code}", returncode=code)
