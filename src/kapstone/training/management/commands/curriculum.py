"""``kapstone curriculum list [--json] | import FOLDER --org SLUG --as EMAIL [--publish] |
export --org SLUG --program ID --version V FOLDER``.

``list`` reads the programs shipped in ``kapstone/training/content/`` (or ``--dir``) and prints, per
module, its lessons, word count, questions and sources, so a reviewer can see the curriculum is
real. ``import`` checks every file before anything is stored (a broken reference exits 2 naming the
file and line); ``export`` writes a stored version back as files, byte for byte.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kapstone.accounts.models import Membership, Organization, User
from kapstone.core.actor import Actor
from kapstone.core.contract import NotYours, Refused
from kapstone.core.management.pure import PureCommand
from kapstone.lib.cli import EXIT_INVALID, EXIT_OK, print_json, run_command
from kapstone.training import services
from kapstone.training.curriculum.files import CONTENT, load_program, summary, write_folder
from kapstone.training.curriculum.loader import read_folder
from kapstone.training.models import ProgramVersion


def _list(args: argparse.Namespace) -> int:

    base = Path(args.dir) if args.dir else CONTENT
    folders = sorted(p for p in base.iterdir() if (p / "program.toml").is_file()) if base.is_dir() else []
    programs = [summary(load_program(read_folder(f), root=f.name)) for f in folders]
    if args.json:
        print_json({"programs": programs})
        return EXIT_OK
    for program in programs:
        print(
            f"{program['id']} {program['version']} — {program['title']} (reviewed {program['last_reviewed']})"
        )
        for module in program["modules"]:
            print(
                f"  {module['id']}: {module['title']} — {len(module['lessons'])} lesson(s), "
                f"{module['words']} words, {module['minutes']} min, {module['questions']} questions, "
                f"sources: {', '.join(module['sources']) or 'none'}"
            )
            for lesson in module["lessons"]:
                words, minutes = lesson["words"], lesson["minutes"]
                print(f"    - {lesson['id']}: {lesson['title']} ({words} words, {minutes} min)")
    if not programs:
        print("No programs installed.")
    return EXIT_OK


def _lead(org_slug: str, email: str) -> Any:

    org = Organization.objects.filter(slug=org_slug).first()
    user = User.objects.filter(email=email.lower()).first()
    if org is None or user is None:
        raise LookupError("no such organization or person")
    roles = frozenset(
        Membership.objects.filter(user=user, organization=org, is_active=True).values_list("role", flat=True)
    )
    return Actor(user=user, organization=org, roles=roles, request_id="cli")


def _import(args: argparse.Namespace) -> int:

    actor = _lead(args.org, args.as_email)
    try:
        version = services.program_import(actor, files=read_folder(args.folder), root=Path(args.folder).name)
        if args.publish:
            version = services.version_publish(actor, version=version)
    except Refused as exc:
        sys.stderr.write(f"kapstone curriculum: {exc.reason}\n")
        return EXIT_INVALID
    except NotYours:
        sys.stderr.write("kapstone curriculum: only the organization's admin (the program lead) imports\n")
        return EXIT_INVALID
    print(f"Imported {version.program.program_id} {version.version} ({version.status}).")
    return EXIT_OK


def _export(args: argparse.Namespace) -> int:

    row = ProgramVersion.objects.filter(
        program__organization__slug=args.org, program__program_id=args.program, version=args.version
    ).first()
    if row is None:
        raise LookupError(f"no version {args.version} of {args.program} in {args.org}")
    written = write_folder(row.files, args.folder)
    print(f"Wrote {len(written)} files to {args.folder}.")
    return EXIT_OK


def main(argv: Sequence[str]) -> int:

    def configure(parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="programs, modules, lessons, words, questions, sources")
        listing.add_argument("--json", action="store_true")
        listing.add_argument("--dir", help="a folder of program folders (default: the shipped content)")
        listing.set_defaults(run=_list)
        imp = sub.add_parser("import", help="import a program folder as a draft version")
        imp.add_argument("folder")
        imp.add_argument("--org", required=True)
        imp.add_argument("--as", dest="as_email", required=True, help="the program lead's email")
        imp.add_argument("--publish", action="store_true")
        imp.set_defaults(run=_import)
        exp = sub.add_parser("export", help="write a stored version back as files")
        exp.add_argument("folder")
        exp.add_argument("--org", required=True)
        exp.add_argument("--program", required=True)
        exp.add_argument("--version", required=True)
        exp.set_defaults(run=_export)

    return run_command("kapstone curriculum", argv, configure, lambda a: int(a.run(a)))


class Command(PureCommand):
    help = "List, import and export training programs (curriculum files)."

    def run(self, argv: Sequence[str]) -> int:
        return main(argv)
