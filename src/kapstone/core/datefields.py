"""Date and time fields that follow the organization's settings, not the browser's locale.

A browser's own date and time pickers show the computer's locale (a US 12-hour picker on a
clinic set to 24 hours, month/day order on a day/month clinic). These fields are plain text
inputs instead: they show a value the one way every page does ("2 Dec 2026, 14:30", or
"2:30 pm" on a 12-hour clock), say under the label how to type it and in which zone, and read
what was typed in the person's zone (kapstone.core.localtime). ISO 8601 ("2026-12-02T14:30")
is accepted too, for scripts and the browser tests. A refusal names the field by its label and
keeps the typed text (Django re-renders the bound value).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.functional import lazy

from kapstone.core import localtime

DATE_FORMATS = ("%d %b %Y", "%d %B %Y", "%d %b, %Y", "%d %B, %Y", "%Y-%m-%d")
_TIME = re.compile(
    r"^(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?(?::(?P<second>\d{2}))?\s*"
    r"(?P<half>[ap])?\.?\s*(?:m\.?)?$",
    re.IGNORECASE,
)
_SPLIT = re.compile(r"^(?P<date>.*?\d{4}|\d{4}-\d{2}-\d{2})\s*(?:,|T|\s)\s*(?P<time>\d.*)$", re.IGNORECASE)


def _zone_name() -> str:
    return str(timezone.get_current_timezone())


def _example_time(style: str) -> str:
    return "2:30 pm" if style == localtime.H12 else "14:30"


def date_hint() -> str:
    return "Type the date as day, month, year: 2 Dec 2026."


def datetime_hint() -> str:
    example = _example_time(localtime.clock())
    return f"Type the date and time as 2 Dec 2026, {example} ({_zone_name()} time)."


def time_hint() -> str:
    example = _example_time(localtime.clock())
    return f"Type the time as {example}" + (
        " (with am or pm)." if localtime.clock() == localtime.H12 else "."
    )


def _call(fn: Callable[[], str]) -> str:
    return fn()


_lazy: Callable[[Callable[[], str]], str] = lazy(_call, str)


def parse_date(text: str) -> date | None:
    """A date typed as '2 Dec 2026', '2 December 2026' or '2026-12-02'; None when it is none of them."""
    cleaned = " ".join(text.split())
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(cleaned, pattern).date()  # noqa: DTZ007 - a calendar day, no zone
        except ValueError:
            continue
    return None


def parse_time(text: str, style: str) -> time | str:
    """A time typed as '14:30' or '2:30 pm': the time, or the reason it cannot be read.

    On a 12-hour clock an hour from 1 to 12 without am or pm is ambiguous and is refused.
    """
    match = _TIME.match(text.strip())
    if match is None:
        return "unreadable"
    hour, minute = int(match["hour"]), int(match["minute"] or 0)
    second, half = int(match["second"] or 0), (match["half"] or "").lower()
    if half:
        if not 1 <= hour <= 12:
            return "unreadable"
        hour = hour % 12 + (12 if half == "p" else 0)
    elif style == localtime.H12 and 1 <= hour <= 12:
        return "ambiguous"
    if hour > 23 or minute > 59 or second > 59:
        return "unreadable"
    return time(hour, minute, second)


def _format_time(value: time | datetime, style: str) -> str:
    if style == localtime.H12:
        hour = value.hour % 12 or 12
        return f"{hour}:{value:%M} {'am' if value.hour < 12 else 'pm'}"
    return f"{value:%H:%M}"


class LocalDateInput(forms.TextInput):
    """A text input showing a date the one way ('2 Dec 2026')."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"autocomplete": "off", "spellcheck": "false", "size": "14", **(attrs or {})})

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, date):
            return localtime.format_date(value)
        return super().format_value(value)


class LocalDateTimeInput(forms.TextInput):
    """A text input showing a moment in the person's zone and clock ('2 Dec 2026, 2:30 pm')."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"autocomplete": "off", "spellcheck": "false", "size": "22", **(attrs or {})})

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, datetime):
            moment = timezone.localtime(value) if timezone.is_aware(value) else value
            return f"{localtime.format_date(moment)}, {_format_time(moment, localtime.clock())}"
        return super().format_value(value)


class LocalTimeInput(forms.TextInput):
    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"autocomplete": "off", "spellcheck": "false", "size": "10", **(attrs or {})})

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, time):
            return _format_time(value, localtime.clock())
        return super().format_value(value)


def _hint(own: str, hint: Any) -> Any:
    """The field's own help text followed by how to type the value (rendered per request)."""
    if not own:
        return _lazy(hint)
    return _lazy(lambda: f"{own} {hint()}")


class _Named:
    """Refusals that name the field by its label and say how to type the value."""

    def refuse(self, what: str, how: str) -> ValidationError:
        """'Date of birth — Enter a valid date. Type the date as …' (Django's words, then ours)."""
        name = str(getattr(self, "label", None) or "This field")
        return ValidationError(f"{name} — Enter a valid {what}. {how}", code="invalid")


class LocalDateField(_Named, forms.DateField):
    widget = LocalDateInput

    def __init__(self, *, help_text: str = "", **kwargs: Any) -> None:
        kwargs.pop("widget", None)
        super().__init__(help_text=_hint(help_text, date_hint), **kwargs)

    def to_python(self, value: Any) -> date | None:
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        parsed = parse_date(str(value))
        if parsed is None:
            raise self.refuse("date", f"“{value}” cannot be read. {date_hint()}")
        return parsed


class LocalDateTimeField(_Named, forms.DateTimeField):
    """A moment typed in the person's zone; stored aware (UTC in the database)."""

    widget = LocalDateTimeInput

    def __init__(self, *, help_text: str = "", **kwargs: Any) -> None:
        kwargs.pop("widget", None)
        kwargs.pop("input_formats", None)  # ISO 8601 (Django's parse_datetime) is the only other form.
        super().__init__(help_text=_hint(help_text, datetime_hint), input_formats=[], **kwargs)

    def to_python(self, value: Any) -> datetime | None:
        if value in self.empty_values:
            return None
        if isinstance(value, (datetime, date)):
            return super().to_python(value)
        text = " ".join(str(value).split())
        split = _SPLIT.match(text)
        day = parse_date(split["date"]) if split else None
        if split is not None and day is not None:
            iso_day = "-" in split["date"]  # an ISO date comes with a 24-hour time
            moment = parse_time(split["time"], localtime.H24 if iso_day else localtime.clock())
            if moment == "ambiguous":
                raise self.refuse("date/time", f"“{split['time']}” needs am or pm. {datetime_hint()}")
            if isinstance(moment, time):
                return super().to_python(datetime.combine(day, moment))
        try:  # ISO 8601 with seconds or an offset: kept as it says.
            return super().to_python(text)
        except ValidationError:
            raise self.refuse("date/time", f"“{value}” cannot be read. {datetime_hint()}") from None


class LocalTimeField(_Named, forms.TimeField):
    widget = LocalTimeInput

    def __init__(self, *, help_text: str = "", **kwargs: Any) -> None:
        kwargs.pop("widget", None)
        super().__init__(help_text=_hint(help_text, time_hint), **kwargs)

    def to_python(self, value: Any) -> time | None:
        if value in self.empty_values:
            return None
        if isinstance(value, time):
            return value
        moment = parse_time(str(value), localtime.clock())
        if moment == "ambiguous":
            raise self.refuse("time", f"“{value}” needs am or pm. {time_hint()}")
        if isinstance(moment, str):
            raise self.refuse("time", f"“{value}” cannot be read. {time_hint()}")
        return moment
