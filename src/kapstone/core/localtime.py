"""Local time, shown one way on every page.

Times are stored in UTC. A request shows them in the person's time zone (their own override, else
their organization's, else UTC) and their clock (24-hour or 12-hour), always with the zone's
abbreviation, in one format: "2 Dec 2026, 14:30 MST" / "2 Dec 2026" / "14:30 MST". Machine exports
keep ISO 8601 (``iso``). The formatting functions are pure over their arguments; the middleware only
chooses the zone and the clock for the request.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

if TYPE_CHECKING:
    from kapstone.accounts.models import Organization, User

H24, H12 = "24h", "12h"
CLOCKS = ((H24, "24-hour (14:30)"), (H12, "12-hour (2:30 pm)"))
DEFAULT_ZONE = "UTC"

_clock: contextvars.ContextVar[str] = contextvars.ContextVar("kapstone_clock", default=H24)


def validate_time_zone(name: str) -> None:
    """An IANA zone name such as America/Denver (the database of zoneinfo), or a refusal naming it."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        message = f"“{name}” is not a time zone name such as America/Denver or Europe/Berlin."
        raise ValidationError(message) from exc


def zone_choices() -> list[tuple[str, str]]:
    names = sorted(n for n in available_timezones() if "/" in n and not n.startswith(("Etc/", "SystemV/")))
    return [(DEFAULT_ZONE, "UTC"), *((n, n.replace("_", " ")) for n in names)]


def clock() -> str:
    return _clock.get()


def _time(moment: datetime, style: str) -> str:
    if style == H12:
        hour = moment.hour % 12 or 12
        return f"{hour}:{moment:%M} {'am' if moment.hour < 12 else 'pm'}"
    return f"{moment:%H:%M}"


def _local(value: datetime) -> datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


def format_time(value: datetime | None, style: str | None = None) -> str:
    """'14:30 MST' (or '2:30 pm MST'): the zone is always named."""
    if value is None:
        return ""
    moment = _local(value)
    zone = moment.tzname() or ""
    return f"{_time(moment, style or clock())} {zone}".strip()


def format_date(value: date | datetime | None) -> str:
    """'2 Dec 2026' — the one date format (a datetime is first moved to local time)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _local(value)
    return f"{value.day} {value:%b %Y}"


def format_datetime(value: datetime | None, style: str | None = None) -> str:
    """'2 Dec 2026, 14:30 MST'."""
    if value is None:
        return ""
    return f"{format_date(value)}, {format_time(value, style)}"


def iso(value: date | datetime | None) -> str:
    """For machine exports: ISO 8601, datetimes in UTC with their offset."""
    if value is None:
        return ""
    if isinstance(value, datetime) and timezone.is_aware(value):
        return value.astimezone(ZoneInfo("UTC")).isoformat()
    return value.isoformat()


def preferences_for(user: User | None, organization: Organization | None) -> tuple[str, str]:
    """(zone, clock) for a person: their own choice, else their organization's, else UTC / 24-hour."""
    zone = (getattr(user, "time_zone", "") or "") or (getattr(organization, "time_zone", "") or DEFAULT_ZONE)
    style = (getattr(user, "clock", "") or "") or (getattr(organization, "clock", "") or H24)
    return zone, style


def _organization_of(request: HttpRequest) -> Organization | None:
    actor = getattr(request, "actor", None)
    organization = getattr(actor, "organization", None)
    if organization is None and request.user.is_authenticated:
        # A portal client belongs to no organization as a member; their record does (reverse
        # one-to-one by name, so the ground does not import the clients app).
        record = getattr(request.user, "client_record", None)
        organization = getattr(record, "organization", None)
    return organization


class LocalTimeMiddleware:
    """After the active organization is known: activate the person's zone and clock for this request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user if request.user.is_authenticated else None
        zone, style = preferences_for(user, _organization_of(request) if user is not None else None)
        try:
            timezone.activate(ZoneInfo(zone))
        except (ZoneInfoNotFoundError, ValueError):
            timezone.activate(ZoneInfo(DEFAULT_ZONE))
        token = _clock.set(style)
        try:
            return self.get_response(request)
        finally:
            _clock.reset(token)
            timezone.deactivate()
