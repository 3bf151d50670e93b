"""Sign-in throttling: too many failures for an account, or from one address, lock sign-in for a while."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from kapstone.accounts.models import LoginFailure

# One address may try more accounts than one account may be tried; a shared clinic network is common.
IP_MULTIPLIER = 4


def _window_start() -> object:
    return timezone.now() - timedelta(seconds=settings.KAPSTONE_LOGIN_WINDOW_SECONDS)


def is_locked(email: str, source_ip: str | None) -> bool:
    since = _window_start()
    limit = settings.KAPSTONE_LOGIN_MAX_FAILURES
    if LoginFailure.objects.filter(email=email, at__gte=since).count() >= limit:
        return True
    return bool(
        source_ip
        and LoginFailure.objects.filter(source_ip=source_ip, at__gte=since).count() >= limit * IP_MULTIPLIER
    )


def note_failure(email: str, source_ip: str | None) -> None:
    LoginFailure.objects.create(email=email, source_ip=source_ip)


def clear(email: str) -> None:
    LoginFailure.objects.filter(email=email).delete()
