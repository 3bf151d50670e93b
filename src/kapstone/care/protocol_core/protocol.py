"""The parsed dosing protocol: frozen dataclasses and the vocabularies a protocol file may use.

Built by ``parser.py`` from a validated TOML file, read by the checks. Every number carries its
provenance (cited sources, or a clinic setting). Pure Python, no Django.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kapstone.lib.datafile import Source

from ._toml import version_key

__all__ = [
    "ALERT_SEVERITIES",
    "Administration",
    "AlertRule",
    "Attestation",
    "Booster",
    "Ceiling",
    "ChecklistItem",
    "Course",
    "Discharge",
    "DischargeLimit",
    "DoseBounds",
    "DoseRule",
    "Emergency",
    "Fasting",
    "FastingAlternative",
    "HARD_STOP",
    "LIMIT_LEVELS",
    "MEDICATION_LEVELS",
    "MOOD_LEVELS",
    "MedicationClass",
    "Monitoring",
    "MoodCheckRule",
    "MoodResult",
    "NO_DRIVING_RULES",
    "NoDriving",
    "NoDrivingAlternative",
    "Number",
    "OPS",
    "PRODUCTS",
    "Phases",
    "PreDose",
    "Protocol",
    "Provenance",
    "ROUTES",
    "Schedule",
    "Series",
    "Source",
    "Stage",
    "Symptom",
    "Tier",
    "Titration",
    "VITALS",
    "Value",
    "VitalLimit",
    "WARN",
]

ROUTES = ("sublingual", "buccal", "oral", "im", "iv", "intranasal")
PRODUCTS = ("racemic_ketamine", "esketamine")
WARN = "warn_requires_justification"
HARD_STOP = "hard_stop"
LIMIT_LEVELS = (WARN, HARD_STOP)
MEDICATION_LEVELS = ("noted", WARN, HARD_STOP)
MOOD_LEVELS = ("ok", "noted", WARN, HARD_STOP)
VITALS = ("systolic", "diastolic", "heart_rate", "spo2", "respiratory_rate", "moaas")
OPS = (">", ">=", "<", "<=")
ALERT_SEVERITIES = ("urgent", "warning")
NO_DRIVING_RULES = ("next_day_after_sleep", "hours")

Number = int | float


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a number (or rule) comes from: cited sources, or a clinic setting with a note."""

    sources: tuple[str, ...]
    clinic_setting: bool
    note: str | None

    def cite(self) -> str:
        refs = ", ".join(self.sources)
        if self.clinic_setting:
            return f"clinic setting, default from {refs}" if refs else "clinic setting"
        return f"source: {refs}"

    def to_dict(self) -> dict[str, object]:
        return {"sources": list(self.sources), "clinic_setting": self.clinic_setting, "note": self.note}


@dataclass(frozen=True, slots=True)
class Value:
    """One number with its provenance. ``level`` matters only for limits."""

    value: Number
    provenance: Provenance
    field: str
    level: str = WARN

    def cite(self) -> str:
        return self.provenance.cite()


@dataclass(frozen=True, slots=True)
class Series:
    """An ordered list of numbers (minutes after the dose) with its provenance."""

    values: tuple[Number, ...]
    provenance: Provenance
    field: str


@dataclass(frozen=True, slots=True)
class DoseBounds:
    min_mg: Value | None
    max_mg: Value | None
    min_mg_per_kg: Value | None
    max_mg_per_kg: Value | None
    per_session_max_mg: Value | None
    per_session_max_mg_per_kg: Value | None
    multiple_of_mg: Value | None


@dataclass(frozen=True, slots=True)
class Ceiling:
    """Absolute limits (always a hard stop, never a justification): per dose and per session, in mg
    and mg/kg, plus the decimal-slip guard (a dose this many times the previous one is stopped).
    Raised only by a new protocol version saved by a prescriber (audited), never per dose."""

    max_mg: Value
    max_mg_per_kg: Value
    per_session_max_mg: Value
    per_session_max_mg_per_kg: Value
    max_fold_of_previous_dose: Value

    def limits(self) -> tuple[Value, ...]:
        return (self.max_mg, self.max_mg_per_kg, self.per_session_max_mg, self.per_session_max_mg_per_kg)


@dataclass(frozen=True, slots=True)
class Administration:
    device_mg: Value | None
    rest_between_devices_minutes: Value | None
    infusion_minutes: Value | None
    note: str | None


@dataclass(frozen=True, slots=True)
class Tier:
    id: str
    label: str
    description: str | None
    min_mg: Value | None
    max_mg: Value | None
    min_mg_per_kg: Value | None
    max_mg_per_kg: Value | None


@dataclass(frozen=True, slots=True)
class Titration:
    first_dose_max_mg: Value | None
    first_dose_max_mg_per_kg: Value | None
    step_mg: Value | None
    step_mg_per_kg: Value | None


@dataclass(frozen=True, slots=True)
class DoseRule:
    """``dose_mg`` may be given only in a course that started at ``requires_start_mg``."""

    id: str
    dose_mg: Number
    requires_start_mg: Number
    level: str
    message: str
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class Booster:
    allowed: bool
    level: str
    provenance: Provenance
    max_count: Value | None
    min_minutes_after_first_dose: Value | None
    max_mg: Value | None
    max_mg_per_kg: Value | None


@dataclass(frozen=True, slots=True)
class Stage:
    id: str
    label: str
    first_dose: int
    last_dose: int | None
    frequency: str
    min_interval_hours: Value | None
    review: str | None
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class Course:
    min_interval_hours: Value
    sessions: Value | None
    weeks: Value | None
    stages: tuple[Stage, ...]

    def stage_for(self, dose_number: int) -> Stage | None:
        for stage in self.stages:
            if stage.first_dose <= dose_number and (
                stage.last_dose is None or dose_number <= stage.last_dose
            ):
                return stage
        return None

    def interval_for(self, dose_number: int | None) -> tuple[Value, Stage | None]:
        stage = self.stage_for(dose_number) if dose_number is not None else None
        if stage is not None and stage.min_interval_hours is not None:
            return stage.min_interval_hours, stage
        return self.min_interval_hours, stage


@dataclass(frozen=True, slots=True)
class Phases:
    preparation_sessions_before_first_dose: Value
    integration_within_hours: Value
    integration_after_each_dose: bool


@dataclass(frozen=True, slots=True)
class FastingAlternative:
    food_hours: Number
    liquid_minutes: Number
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class Fasting:
    food_hours: Value
    liquid_minutes: Value
    alternatives: tuple[FastingAlternative, ...]


@dataclass(frozen=True, slots=True)
class VitalLimit:
    id: str
    label: str
    vital: str
    op: str
    value: Value  # carries the level: warn_requires_justification | hard_stop


@dataclass(frozen=True, slots=True)
class Attestation:
    id: str
    label: str
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class MedicationClass:
    id: str
    label: str
    level: str  # noted | warn_requires_justification | hard_stop
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class MoodResult:
    id: str
    label: str
    level: str  # ok | noted | warn_requires_justification | hard_stop


@dataclass(frozen=True, slots=True)
class MoodCheckRule:
    label: str
    results: tuple[MoodResult, ...]
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class PreDose:
    required_vitals: tuple[str, ...]
    vital_limits: tuple[VitalLimit, ...]
    attestations: tuple[Attestation, ...]
    medications: tuple[MedicationClass, ...]
    mood_check: MoodCheckRule


@dataclass(frozen=True, slots=True)
class Schedule:
    pre_dose: bool
    at_minutes: Series | None
    every_minutes: Value | None
    tolerance_minutes: Value
    pre_dose_window_minutes: Value
    scales: tuple[str, ...]
    note: str | None


@dataclass(frozen=True, slots=True)
class Monitoring:
    vitals: Schedule
    ratings: Schedule | None


@dataclass(frozen=True, slots=True)
class AlertRule:
    id: str
    label: str
    vital: str
    op: str
    value: Value
    from_baseline: bool
    severity: str
    action: str


@dataclass(frozen=True, slots=True)
class Symptom:
    id: str
    label: str


@dataclass(frozen=True, slots=True)
class Emergency:
    symptoms: tuple[Symptom, ...]
    action: str
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    id: str
    label: str
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class NoDrivingAlternative:
    rule: str
    hours: Number | None
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class NoDriving:
    rule: str
    hours: Value | None
    provenance: Provenance
    alternatives: tuple[NoDrivingAlternative, ...]

    def text(self) -> str:
        if self.rule == "hours":
            assert self.hours is not None
            return f"no driving for {_fmt(self.hours.value)} h after the dose"
        return "no driving until the next day, after restful sleep"


@dataclass(frozen=True, slots=True)
class DischargeLimit:
    """A reading outside which the client may not leave (``op``/``value`` say when it is breached)."""

    id: str
    label: str
    vital: str
    op: str
    value: Value


@dataclass(frozen=True, slots=True)
class Discharge:
    min_observation_minutes: Value
    items: tuple[ChecklistItem, ...]
    no_driving: NoDriving
    # Discharge on real vitals (issue #11): the latest reading must be this recent and within these
    # limits. Optional in the format (a stored clinic version from before has neither); the safety
    # floors always apply as limits too.
    vital_limits: tuple[DischargeLimit, ...] = ()
    pre_discharge_vitals_minutes: Value | None = None


@dataclass(frozen=True, slots=True)
class Protocol:
    format: int
    id: str
    version: str
    title: str
    description: str | None
    reference: str | None
    route: str
    also_accepts_routes: tuple[str, ...]
    formulation: str
    product: str
    sources: Mapping[str, Source]
    dose: DoseBounds
    ceiling: Ceiling | None
    administration: Administration | None
    tiers: tuple[Tier, ...]
    titration: Titration
    dose_rules: tuple[DoseRule, ...]
    booster: Booster
    course: Course
    phases: Phases
    fasting: Fasting
    pre_dose: PreDose
    monitoring: Monitoring
    alerts: tuple[AlertRule, ...]
    hypertensive_emergency: Emergency
    discharge: Discharge
    path: str

    @property
    def version_key(self) -> tuple[int, ...]:
        return version_key(self.version)

    @property
    def routes(self) -> tuple[str, ...]:
        return (self.route, *self.also_accepts_routes)

    @property
    def uses_weight(self) -> bool:
        """True when any dose limit is in mg/kg (the weight is then needed to check a dose)."""
        per_kg: list[Value | None] = [
            self.dose.min_mg_per_kg,
            self.dose.max_mg_per_kg,
            self.dose.per_session_max_mg_per_kg,
            self.titration.first_dose_max_mg_per_kg,
            self.titration.step_mg_per_kg,
            self.booster.max_mg_per_kg,
        ]
        per_kg += [t.min_mg_per_kg for t in self.tiers] + [t.max_mg_per_kg for t in self.tiers]
        return any(v is not None for v in per_kg)

    def tier(self, tier_id: str) -> Tier | None:
        return next((t for t in self.tiers if t.id == tier_id), None)


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
