"""Pure command-line functions for the protocol core (no Django).

``kapstone check-dose PROTOCOL --route ROUTE --mg N [--weight-kg W] [--dose-number N] [--tier T]
[--previous-mg N --hours-since-previous H]`` calls ``check_dose_main``: it prints the core's verdict
as one JSON object whose ``status`` is ``ok``, ``needs_justification`` or ``hard_stop``, with its
reasons; exit 0 when checked, 2 on bad input (unknown protocol or route, a refused number).

``kapstone protocols [--json]`` calls ``protocols_main`` with the arguments after the sub-command
name and a ``Registry``. It lists the installed protocols: id, version, route, title, where the file
came from (``shipped`` or the clinic folder) and the evidence sources the file cites.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kapstone.lib.cli import EXIT_INVALID, EXIT_OK, Parser, parse_command_line, usage_on_stderr

from .checks import check_dose
from .inputs import DoseContext, DoseInput
from .protocol import ROUTES, Protocol
from .registry import SHIPPED_DIR, Registry, UnknownProtocolError


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
    parser = Parser(prog="kapstone protocols", description="List installed dosing-protocol templates.")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parse_command_line(parser, argv, usage_on_stderr("kapstone protocols"))
    if isinstance(args, int):
        return args
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


def _error(message: str) -> int:
    sys.stdout.write(json.dumps({"status": None, "errors": [message]}) + "\n")
    sys.stderr.write(f"kapstone check-dose: {message}\n")
    return EXIT_INVALID


def check_dose_main(argv: Sequence[str], registry: Registry, *, now: datetime | None = None) -> int:
    """``check-dose``: check one proposed dose against a protocol from the command line."""
    parser = Parser(prog="kapstone check-dose", description="Check one dose against a dosing protocol.")
    parser.add_argument("protocol", help="protocol id (highest installed version), or ID@VERSION")
    parser.add_argument("--route", required=True, choices=ROUTES)
    parser.add_argument("--mg", required=True, type=float, help="the dose in milligrams")
    parser.add_argument("--weight-kg", type=float, default=None)
    parser.add_argument("--dose-number", type=int, default=1, help="this dosing session's number (1 = first)")
    parser.add_argument("--tier", default=None)
    parser.add_argument("--previous-mg", type=float, default=None, help="the previous session's dose")
    parser.add_argument("--hours-since-previous", type=float, default=None)
    args = parse_command_line(parser, argv, _error)
    if isinstance(args, int):
        return args
    ident, _, version = args.protocol.partition("@")
    try:
        protocol = registry.get(ident, version or None)
    except UnknownProtocolError as exc:
        return _error(str(exc))
    moment = now or datetime.now(UTC)
    previous_at = None
    if args.hours_since_previous is not None:
        if args.hours_since_previous < 0:
            return _error("--hours-since-previous must not be negative")
        previous_at = moment - timedelta(hours=args.hours_since_previous)
    context = DoseContext(
        dose_number=args.dose_number,
        proposed_at=moment,
        previous_session_at=previous_at,
        previous_dose_mg=args.previous_mg,
    )
    dose = DoseInput(args.route, "mg", args.mg, weight_kg=args.weight_kg, tier=args.tier)
    check = check_dose(protocol, dose, context)
    if check.refused:
        return _error("; ".join(f.message for f in check.problems()))
    verdict = {
        "status": check.level,
        "complete": check.complete,
        "protocol": protocol.id,
        "version": protocol.version,
        "reasons": [f.message for f in check.problems()],
        "check": check.to_dict(),
    }
    sys.stdout.write(json.dumps(verdict) + "\n")
    return EXIT_OK
