"""Earned hours: the one shape in which an app tells the practicum ledger about time a trainee spent.

Django-free. Training (lesson completions, attended live teaching), community (workshop attendance,
mentorship meetings) and consultation (attended case consultations) each expose
``selectors.earned_hours(user) -> list[EarnedHours]``; the practicum ledger reads them at the moment
it is asked, so an hour counts the instant its source is recorded and cannot be edited by hand.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# The ledger's kinds of hours (issue #14). A source names one of these; nothing else is accepted.
KINDS = (
    "didactic_live",
    "didactic_self_paced",
    "experiential",
    "observed_session",
    "co_facilitated_session",
    "led_under_supervision",
    "individual_consultation",
    "group_consultation",
    "personal_practice",
)


@dataclass(frozen=True, slots=True)
class EarnedHours:
    source: str  # the app and thing that earned it, e.g. "training.lesson", "community.workshop"
    source_id: str  # stable id of the record within its source (a primary key as text)
    kind: str  # one of KINDS
    minutes: int
    occurred_on: dt.date
    label: str  # what a trainee or supervisor reads, with no client identifier
    topics: tuple[str, ...] = ()  # topic ids of the requirement sets (e.g. "co.ethics")
    supervisor_id: int | None = None  # the user who supervised or verified it, where there is one
    group_size: int | None = None  # for consultations: how many took part
    client_key: str | None = None  # an opaque per-client key, to count different clients, never a name

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind of hours {self.kind!r}; expected one of {', '.join(KINDS)}")
        if self.minutes < 0:
            raise ValueError("minutes cannot be negative")
