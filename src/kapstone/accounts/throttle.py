"""Sign-in throttling that slows guessing without locking a clinician out (ASVS 6.3.1; 4.0.3 2.2.1).

There is no account lock. Each failure (a wrong password or a wrong second-factor code) is kept
with its email, source address and, when the browser carries one, its known-device id. Three
counters each impose a growing delay once their free allowance is used up: the delay doubles with
every further failure (1 s, 2 s, 4 s ...), capped at the window, and it runs from the newest
failure. A refused attempt is not a failure (the password is not even checked), so hammering
during a delay does not lengthen it.

- (account, source address): ``KAPSTONE_LOGIN_MAX_FAILURES`` free failures (default 5);
- account, from all unknown browsers: twice that; caps a distributed guesser well under 100 an hour;
- source address, across accounts: four times that (a clinic network is shared).

A browser in which the person signed in before carries a signed known-device cookie
(``kapstone.accounts.devices``). From such a browser only the (account, device) counter applies:
failures from elsewhere — an attacker who knows a clinician's address — never delay the
clinician's own device, which is what keeps them able to sign in during a dosing session.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Max, QuerySet
from django.utils import timezone

from kapstone.accounts.models import LoginFailure, User

ACCOUNT_MULTIPLIER = 2
IP_MULTIPLIER = 4  # one address may try more accounts than one account may be tried
BASE_DELAY_SECONDS = 1
KEEP_DAYS = 30  # failures older than this are pruned (the audit log keeps every attempt)


def _window_start(now: datetime) -> datetime:
    return now - timedelta(seconds=settings.KAPSTONE_LOGIN_WINDOW_SECONDS)


def _delay(failures: QuerySet[LoginFailure], free: int, now: datetime) -> int:
    """Seconds still to wait for this counter (0: go)."""
    stats = failures.aggregate(n=Count("pk"), last=Max("at"))
    count: int = stats["n"]
    last: datetime | None = stats["last"]
    if count < free or last is None:
        return 0
    window = int(settings.KAPSTONE_LOGIN_WINDOW_SECONDS)
    delay = min(BASE_DELAY_SECONDS * 2 ** min(count - free, 30), window)
    remaining = (last + timedelta(seconds=delay) - now).total_seconds()
    return max(0, int(math.ceil(remaining)))


def wait_seconds(email: str, source_ip: str | None, device: str = "") -> int:
    """How long this attempt must wait; 0 means it may go ahead."""
    now = timezone.now()
    recent = LoginFailure.objects.filter(at__gte=_window_start(now), cleared=False)
    free = settings.KAPSTONE_LOGIN_MAX_FAILURES
    if device:
        return _delay(recent.filter(email=email, device=device), free, now)
    unknown = recent.filter(device="")
    waits = [
        _delay(unknown.filter(email=email, source_ip=source_ip), free, now),
        _delay(unknown.filter(email=email), free * ACCOUNT_MULTIPLIER, now),
    ]
    if source_ip:
        waits.append(_delay(unknown.filter(source_ip=source_ip), free * IP_MULTIPLIER, now))
    return max(waits)


def is_locked(email: str, source_ip: str | None, device: str = "") -> bool:
    return wait_seconds(email, source_ip, device) > 0


def note_failure(email: str, source_ip: str | None, device: str = "") -> LoginFailure:
    """Keep the failure, with the account it was aimed at when one has that address."""
    now = timezone.now()
    LoginFailure.objects.filter(at__lt=now - timedelta(days=KEEP_DAYS)).delete()
    user = User.objects.filter(email=email).only("pk").first()
    return LoginFailure.objects.create(email=email, source_ip=source_ip, device=device, user=user, at=now)


def clear(email: str, source_ip: str | None, device: str = "") -> None:
    """After a successful sign-in: this browser's (or, without a device, this address's) failures
    stop counting. Failures from elsewhere keep counting, so the clinician signing in does not reset
    an attacker's delay; all stay listed for the organization's admin until they age out."""
    mine = LoginFailure.objects.filter(email=email, cleared=False)
    mine = mine.filter(device=device) if device else mine.filter(device="", source_ip=source_ip)
    mine.update(cleared=True)
