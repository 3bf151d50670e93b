"""The scaffold of a pure core's command-line function: ``main(argv) -> exit status``.

``kapstone score``, ``kapstone screen``, ``kapstone protocols`` and the newer commands each define
their arguments and a ``run(args)``; ``run_command`` parses, reports usage problems on stderr with the
command's name, and maps ``DataFileError``/``ValueError`` to exit 2. A command that reports usage
problems its own way (as JSON on stdout, say) calls ``parse_command_line`` with its own reporter.
0 means done; 2 means the input could not be used (nothing was guessed). No Django here.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

EXIT_OK = 0
EXIT_INVALID = 2


class UsageError(Exception):
    pass


class _Exit(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class Parser(argparse.ArgumentParser):
    """argparse that reports problems to the caller instead of exiting the process."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            sys.stderr.write(message)
        raise _Exit(status)


def usage_on_stderr(prog: str) -> Callable[[str], int]:
    """The plain usage reporter: ``prog: problem`` on stderr, exit 2."""

    def report(message: str) -> int:
        sys.stderr.write(f"{prog}: {message}\n")
        return EXIT_INVALID

    return report


def parse_command_line(
    parser: Parser, argv: Sequence[str], usage: Callable[[str], int]
) -> argparse.Namespace | int:
    """The parsed arguments, or the exit status to return at once: ``--help``'s (the help printed),
    or what ``usage(problem)`` returns after reporting a usage mistake."""
    try:
        return parser.parse_args(list(argv))
    except _Exit as exc:  # --help
        return exc.status
    except UsageError as exc:
        return usage(str(exc))


def run_command(
    prog: str,
    argv: Sequence[str],
    configure: Callable[[Parser], None],
    run: Callable[[argparse.Namespace], int],
    *,
    description: str = "",
) -> int:
    """Parse ``argv`` with the arguments ``configure`` adds, then ``run(args)``; bad input exits 2."""
    parser = Parser(prog=prog, description=description)
    configure(parser)
    args = parse_command_line(parser, argv, usage_on_stderr(prog))
    if isinstance(args, int):
        return args
    try:
        return run(args)
    except (ValueError, LookupError, OSError) as exc:
        sys.stderr.write(f"{prog}: {exc}\n")
        return EXIT_INVALID


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, sort_keys=False) + "\n")
