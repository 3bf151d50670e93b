"""The requirement core's plain data: a requirement set as read from its file, the ledger lines it is
checked against, and the verdict per requirement. No Django (and none may be added)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from kapstone.lib.hours import KINDS

RULES = ("hours", "count", "distinct_clients", "fact")
SESSIONS = ("preparation", "administration", "integration")


class Status(StrEnum):
    MET = "met"
    NOT_YET = "not_yet"
    CANNOT_TELL = "cannot_tell"


@dataclass(frozen=True, slots=True)
class Line:
    """One ledger line as the core sees it: counted (verified by a supervisor, or derived from a
    record the system holds) or pending (logged, not yet verified). No names, only an opaque
    per-client key so different clients can be counted."""

    kind: str
    minutes: int
    occurred_on: dt.date
    counted: bool = True
    topics: tuple[str, ...] = ()
    group_size: int | None = None
    client_key: str | None = None
    online: bool | None = None  # instruction: online (True), in person (False), not recorded (None)
    session: str | None = None  # a care session's kind, for session hours: one of SESSIONS

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind of hours {self.kind!r}")
        if self.minutes < 0:
            raise ValueError("minutes cannot be negative")
        if self.session is not None and self.session not in SESSIONS:
            raise ValueError(f"unknown session kind {self.session!r}")


@dataclass(frozen=True, slots=True)
class Setting:
    """A number the program sets (the reference marks it UNCONFIRMED, or programs differ)."""

    id: str
    label: str
    default: float | None
    unconfirmed: str = ""  # why it is a setting: the sources' disagreement, in words
    source: str = ""


@dataclass(frozen=True, slots=True)
class Number:
    """A threshold: a literal from the rule, or the value of one of the set's settings."""

    value: float | None = None
    setting: str | None = None


@dataclass(frozen=True, slots=True)
class Cap:
    kinds: tuple[str, ...]
    max_hours: Number


@dataclass(frozen=True, slots=True)
class Requirement:
    id: str
    title: str
    rule: str  # one of RULES
    source: str
    kinds: tuple[str, ...] = ()
    topics: tuple[
        str, ...
    ] = ()  # an entry counts if it carries one of these (its minutes split over its topics)
    sessions: tuple[str, ...] = ()
    min_hours: Number | None = None
    min_count: Number | None = None
    min_minutes_each: int = 0
    min_clients: Number | None = None
    max_group_size: Number | None = None
    cap: Cap | None = None
    self_paced_up_to_live_online: bool = False
    fact: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    cite: str
    url: str = ""


@dataclass(frozen=True, slots=True)
class RequirementSet:
    id: str
    version: str
    title: str
    summary: str
    path: str
    sources: tuple[Source, ...]
    settings: tuple[Setting, ...]
    requirements: tuple[Requirement, ...]
    facts: dict[str, str] = field(default_factory=dict)  # fact id -> the question, in words

    def setting(self, ident: str) -> Setting:
        for setting in self.settings:
            if setting.id == ident:
                return setting
        raise KeyError(ident)


@dataclass(frozen=True, slots=True)
class Verdict:
    requirement_id: str
    title: str
    status: Status
    message: str  # what is there and what is missing, in words and numbers
    have: float = 0.0  # hours, a count or clients, as the rule measures
    need: float | None = None
    missing: float = 0.0
    unit: str = "h"
    pending: float = 0.0  # logged but not yet verified, in the rule's unit
    missing_fact: str = ""  # for cannot_tell: the fact that would decide it
    source: str = ""


@dataclass(frozen=True, slots=True)
class SetReport:
    set_id: str
    version: str
    title: str
    verdicts: tuple[Verdict, ...]

    @property
    def complete(self) -> bool:
        return all(v.status is Status.MET for v in self.verdicts)

    def count(self, status: Status) -> int:
        return sum(1 for v in self.verdicts if v.status is status)
