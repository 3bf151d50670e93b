"""Cron-able: email a questionnaire link for every measure that has come due, once per occurrence."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from kapstone.measures.tasks import (
    due_reminders,
    send_measure_reminder,
    send_portal_link_mail,
    unmailed_links,
)


class Command(BaseCommand):
    help = (
        "Enqueue one reminder per due measure occurrence (idempotent: an occurrence already "
        "reminded is skipped) and retry questionnaire mails that failed. Safe to run from cron."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        due = due_reminders()
        for schedule in due:
            assert schedule.next_due_at is not None
            send_measure_reminder.enqueue(schedule.pk, schedule.next_due_at.isoformat())
        retried = unmailed_links()
        for link_id in retried:
            send_portal_link_mail.enqueue(link_id)
        self.stdout.write(f"{len(due)} reminder(s) enqueued; {len(retried)} unsent link mail(s) retried.")
