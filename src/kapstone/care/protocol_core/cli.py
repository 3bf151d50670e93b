"""Pure command-line function for the protocol core (no Django).

``kapstone protocols [--json]`` calls ``protocols_main`` with the arguments after the sub-command
name and a ``Registry``. It lists the installed protocols: id, version, route, title, where the file
came from (``shipped`` or the clinic folder) and the evidence sources the file cites.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from .definition import Protocol
from .registry import SHIPPED_DIR, Registry

EXIT_OK = 0
EXIT_USAGE = 2


class _UsageError(Exception):
    pass


class _Exit(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _Parser(argparse.ArgumentParser):
    """argparse that reports problems to the caller instead of exiting the process."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise _Exit(status)


def _origin(protocol: Protocol) -> str:
    folder = Path(protocol.path).resolve().parent
    return "shipped" if folder == SHIPPED_DIR.resolve() else str(folder)


def protocol_row(protocol: Protocol) -> dict[str, object]:
    """One protocol as a JSON-ready listing row."""
    return {
        "id": protocol.id,
        "version": protocol.version,
        "title": protocol.title,
        "route": protocol.route,
        "product": protocol.product,
        "origin": _origin(protocol),
        "path": protocol.path,
        "sources": list(protocol.sources),
    }


def protocols_main(argv: Sequence[str], registry: Registry) -> int:
    """``protocols [--json]``: list the installed protocol templates. 0 on success, 2 on bad usage."""
    parser = _Parser(prog="kapstone protocols", description="List installed dosing-protocol templates.")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    try:
        args = parser.parse_args(list(argv))
    except _Exit as exc:  # --help
        return exc.status
    except _UsageError as exc:
        sys.stderr.write(f"kapstone protocols: {exc}\n")
        return EXIT_USAGE
    protocols = registry.all()
    if args.json:
        sys.stdout.write(json.dumps([protocol_row(p) for p in protocols]) + "\n")
        return EXIT_OK
    header = ("ID", "VERSION", "ROUTE", "ORIGIN", "SOURCES", "TITLE")
    table = [header] + [
        (p.id, p.version, p.route, _origin(p), ",".join(p.sources), p.title) for p in protocols
    ]
    widths = [max(len(row[c]) for row in table) for c in range(len(header) - 1)]
    for row in table:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        sys.stdout.write("  ".join([*cells, row[-1]]) + "\n")
    if not protocols:
        sys.stdout.write("(no protocols installed)\n")
    return EXIT_OK
