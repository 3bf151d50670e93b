"""``kapstone.lib.cli.run_command``, the scaffold every pure-core command runs through: exit 0 when
done, 0 for --help, 2 with "<command>: <reason>" on stderr for a usage mistake or input that cannot
be used, and anything else (a bug) is not disguised as bad input."""

from __future__ import annotations

import argparse
import json
from typing import Any

import pytest

from kapstone.lib.cli import EXIT_INVALID, EXIT_OK, Parser, parse_command_line, print_json, run_command
from kapstone.lib.datafile import DataFileError

PROG = "kapstone example"


def _configure(parser: Parser) -> None:
    parser.add_argument("name")
    parser.add_argument("--times", type=int, default=1)


def _greet(args: argparse.Namespace) -> int:
    print_json({"greeting": " ".join(["hello", args.name] * args.times)})
    return EXIT_OK


def _run(argv: list[str], run: Any = _greet) -> int:
    return run_command(PROG, argv, _configure, run, description="An example command.")


def test_a_good_call_runs_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["Ada", "--times", "2"]) == EXIT_OK == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out) == {"greeting": "hello Ada hello Ada"}
    assert captured.err == ""


def test_help_exits_0_with_the_usage_and_runs_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["--help"], run=lambda _: pytest.fail("--help must not run the command")) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith(f"usage: {PROG} ") and "An example command." in captured.out


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        ([], "the following arguments are required: name"),
        (["Ada", "--times", "twice"], "argument --times: invalid int value: 'twice'"),
        (["Ada", "--loud"], "unrecognized arguments: --loud"),
    ],
)
def test_a_usage_mistake_exits_2_naming_the_command(
    argv: list[str], reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        _run(argv, run=lambda _: pytest.fail("a usage mistake must not run the command")) == EXIT_INVALID == 2
    )
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == f"{PROG}: {reason}\n"


@pytest.mark.parametrize(
    "problem",
    [
        DataFileError("rules.toml", "unsupported format 2 (this engine reads 1)", field="format"),
        ValueError("weight must be positive"),
        LookupError("no protocol 'nope'"),
        KeyError("nope"),
        FileNotFoundError(2, "No such file or directory"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_input_that_cannot_be_used_exits_2_with_the_reason(
    problem: Exception, capsys: pytest.CaptureFixture[str]
) -> None:
    def refuse(_: argparse.Namespace) -> int:
        raise problem

    assert _run(["Ada"], run=refuse) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == f"{PROG}: {problem}\n"


def test_a_bug_is_not_reported_as_bad_input() -> None:
    def broken(_: argparse.Namespace) -> int:
        raise TypeError("unsupported operand")

    with pytest.raises(TypeError, match="unsupported operand"):
        _run(["Ada"], run=broken)


@pytest.mark.parametrize(("message", "err"), [("stopped early\n", "stopped early\n"), (None, "")])
def test_an_early_exit_keeps_its_status_and_message(
    message: str | None, err: str, capsys: pytest.CaptureFixture[str]
) -> None:
    class Stop(argparse.Action):
        def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
            parser.exit(3, message)

    def configure(parser: Parser) -> None:
        parser.add_argument("--stop", nargs=0, action=Stop)

    assert run_command(PROG, ["--stop"], configure, lambda _: pytest.fail("must not run")) == 3
    assert capsys.readouterr().err == err


def test_json_output_keeps_accents_and_field_order(capsys: pytest.CaptureFixture[str]) -> None:
    print_json({"zeta": "Zoë", "alpha": ["ß", 1]})
    assert capsys.readouterr().out == '{"zeta": "Zoë", "alpha": ["ß", 1]}\n'


def test_a_command_with_its_own_usage_report_gets_the_problem_and_returns_its_status(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``kapstone score`` and ``kapstone check-dose`` report a usage mistake as JSON on stdout."""
    parser = Parser(prog=PROG)
    _configure(parser)
    reported: list[str] = []

    def report(problem: str) -> int:
        reported.append(problem)
        return 7

    assert parse_command_line(parser, ["Ada", "--loud"], report) == 7
    assert reported == ["unrecognized arguments: --loud"]
    assert parse_command_line(parser, ["--help"], report) == 0 and reported == [reported[0]]
    args = parse_command_line(parser, ["Ada"], report)
    assert isinstance(args, argparse.Namespace) and args.name == "Ada"
    assert capsys.readouterr().err == ""
