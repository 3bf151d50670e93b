"""Ground-level background tasks."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django_tasks import task


@task()
def mail_check(to: str) -> str:
    """A test message through the same queue as every notification: proves a worker is running."""
    send_mail(
        "Kapstone mail check",
        f"This message came through Kapstone's task queue from {settings.SITE_URL}.\n"
        "Questionnaire links and safety notifications are delivered the same way.",
        None,
        [to],
    )
    return to
