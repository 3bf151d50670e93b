"""Pure command-line functions for the measurement core (no Django).

``kapstone score ...`` and ``kapstone instruments ...`` call these with the arguments that follow
the sub-command name, and with a ``Registry``:

    score INSTRUMENT (--answers V1,V2,... | --answers-json JSON | --answers-json @FILE)
          [--version VERSION] [--option KEY=VALUE ...]
    instruments [--json]

``score`` prints exactly one JSON object on stdout (``ScoreResult.to_dict()``, or the same shape
with ``errors`` when the input cannot be scored) and returns 0 when the response was scored
(complete) and 2 otherwise.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

from kapstone.lib.cli import EXIT_INVALID, EXIT_OK, Parser, parse_command_line, usage_on_stderr

from .scoring import Registry, UnknownInstrumentError, score
from .scoring.definition import Instrument, parse_number


def _error(item: str | None, code: str, message: str) -> dict[str, object]:
    return {"item": item, "code": code, "message": message}


def _failure(
    instrument: str | None, version: str | None, errors: list[dict[str, object]]
) -> dict[str, object]:
    """The ScoreResult JSON shape for input that could not be scored at all."""
    return {
        "instrument": instrument,
        "version": version,
        "complete": False,
        "total": None,
        "band": None,
        "subscales": {},
        "flags": [],
        "interpretation": "Cannot score: " + "; ".join(str(e["message"]) for e in errors),
        "errors": errors,
        "options": {},
    }


def _emit(document: object) -> None:
    sys.stdout.write(json.dumps(document) + "\n")


def positional_answers(
    instrument: Instrument, text: str
) -> tuple[dict[str, object], list[dict[str, object]]]:
    """Map comma-separated values to items in the definition's order.

    An empty value means "not answered" (e.g. a question the skip logic leaves out). Trailing
    items that are not required may be left off. A value that is not a number is passed on as
    text, so that scoring names the item it belongs to.
    """
    values = [v.strip() for v in text.split(",")]
    items = instrument.items
    required_positions = [i.position for i in items if i.required]
    at_least = max(required_positions, default=0)
    if not at_least <= len(values) <= len(items):
        expected = f"{len(items)}" if at_least == len(items) else f"{at_least} to {len(items)}"
        if len(values) < at_least:
            detail = f"no value for {', '.join(i.id for i in items[len(values) : at_least])}"
            item: str | None = items[len(values)].id
        else:
            detail = f"value {len(items) + 1} has no item (the last item is {items[-1].id})"
            item = None
        return {}, [
            _error(
                item,
                "wrong_count",
                f"--answers needs {expected} values in item order "
                f"({items[0].id} ... {items[-1].id}); got {len(values)}: {detail}",
            )
        ]
    answers: dict[str, object] = {}
    for item_def, raw in zip(items, values, strict=False):
        answers[item_def.id] = None if raw == "" else parse_number(raw, raw)
    return answers, []


class _Pairs(list[tuple[object, object]]):
    """The key/value pairs of one JSON object, in order, repeated keys kept."""


def _json_answers(text: str) -> tuple[list[tuple[object, object]] | None, list[dict[str, object]]]:
    """Parse --answers-json (inline or @file) into (id, value) pairs, keeping repeated keys."""
    if text.startswith("@"):
        try:
            text = Path(text[1:]).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            return None, [_error(None, "bad_arguments", f"cannot read answers file {text[1:]!r}: {exc}")]
    try:
        document = json.loads(text, object_pairs_hook=_Pairs)
    except json.JSONDecodeError as exc:
        return None, [_error(None, "malformed_json", f"--answers-json is not valid JSON: {exc}")]
    if not isinstance(document, _Pairs):
        return None, [
            _error(None, "malformed_json", "--answers-json must be a JSON object of item id to value")
        ]
    return document, []


def _score_parser() -> Parser:
    parser = Parser(prog="kapstone score", description="Score one questionnaire response.")
    parser.add_argument("instrument", help="instrument id, e.g. phq9 (see `kapstone instruments`)")
    parser.add_argument("--version", help="definition version (default: the newest installed)")
    parser.add_argument("--answers", help="comma-separated values in the definition's item order")
    parser.add_argument("--answers-json", help='JSON object {"item_id": value, ...} or @file.json')
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="instrument option, e.g. cutpoint=38 (repeatable)",
    )
    return parser


def _bad_arguments(message: str) -> int:
    _emit(_failure(None, None, [_error(None, "bad_arguments", message)]))
    return EXIT_INVALID


def score_main(argv: Sequence[str], registry: Registry) -> int:
    """``score INSTRUMENT ...``: print one JSON object; 0 when scored, 2 otherwise."""
    args = parse_command_line(_score_parser(), argv, _bad_arguments)
    if isinstance(args, int):
        return args
    try:
        instrument = registry.get(args.instrument, args.version)
    except UnknownInstrumentError as exc:
        _emit(_failure(args.instrument, args.version, [_error(None, "unknown_instrument", exc.args[0])]))
        return EXIT_INVALID

    errors: list[dict[str, object]] = []
    options: dict[str, object] = {}
    for text in args.option:
        name, sep, value = (part.strip() for part in text.partition("="))
        if not sep or not name:
            errors.append(_error(None, "bad_arguments", f"--option expects KEY=VALUE, got {text!r}"))
        elif name in options:
            errors.append(_error(None, "bad_arguments", f"option {name} is given more than once"))
        else:
            option = instrument.options.get(name)
            options[name] = option.parse_text(value) if option is not None else value

    answers: dict[str, object] | list[tuple[object, object]] | None = None
    if (args.answers is None) == (args.answers_json is None):
        errors.append(_error(None, "bad_arguments", "give exactly one of --answers and --answers-json"))
    elif args.answers is not None:
        answers, problems = positional_answers(instrument, args.answers)
        errors.extend(problems)
    else:
        answers, problems = _json_answers(args.answers_json)
        errors.extend(problems)

    if errors:
        _emit(_failure(instrument.id, instrument.version, errors))
        return EXIT_INVALID
    assert answers is not None
    result = score(instrument, answers, options)
    _emit(result.to_dict())
    return EXIT_OK if result.complete else EXIT_INVALID


def instruments_main(argv: Sequence[str], registry: Registry) -> int:
    """``instruments [--json]``: list the installed instrument definitions."""
    parser = Parser(prog="kapstone instruments", description="List installed instruments.")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parse_command_line(parser, argv, usage_on_stderr("kapstone instruments"))
    if isinstance(args, int):
        return args
    rows = [
        {
            "id": i.id,
            "version": i.version,
            "title": i.title,
            "items": len(i.items),
            "licence": i.licence.name,
            "item_text_supplied_by_clinic": i.item_text_supplied_by_clinic,
        }
        for i in registry.all()
    ]
    if args.json:
        _emit(rows)
        return EXIT_OK
    header = ("ID", "VERSION", "ITEMS", "ITEM TEXT", "TITLE", "LICENCE")
    table = [header] + [
        (
            str(r["id"]),
            str(r["version"]),
            str(r["items"]),
            "clinic" if r["item_text_supplied_by_clinic"] else "shipped",
            str(r["title"]),
            str(r["licence"]),
        )
        for r in rows
    ]
    widths = [max(len(row[c]) for row in table) for c in range(len(header) - 1)]
    for row in table:
        cells = [
            cell.rjust(w) if c == 2 else cell.ljust(w)
            for c, (cell, w) in enumerate(zip(row, widths, strict=False))
        ]
        sys.stdout.write("  ".join([*cells, row[-1]]) + "\n")
    return EXIT_OK
