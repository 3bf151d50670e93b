"""What the checks return: frozen dataclasses with ``to_dict()`` (JSON-ready), each carrying the
protocol id and version it was made under and a rationale."""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass
from datetime import datetime

OK = "ok"
NOTED = "noted"
NEEDS_JUSTIFICATION = "needs_justification"
HARD_STOP = "hard_stop"
NO_GO = "no_go"
GO = "go"

LEVEL_RANK = {OK: 0, NEEDS_JUSTIFICATION: 1, HARD_STOP: 2}


def plain(value: object) -> object:
    """A JSON-ready copy: dataclasses to dicts, tuples to lists, datetimes to ISO 8601 text."""
    if isinstance(value, datetime):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    return value


class _ToDict:
    __slots__ = ()

    def to_dict(self) -> dict[str, object]:
        result = plain(self)
        assert isinstance(result, dict)
        return result


@dataclass(frozen=True, slots=True)
class Finding(_ToDict):
    """One dose rule, evaluated. ``limit`` is the place in the protocol file (e.g. ``dose.max_mg``)."""

    code: str
    level: str  # ok | needs_justification | hard_stop
    message: str
    limit: str | None = None
    limit_value: float | None = None
    actual: float | None = None
    unit: str | None = None
    sources: tuple[str, ...] = ()
    clinic_setting: bool = False


@dataclass(frozen=True, slots=True)
class DoseCheck(_ToDict):
    """``level`` is the worst finding. ``complete`` is false when some rule could not be evaluated
    (missing weight or context): that is never "ok". ``refused`` is true when the input itself was
    refused (wrong unit, impossible amount or weight) and nothing else was checked."""

    protocol_id: str
    protocol_version: str
    level: str
    complete: bool
    refused: bool
    amount_mg: float | None
    weight_kg: float | None
    mg_per_kg: float | None
    session_total_mg: float | None
    session_total_mg_per_kg: float | None
    devices: int | None
    findings: tuple[Finding, ...]
    rationale: str

    @property
    def ok(self) -> bool:
        return self.level == OK

    @property
    def requires_justification(self) -> bool:
        return self.level == NEEDS_JUSTIFICATION

    @property
    def blocked(self) -> bool:
        return self.level == HARD_STOP

    def problems(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.level != OK)


@dataclass(frozen=True, slots=True)
class IntervalCheck(_ToDict):
    protocol_id: str
    protocol_version: str
    level: str  # ok | needs_justification | hard_stop
    hours_since: float | None
    min_interval_hours: float
    earliest_at: datetime | None
    stage: str | None
    limit: str
    sources: tuple[str, ...]
    clinic_setting: bool
    rationale: str

    @property
    def ok(self) -> bool:
        return self.level == OK


@dataclass(frozen=True, slots=True)
class CheckItem(_ToDict):
    """One line of a go/no-go or discharge checklist."""

    id: str
    label: str
    status: str  # ok | noted | needs_justification | no_go
    message: str
    sources: tuple[str, ...] = ()
    clinic_setting: bool = False


@dataclass(frozen=True, slots=True)
class GoNoGo(_ToDict):
    """``decision``: ``go``; ``needs_justification`` (may proceed only with a documented prescriber
    decision); or ``no_go`` (a required item is missing or failed, or a hard stop)."""

    protocol_id: str
    protocol_version: str
    decision: str
    items: tuple[CheckItem, ...]
    rationale: str

    @property
    def go(self) -> bool:
        return self.decision == GO

    @property
    def blocking(self) -> tuple[CheckItem, ...]:
        return tuple(i for i in self.items if i.status == NO_GO)

    @property
    def needing_justification(self) -> tuple[CheckItem, ...]:
        return tuple(i for i in self.items if i.status == NEEDS_JUSTIFICATION)


@dataclass(frozen=True, slots=True)
class Alert(_ToDict):
    """``severity``: ``emergency`` (hypertensive-emergency symptom), ``urgent``, ``warning``, or
    ``review`` (something could not be evaluated or was not recognised: a person must look)."""

    protocol_id: str
    protocol_version: str
    code: str
    severity: str
    message: str
    action: str | None
    vital: str | None
    value: float | None
    threshold: float | None
    sources: tuple[str, ...]
    clinic_setting: bool
    rationale: str


@dataclass(frozen=True, slots=True)
class Due(_ToDict):
    """The next monitoring time. ``next_due_at`` is ``None`` when nothing more is scheduled."""

    protocol_id: str
    protocol_version: str
    schedule: str  # vitals | ratings
    next_due_at: datetime | None
    label: str
    overdue: bool
    missed: tuple[str, ...]
    rationale: str


@dataclass(frozen=True, slots=True)
class DischargeCheck(_ToDict):
    protocol_id: str
    protocol_version: str
    ready: bool
    earliest_allowed_at: datetime
    observed_minutes: float
    min_observation_minutes: float
    items: tuple[CheckItem, ...]
    no_driving: str
    rationale: str

    @property
    def blocking(self) -> tuple[CheckItem, ...]:
        return tuple(i for i in self.items if i.status == NO_GO)


@dataclass(frozen=True, slots=True)
class NextStep(_ToDict):
    """``code``: preparation_required | integration_due | course_complete | stage_review |
    dosing_session."""

    protocol_id: str
    protocol_version: str
    code: str
    text: str
    due_by: datetime | None
    earliest_at: datetime | None
    overdue: bool
    outstanding: tuple[str, ...]
    rationale: str
