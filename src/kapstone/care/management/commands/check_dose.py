"""``kapstone check-dose PROTOCOL --route ROUTE --mg N [...]``: check one dose against a protocol (the
pure core's ``check_dose_main`` prints the verdict as JSON; exit 0 checked, 2 bad input)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Check one dose against a dosing protocol: kapstone check-dose PROTOCOL --route ROUTE --mg N "
        "[--weight-kg W] [--dose-number N] [--tier T]; prints JSON with status ok, needs_justification or "
        "hard_stop (exit 0), exit 2 on bad input."
    )
    requires_system_checks: list[str] = []  # no database needed
    requires_migrations_checks = False

    def run(self, argv: Sequence[str]) -> int:
        from kapstone.care.protocol_core import ProtocolError, Registry, default_registry
        from kapstone.care.protocol_core.cli import check_dose_main

        dirs = list(getattr(settings, "KAPSTONE_PROTOCOL_DIRS", []) or [])
        try:
            registry = Registry.load(dirs) if dirs else default_registry()
        except ProtocolError as exc:
            print(f"kapstone: a protocol file cannot be used: {exc}", file=sys.stderr)
            return 2
        return check_dose_main(list(argv), registry)

    def run_from_argv(self, argv: list[str]) -> None:
        sys.exit(self.run(argv[2:]))

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("args", nargs=argparse.REMAINDER, help="arguments of the pure command")

    def handle(self, *args: str, **options: Any) -> None:  # call_command() path
        code = self.run(args)
        if code:
            raise CommandError(f"exit status {code}", returncode=code)
