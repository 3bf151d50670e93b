"""What the checks are given: plain frozen dataclasses, no ORM. Datetimes must be timezone-aware."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType


class InvalidInput(ValueError):  # noqa: N818 - reads as "the input is invalid" at the call site
    """An input cannot be used (an impossible reading, a naive datetime, ...). ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.detail = message
        super().__init__(f"{field}: {message}")


_EMPTY: Mapping[str, bool | None] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class DoseInput:
    """One dose as ordered/given. ``amount_mg`` is in ``unit``, which must be ``"mg"``: anything else
    is refused, never converted. ``prior_doses_mg`` are the doses already given in THIS session, in
    order (the first dose, then any boosters)."""

    route: str
    unit: str
    amount_mg: float
    weight_kg: float | None = None
    tier: str | None = None
    is_booster: bool = False
    minutes_since_first_dose: float | None = None
    prior_doses_mg: tuple[float, ...] = ()
    product: str | None = None


@dataclass(frozen=True, slots=True)
class DoseContext:
    """Where the dose sits in the course. Needed for the first (non-booster) dose of a session.

    ``dose_number``: this dosing session's number in the course (1 = first).
    ``previous_session_at`` / ``previous_dose_mg``: the previous dosing session and its first dose.
    ``first_dose_mg``: the course's starting dose, when known (decides "84 mg only after a 56 mg start").
    """

    dose_number: int | None = None
    proposed_at: datetime | None = None
    previous_session_at: datetime | None = None
    previous_dose_mg: float | None = None
    first_dose_mg: float | None = None


@dataclass(frozen=True, slots=True)
class VitalsReading:
    """One set of observations. ``None`` = not measured. ``symptoms`` are symptom ids (see the
    protocol's ``[hypertensive_emergency]``); ``moaas`` is the MOAA/S sedation score (0-5)."""

    systolic: float | None = None
    diastolic: float | None = None
    heart_rate: float | None = None
    spo2: float | None = None
    respiratory_rate: float | None = None
    moaas: float | None = None
    symptoms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MoodCheck:
    """The session mood/suicidality check: done or not, and its result id (e.g. ``low_risk``)."""

    done: bool
    result: str | None = None


@dataclass(frozen=True, slots=True)
class PreDoseChecklist:
    """Everything the pre-dose go/no-go needs. Anything left ``None`` counts as missing."""

    planned_dose_at: datetime
    last_food_at: datetime | None = None
    last_liquid_at: datetime | None = None
    vitals: VitalsReading | None = None
    medications_reviewed: bool | None = None
    same_day_medications: tuple[str, ...] = ()
    attestations: Mapping[str, bool | None] = field(default_factory=lambda: _EMPTY)
    mood_check: MoodCheck | None = None
    # The minimum interval (issue #11): which dose of the course this is, and when the previous
    # dosing session's dose was given (None for the first dose). No dose number = cannot check.
    dose_number: int | None = None
    previous_dosing_at: datetime | None = None
    # Current mental state asked today (shared/current_state.toml): question id -> yes (True) / no
    # (False); a question left out is "not asked" (no go).
    current_state: Mapping[str, bool | None] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True, slots=True)
class CourseState:
    """A client's course so far, for ``next_step``."""

    now: datetime
    preparation_sessions_done: int = 0
    dosing_sessions: tuple[datetime, ...] = ()
    integration_sessions: tuple[datetime, ...] = ()
