"""``kapstone synth``: fill the database with obviously fictional data at a chosen scale."""

from __future__ import annotations

import sys
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from kapstone.tooling import synth


class Command(BaseCommand):
    help = (
        "Fill the database with synthetic, obviously fictional data (organizations, care teams, courses, "
        "dosing sessions with vitals, responses with trajectories, trainees and supervisors), deterministic "
        "for a seed. Prints a progress bar and the load rate beside a raw driver insert of the same rows."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clinicians", type=int, required=True)
        parser.add_argument("--clients", type=int, required=True)
        parser.add_argument("--responses-per-client", type=int, default=20)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--organizations",
            type=int,
            default=0,
            help=f"Default: one per {synth.CLINICIANS_PER_ORG} clinicians.",
        )
        parser.add_argument(
            "--dosing-per-client",
            type=float,
            default=0.2,
            help="Dosing sessions per client (each with a dose and 24 vitals readings).",
        )
        parser.add_argument(
            "--anchor",
            type=date.fromisoformat,
            default=None,
            help="The data's 'today' (YYYY-MM-DD; default today, UTC).",
        )
        parser.add_argument(
            "--raw-check-clients",
            type=int,
            default=5000,
            help="Clients in the raw-insert comparison sample (0: skip it).",
        )
        parser.add_argument("--database", default="default")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["clinicians"] < 1 or options["clients"] < 0 or options["responses_per_client"] < 0:
            raise CommandError(
                "--clinicians must be at least 1; --clients and --responses-per-client at least 0"
            )
        plan = synth.Plan(
            clinicians=options["clinicians"],
            clients=options["clients"],
            responses_per_client=options["responses_per_client"],
            seed=options["seed"],
            organizations=options["organizations"],
            dosing_per_client=options["dosing_per_client"],
            anchor=options["anchor"],
        )
        conn = connections[options["database"]]
        progress = None if options["no_progress"] else getattr(self.stderr, "_out", sys.stderr)
        try:
            report = synth.load(plan, conn=conn, progress=progress)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["raw_check_clients"] > 0 and plan.clients > 0:
            report.raw = synth.compare_raw(plan, conn=conn, clients=options["raw_check_clients"])
        for line in synth.describe(report, plan, conn.vendor):
            self.stdout.write(line)
