"""Pure command-line function for the screening core (no Django).

``kapstone screen ...`` calls ``screen_main`` with the arguments that follow the sub-command:

    screen FACTS.json [--ruleset PATH] [--setting KEY=VALUE ...]

``FACTS.json`` is the facts document described in ``FACTS.md`` (``-`` reads standard input).
It prints exactly one JSON object on stdout: ``Evaluation.to_dict()`` when the facts were
evaluated (exit 0, whatever the screening outcome), or ``{"outcome": null, "errors": [...]}``
with every refused field named when the input is invalid (exit 2): an unreadable file, invalid
JSON (duplicate keys included), inconsistent facts, an unknown or bad setting, or a rule set
that does not load.

``ruleset_loader`` maps the ``--ruleset`` value (``None`` when not given) to a ``RuleSet``; the
default loads the file, or the shipped default rule set. The Django command passes a loader
that resolves the clinic's rule set.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from kapstone.lib.cli import EXIT_INVALID, EXIT_OK, Parser, parse_command_line

from .engine import evaluate
from .facts import FactsError, FieldError, validate_facts
from .ruleset import RuleSet, RuleSetError, SettingsError, default_ruleset, load_ruleset

__all__ = ["EXIT_INVALID", "EXIT_OK", "default_loader", "screen_main"]

RuleSetLoader = Callable[[str | None], RuleSet]


def _parser() -> Parser:
    parser = Parser(
        prog="kapstone screen",
        description="Screen one client's facts against a safety-screening rule set; prints one JSON object.",
    )
    parser.add_argument("facts", help="facts JSON file (see screening/FACTS.md); - for standard input")
    parser.add_argument("--ruleset", default=None, help="rule-set TOML file (default: the shipped rule set)")
    parser.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a rule-set setting (repeatable)",
    )
    return parser


def default_loader(path: str | None) -> RuleSet:
    return default_ruleset() if path is None else load_ruleset(path)


def _emit(document: object) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False) + "\n")


def _fail(errors: list[FieldError]) -> int:
    _emit({"outcome": None, "errors": [e.to_dict() for e in errors]})
    return EXIT_INVALID


def _bad_arguments(problem: str) -> int:
    return _fail([FieldError("arguments", "usage", f"arguments: {problem}")])


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _read_facts(name: str) -> object:
    """Parse the facts document; raise ``FactsError`` when it cannot be read or parsed."""
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        message = f"facts_file: cannot read {name!r} ({exc})"
        raise FactsError([FieldError("facts_file", "unreadable", message)]) from exc
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except ValueError as exc:  # JSONDecodeError is a ValueError; so is a duplicate key
        message = f"facts_file: not valid JSON ({exc})"
        raise FactsError([FieldError("facts_file", "invalid_json", message)]) from exc


def _settings(ruleset: RuleSet, pairs: list[str]) -> dict[str, object]:
    overrides: dict[str, object] = {}
    errors: list[FieldError] = []
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip()
        field = f"settings.{key}"
        if not sep or not key:
            message = f"settings: expected KEY=VALUE, got {pair!r}"
            errors.append(FieldError("settings", "bad_setting", message))
        elif key in overrides:
            errors.append(FieldError(field, "repeated_setting", f"{field}: given more than once"))
        elif key not in ruleset.settings:
            overrides[key] = text  # resolve_settings names the unknown setting
        else:
            overrides[key] = ruleset.settings[key].parse_text(text)
    if errors:
        raise SettingsError(errors)
    return overrides


def screen_main(argv: Sequence[str], ruleset_loader: RuleSetLoader | None = None) -> int:
    """Run ``screen`` with ``argv`` (the arguments after the sub-command). Returns the exit code."""
    args = parse_command_line(_parser(), argv, _bad_arguments)
    if isinstance(args, int):
        return args
    loader = ruleset_loader or default_loader
    try:
        ruleset = loader(args.ruleset)
    except RuleSetError as exc:
        return _fail([FieldError("ruleset", "invalid_ruleset", f"ruleset: {exc}")])
    errors: list[FieldError] = []
    overrides: dict[str, object] = {}
    facts: object = None
    try:  # settings and facts are both checked, so that one run reports every problem
        overrides = _settings(ruleset, args.setting)
        ruleset.resolve_settings(overrides)
    except SettingsError as exc:
        errors.extend(exc.errors)
    try:
        facts = _read_facts(args.facts)
        validate_facts(facts, ruleset.bounds)
    except FactsError as exc:
        errors.extend(exc.errors)
    if errors:
        return _fail(errors)
    _emit(evaluate(ruleset, facts, overrides).to_dict())  # type: ignore[arg-type]
    return EXIT_OK
