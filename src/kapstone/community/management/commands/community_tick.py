"""``kapstone community_tick``: the community's periodic work, safe to run as often as you like
(every few minutes from cron or a timer): expired waitlist holds pass on, workshop reminders go
out once, and forum digests (with ``--digests``, e.g. once a day)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kapstone.community.forum_notify import digest_send
from kapstone.community.workshop_services import holds_expire_all, reminders_send


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--digests", action="store_true", help="also send the forum digests")

    def handle(self, *args: Any, **options: Any) -> None:
        expired = holds_expire_all()
        reminded = reminders_send()
        digests = digest_send() if options["digests"] else 0
        self.stdout.write(
            f"holds expired: {expired}; workshops reminded: {reminded}; digests sent: {digests}"
        )
