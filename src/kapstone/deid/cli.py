"""``kapstone deid [--known KNOWN.json] < note.txt``: the engine's proposals as JSON (no Django).

Prints ``{"text", "spans": [{"class", "start", "end", "why", ...}], "flags": [...], "held"}``;
exit 0, or 2 when the input cannot be used (an unreadable or malformed KNOWN.json, text that is
not UTF-8). Nothing is guessed: a bad KNOWN.json is refused, not half used.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from typing import TextIO

from kapstone.deid.engine import deidentify
from kapstone.deid.types import Known
from kapstone.lib.cli import EXIT_OK, Parser, print_json, run_command


def _configure(parser: Parser) -> None:
    parser.add_argument("--known", metavar="KNOWN.json", help="what the record knows, by Safe Harbor class")
    parser.add_argument(
        "--today", metavar="YYYY-MM-DD", help="the date ages are reckoned on (default: today)"
    )


def main(argv: Sequence[str], stdin: TextIO | None = None) -> int:
    def run(args: argparse.Namespace) -> int:
        known = Known()
        if args.known:
            with open(args.known, encoding="utf-8") as fh:
                try:
                    data = json.load(fh)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{args.known}: not JSON ({exc})") from None
            known = Known.from_json(data)
        today = dt.date.fromisoformat(args.today) if args.today else dt.datetime.now(tz=dt.UTC).date()
        stream = stdin if stdin is not None else sys.stdin
        try:
            text = stream.read()
        except UnicodeDecodeError:
            raise ValueError("the note is not UTF-8 text") from None
        print_json(deidentify(text, known, today=today).as_dict())
        return EXIT_OK

    about = "Propose the de-identification of a note read from standard input."
    return run_command("kapstone deid", argv, _configure, run, description=about)
