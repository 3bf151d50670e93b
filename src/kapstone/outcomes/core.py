"""Program outcomes, the pure part: thresholds from an instrument definition, one client's running
state per instrument (baseline and latest score), and what that state adds to the cohort counts.

Plain Python over plain data, no Django. ``flags`` follows ``measures.scoring.compare`` exactly for
response and remission (a test checks them against each other): response is an improvement of at
least the definition's percentage of the baseline total (undefined for a baseline of 0), remission
is the latest total against the definition's cut. Both need a baseline and a later score.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from kapstone.measures.scoring.definition import Instrument
from kapstone.measures.scoring.engine import resolve_options
from kapstone.measures.scoring.rules import OPS, OptionRef


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Response and remission thresholds of one instrument under one clinic's options."""

    lower_is_better: bool
    response_percent: float | None  # None: the definition (or the clinic) gives none
    remission_op: str | None
    remission_value: float | None


NO_THRESHOLDS = Thresholds(True, None, None, None)


def _number(value: object, opts: Mapping[str, object]) -> float | None:
    if isinstance(value, OptionRef):
        chosen = opts.get(value.name)
        return None if chosen is None else float(chosen)  # type: ignore[arg-type]
    return float(value)  # type: ignore[arg-type]


def thresholds(instrument: Instrument, options: Mapping[str, object] | None = None) -> Thresholds:
    spec = instrument.change
    if spec is None:
        return NO_THRESHOLDS
    opts, errors = resolve_options(instrument, options)
    if errors:  # compare() refuses to compute under invalid options: so do we
        return replace(NO_THRESHOLDS, lower_is_better=spec.direction == "lower_is_better")
    response = _number(spec.response_percent.value, opts) if spec.response_percent else None
    remission = _number(spec.remission.value, opts) if spec.remission else None
    op = spec.remission.op if spec.remission and remission is not None else None
    return Thresholds(spec.direction == "lower_is_better", response, op, remission if op else None)


def flags(th: Thresholds, baseline: float, latest: float) -> tuple[bool, bool]:
    """(responder, remitter) for a baseline and a later total."""
    improvement = (baseline - latest) if th.lower_is_better else (latest - baseline)
    responder = (
        th.response_percent is not None
        and baseline != 0
        and improvement * 100 / baseline >= th.response_percent
    )
    remitter = (
        th.remission_op is not None
        and th.remission_value is not None
        and OPS[th.remission_op](latest, th.remission_value)
    )
    return responder, remitter


@dataclass(frozen=True, slots=True)
class Point:
    """One scored response, ordered by (administered_at, id) like the charts and change."""

    total: float
    at: datetime
    id: int

    @property
    def key(self) -> tuple[datetime, int]:
        return (self.at, self.id)


@dataclass(frozen=True, slots=True)
class State:
    """One client's scored responses to one instrument, folded: how many, the first, the latest."""

    responses: int
    baseline: Point
    latest: Point


def fold(state: State | None, point: Point) -> State:
    """The state after one more response (responses are never edited or removed)."""
    if state is None:
        return State(1, point, point)
    baseline = point if point.key < state.baseline.key else state.baseline
    latest = point if point.key > state.latest.key else state.latest
    return State(state.responses + 1, baseline, latest)


@dataclass(frozen=True, slots=True)
class Contribution:
    """What one client's state adds to a cohort row: each 0 or 1."""

    with_baseline: int = 0
    with_followup: int = 0
    responders: int = 0
    remitters: int = 0

    def __sub__(self, other: Contribution) -> Contribution:
        return Contribution(
            self.with_baseline - other.with_baseline,
            self.with_followup - other.with_followup,
            self.responders - other.responders,
            self.remitters - other.remitters,
        )

    def __bool__(self) -> bool:
        return any((self.with_baseline, self.with_followup, self.responders, self.remitters))


NOTHING = Contribution()


def contribution(state: State | None, th: Thresholds) -> Contribution:
    if state is None:
        return NOTHING
    if state.responses < 2:
        return Contribution(1, 0, 0, 0)
    responder, remitter = flags(th, state.baseline.total, state.latest.total)
    return Contribution(1, 1, int(responder), int(remitter))


@dataclass(frozen=True, slots=True)
class Rates:
    """A cohort row as people read it."""

    with_baseline: int
    with_followup: int
    responders: int
    remitters: int

    @property
    def response_rate(self) -> float | None:
        return self.responders / self.with_followup if self.with_followup else None

    @property
    def remission_rate(self) -> float | None:
        return self.remitters / self.with_followup if self.with_followup else None
