"""``kapstone check-dose PROTOCOL --route ROUTE --mg N [...]``: check one dose against a protocol (the
pure core's ``check_dose_main`` prints the verdict as JSON; exit 0 checked, 2 bad input)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from django.conf import settings

from kapstone.care.protocol_core import ProtocolError, Registry, default_registry
from kapstone.care.protocol_core.cli import check_dose_main
from kapstone.core.management.pure import PureCommand


class Command(PureCommand):
    help = (
        "Check one dose against a dosing protocol: kapstone check-dose PROTOCOL --route ROUTE --mg N "
        "[--weight-kg W] [--dose-number N] [--tier T]; prints JSON with status ok, needs_justification or "
        "hard_stop (exit 0), exit 2 on bad input."
    )

    def run(self, argv: Sequence[str]) -> int:

        dirs = list(getattr(settings, "KAPSTONE_PROTOCOL_DIRS", []) or [])
        try:
            registry = Registry.load(dirs) if dirs else default_registry()
        except ProtocolError as exc:
            print(f"kapstone: a protocol file cannot be used: {exc}", file=sys.stderr)
            return 2
        return check_dose_main(list(argv), registry)
