"""iCalendar files for workshops (RFC 5545 / 5546), built with ``icalendar``.

Calendar clients update an event only when the UID matches and SEQUENCE grows, so each workshop
keeps one UID for life and bumps SEQUENCE on every change; a cancellation is sent as METHOD:CANCEL
with STATUS:CANCELLED. Times are written in the workshop's own time zone with its VTIMEZONE.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vText

from kapstone.community.models import Workshop

PRODID = "-//Kapstone//Community workshops//EN"


def _event(workshop: Workshop, *, url: str = "") -> Event:
    zone = ZoneInfo(workshop.time_zone)
    event = Event()
    event.add("uid", workshop.uid)
    event.add("sequence", workshop.sequence)
    event.add("dtstamp", dt.datetime.now(tz=dt.UTC))
    event.add("dtstart", workshop.starts_at.astimezone(zone))
    event.add("dtend", workshop.ends_at.astimezone(zone))
    event.add("summary", workshop.title)
    if workshop.description:
        event.add("description", workshop.description)
    if workshop.location:
        event.add("location", workshop.location)
    if url:
        event.add("url", url)
    event.add("status", "CANCELLED" if workshop.is_cancelled else "CONFIRMED")
    return event


def calendar_for(workshops: Iterable[Workshop], *, method: str = "PUBLISH", name: str = "") -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", vText(name))
    for workshop in workshops:
        calendar.add_component(_event(workshop))
    calendar.add_missing_timezones()
    return calendar


def workshop_ics(workshop: Workshop) -> bytes:
    """One workshop's file: METHOD:CANCEL once it is cancelled, PUBLISH before."""
    method = "CANCEL" if workshop.is_cancelled else "PUBLISH"
    return bytes(calendar_for([workshop], method=method).to_ical())


def feed_ics(workshops: Iterable[Workshop], *, name: str) -> bytes:
    """A person's feed: their workshops, cancelled ones kept with STATUS:CANCELLED so clients drop them."""
    return bytes(calendar_for(workshops, name=name).to_ical())
