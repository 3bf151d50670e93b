from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kapstone.tooling.demo import DEMO_PASSWORD, current_code, load_demo


class Command(BaseCommand):
    help = "Load the fictional demo organization (idempotent) and print its sign-ins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--code", metavar="EMAIL", help="Print the current sign-in code of a demo staff account."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError(
                "The demo organization has published passwords; it is refused when KAPSTONE_ENV=production."
            )
        if options["code"]:
            code = current_code(options["code"])
            if code is None:
                raise CommandError(f"{options['code']} is not a demo staff account.")
            self.stdout.write(code)
            return
        sign_ins = load_demo()
        self.stdout.write(
            self.style.SUCCESS(
                "Demo organization ready: Larkspur Demo Clinic & Training Program (fictional)."
            )
        )
        self.stdout.write(f"Password for every demo account: {DEMO_PASSWORD}")
        self.stdout.write("Staff sign in with a second step: add the key to an authenticator app, or run")
        self.stdout.write("  kapstone demo --code EMAIL   (prints the current 6-digit code)\n")
        for s in sign_ins:
            key = f"  key {s.totp_secret}" if s.totp_secret else "  (no second step for the portal)"
            self.stdout.write(f"  {s.email:<32} {s.role:<22}{key}")
