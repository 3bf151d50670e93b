"""``kapstone screen FACTS.json [--organization SLUG] [--ruleset PATH] [--setting KEY=VALUE ...]``

Runs the pure ``screen_main`` (it prints one JSON object; exit 0 evaluated, 2 invalid input). With
``--organization SLUG`` the organization's active rule set is used, and its setting overrides apply
(a ``--setting`` given on the command line wins); without it, the shipped default.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from kapstone.accounts.models import Organization
from kapstone.core.management.pure import PureCommand
from kapstone.screening.cli import EXIT_INVALID, screen_main
from kapstone.screening.ruleset import RuleSet
from kapstone.screening.selectors import active_ruleset, setting_overrides


def _split_organization(argv: Sequence[str]) -> tuple[str | None, list[str], str | None]:
    """Take ``--organization SLUG`` (or ``--organization=SLUG``) out of the arguments."""
    rest: list[str] = []
    slug: str | None = None
    args = list(argv)
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--organization":
            if i + 1 >= len(args):
                return None, rest, "arguments: --organization needs a slug"
            slug = args[i + 1]
            i += 2
            continue
        if arg.startswith("--organization="):
            slug = arg.split("=", 1)[1]
        else:
            rest.append(arg)
        i += 1
    return slug, rest, None


def _error(field: str, code: str, message: str) -> int:
    sys.stdout.write(
        json.dumps({"outcome": None, "errors": [{"field": field, "code": code, "message": message}]}) + "\n"
    )
    return EXIT_INVALID


def run(argv: Sequence[str]) -> int:
    slug, rest, problem = _split_organization(argv)
    if problem:
        return _error("arguments", "usage", problem)
    if slug is None:
        return screen_main(rest)

    organization = Organization.objects.filter(slug=slug).first()
    if organization is None:
        return _error("organization", "unknown_organization", f"organization: no organization {slug!r}")
    if "--ruleset" in rest or any(a.startswith("--ruleset=") for a in rest):
        return _error("arguments", "usage", "arguments: give --organization or --ruleset, not both")
    active = active_ruleset(organization.pk)

    def loader(path: str | None) -> RuleSet:
        return active.ruleset

    given = {a.split("=", 1)[0].strip() for i, a in enumerate(rest) if i > 0 and rest[i - 1] == "--setting"}
    given |= {a.split("=", 1)[1].split("=", 1)[0].strip() for a in rest if a.startswith("--setting=")}
    extra: list[str] = []
    for name, value in setting_overrides(organization.pk).items():
        if name not in given:
            extra += ["--setting", f"{name}={value}"]
    return screen_main([*rest, *extra], ruleset_loader=loader)


class Command(PureCommand):
    help = (
        "Screen one client's facts (JSON, see screening/FACTS.md) against a rule set and print the "
        "evaluation as JSON (exit 0 evaluated, 2 invalid input). --organization SLUG uses that "
        "organization's active rule set and settings. Run `kapstone screen --help` for the rest."
    )

    def run(self, argv: Sequence[str]) -> int:
        return run(argv)
