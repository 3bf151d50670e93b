"""``kapstone deid [--known KNOWN.json] < note.txt``: the pure engine's proposals as JSON (exit 0, or 2
on bad input). Needs no database."""

from __future__ import annotations

from collections.abc import Sequence

from kapstone.core.management.pure import PureCommand
from kapstone.deid.cli import main


class Command(PureCommand):
    help = (
        "Propose the de-identification of a note read from standard input: kapstone deid "
        "[--known KNOWN.json] [--today YYYY-MM-DD] < note.txt; prints JSON {text, spans, flags, held}; "
        "exit 2 on bad input."
    )

    def run(self, argv: Sequence[str]) -> int:

        return main(list(argv))
