"""Run one of the pure CLI entry points (``kapstone.measures.cli``) with the Django registry.

The pure function prints its JSON to stdout and returns the exit code; the command exits with it
(0 scored / listed, 2 invalid input). Nothing else is written to stdout.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

from kapstone.core.management.pure import PureCommand
from kapstone.measures import cli
from kapstone.measures.instruments import get_registry
from kapstone.measures.scoring import DefinitionError

Main = Callable[[Sequence[str], Any], int]


class PureCliCommand(PureCommand):
    entry_point = ""  # name of the function in kapstone.measures.cli

    def main(self) -> Main:

        main: Main = getattr(cli, self.entry_point)
        return main

    def run(self, argv: Sequence[str]) -> int:

        try:
            registry = get_registry()
        except DefinitionError as exc:
            print(f"kapstone: an instrument definition cannot be used: {exc}", file=sys.stderr)
            return 2
        return self.main()(list(argv), registry)
