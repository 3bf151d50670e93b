"""The facts a screening rule set reads: catalogue, JSON-Schema description and strict validation.

The input is one JSON-shaped object (documented in ``FACTS.md`` beside this file): top-level
scalars, a ``history`` object of flags, an ``allergies`` object and a ``medications`` list.
``validate_facts`` refuses anything inconsistent with an error naming the field, and flattens
the rest into ``Facts``: a map from *fact name* (the names rules use, e.g. ``bp_systolic``,
``history.psychosis``, ``medications.classes``) to a known value.

A fact that is absent, or given as ``null``, is **unknown**. Unknown is not false: a rule that
needs an unknown fact cannot be decided, and the engine says so instead of passing it.

Physiological plausibility bounds (for catching data-entry errors) are *data*: they come from
the rule set's ``[fact_bounds]`` table and are passed in here. Only structural limits (types,
enumerations, PHQ-9 item 9 being 0-3, a dose not being negative) live in this file.

Pure Python, no Django.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

Number = int | float

BOOLEAN = "boolean"
INTEGER = "integer"
NUMBER = "number"
CHOICE = "choice"
SET = "set"
KINDS = (BOOLEAN, INTEGER, NUMBER, CHOICE, SET)
NUMERIC_KINDS = (INTEGER, NUMBER)


@dataclass(frozen=True, slots=True)
class FactSpec:
    """One fact rules may read. ``section`` is where it sits in the input document."""

    name: str
    kind: str
    description: str
    section: str | None = None  # None (top level), "history", "allergies" or "medications"
    choices: tuple[str, ...] = ()
    minimum: Number | None = None  # structural limit (not clinical): e.g. PHQ-9 item 9 is 0-3
    maximum: Number | None = None
    unit: str | None = None
    boundable: bool = False  # may carry physiological bounds in the rule set's [fact_bounds]

    @property
    def key(self) -> str:
        """The key inside its section of the input document."""
        return self.name.rsplit(".", 1)[-1]


@dataclass(frozen=True, slots=True)
class Bound:
    """Physiological plausibility bounds for one numeric fact (inclusive), from the rule set."""

    min: Number
    max: Number
    note: str | None = None


@dataclass(frozen=True, slots=True)
class FieldError:
    """One refused input field: ``field`` is a path such as ``history.psychosis`` or
    ``medications[1].classes``; ``code`` is stable for programs, ``message`` is for people."""

    field: str
    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message}


class FactsError(ValueError):
    """The facts cannot be used; ``errors`` names every offending field."""

    def __init__(self, errors: list[FieldError] | tuple[FieldError, ...]) -> None:
        self.errors: tuple[FieldError, ...] = tuple(errors)
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in self.errors))


# --------------------------------------------------------------------------------------------
# The catalogue (the single source for validation, the JSON Schema and FACTS.md's table)
# --------------------------------------------------------------------------------------------

SEX_AT_BIRTH = ("female", "male", "intersex")
HEPATIC_IMPAIRMENT = ("none", "mild", "moderate", "severe")
CSSRS_RISK = ("none", "low", "moderate", "high")
PRODUCTS = ("esketamine", "racemic_ketamine")
ROUTES = ("intranasal", "intravenous", "intramuscular", "sublingual", "buccal", "oral")
MEDICATION_CLASSES = (
    "benzodiazepine",
    "opioid",
    "sedative_hypnotic",
    "gabapentinoid",
    "stimulant",
    "maoi",
    "lamotrigine",
    "cyp3a4_inducer",
    "cyp3a4_inhibitor",
    "cyp2b6_inducer",
    "cyp2b6_inhibitor",
    "antidepressant",
    "antipsychotic",
    "nasal_corticosteroid",
    "nasal_decongestant",
    "other",
)

_TOP: tuple[FactSpec, ...] = (
    FactSpec("age_years", INTEGER, "Age in whole years.", unit="years", boundable=True),
    FactSpec(
        "sex_at_birth",
        CHOICE,
        "Sex assigned at birth (for pregnancy and lactation logic).",
        choices=SEX_AT_BIRTH,
    ),
    FactSpec("pregnant", BOOLEAN, "Currently pregnant (or pregnancy not excluded by the clinician)."),
    FactSpec("lactating", BOOLEAN, "Currently breastfeeding or expressing milk."),
    FactSpec("contraception", BOOLEAN, "Uses effective contraception (when pregnancy is possible)."),
    FactSpec(
        "bp_systolic", NUMBER, "Resting systolic blood pressure at screening.", unit="mmHg", boundable=True
    ),
    FactSpec(
        "bp_diastolic", NUMBER, "Resting diastolic blood pressure at screening.", unit="mmHg", boundable=True
    ),
    FactSpec("heart_rate", NUMBER, "Resting heart rate at screening.", unit="beats/min", boundable=True),
    FactSpec(
        "weight_kg", NUMBER, "Body weight (used for mg/kg dosing; validated here).", unit="kg", boundable=True
    ),
    FactSpec(
        "phq9_item9",
        INTEGER,
        "Most recent PHQ-9 item 9 answer (0 not at all ... 3 nearly every day).",
        minimum=0,
        maximum=3,
    ),
    FactSpec("cssrs_risk", CHOICE, "Most recent C-SSRS screener triage level.", choices=CSSRS_RISK),
    FactSpec(
        "product",
        CHOICE,
        "Product being considered: esketamine (e.g. SPRAVATO) or racemic ketamine.",
        choices=PRODUCTS,
    ),
    FactSpec("route", CHOICE, "Planned route of administration.", choices=ROUTES),
)

_HISTORY_FLAGS: tuple[tuple[str, str], ...] = (
    (
        "aneurysmal_vascular_disease",
        "Aneurysmal vascular disease (thoracic/abdominal aorta, intracranial or "
        "peripheral arterial vessels).",
    ),
    ("arteriovenous_malformation", "Arteriovenous malformation."),
    ("intracerebral_hemorrhage", "History of intracerebral hemorrhage."),
    ("hypertensive_encephalopathy", "History of hypertensive encephalopathy."),
    (
        "cardiovascular_disease",
        "Clinically significant cardiovascular disease (e.g. ischemic heart disease, "
        "heart failure, significant arrhythmia, poorly controlled hypertension).",
    ),
    ("cerebrovascular_event", "Prior cerebrovascular event (stroke or TIA)."),
    ("raised_intracranial_pressure", "Raised intracranial pressure or intracranial mass."),
    ("raised_intraocular_pressure", "Raised intraocular pressure (e.g. glaucoma)."),
    ("open_eye_injury", "Open (penetrating) eye injury."),
    ("psychosis", "Lifetime history of psychosis (including psychotic features of a mood episode)."),
    ("schizophrenia_spectrum", "Schizophrenia-spectrum disorder (or psychotic bipolar disorder)."),
    ("mania", "Lifetime history of mania or hypomania."),
    (
        "current_psychotic_symptoms",
        "Current psychotic symptoms (hallucinations, delusions, disorganised thinking), as asked now: "
        "distinct from lifetime history.",
    ),
    (
        "current_manic_symptoms",
        "Current manic or hypomanic symptoms, as asked now: distinct from lifetime history.",
    ),
    ("family_history_psychosis", "Psychosis in a first-degree relative."),
    ("substance_use_disorder", "Lifetime history of substance use disorder (including alcohol)."),
    ("ketamine_misuse", "History of ketamine or PCP misuse (more than rare recreational use)."),
    ("seizure", "Seizure disorder or history of seizures."),
    ("sleep_apnoea", "Obstructive or central sleep apnoea."),
    (
        "cystitis_or_urological_symptoms",
        "Cystitis or lower urinary tract symptoms (dysuria, frequency, urgency, hematuria).",
    ),
    ("uncontrolled_hyperthyroidism", "Untreated or uncontrolled hyperthyroidism."),
    ("traumatic_brain_injury", "Symptomatic traumatic brain injury."),
    ("neurocognitive_disorder", "Neurocognitive disorder (e.g. dementia)."),
)

_HISTORY: tuple[FactSpec, ...] = (
    *(FactSpec(f"history.{key}", BOOLEAN, text, section="history") for key, text in _HISTORY_FLAGS),
    FactSpec(
        "history.hepatic_impairment",
        CHOICE,
        "Hepatic impairment (moderate ~ Child-Pugh B, severe ~ Child-Pugh C).",
        section="history",
        choices=HEPATIC_IMPAIRMENT,
    ),
)

_ALLERGIES: tuple[FactSpec, ...] = (
    FactSpec("allergies.ketamine", BOOLEAN, "Hypersensitivity to ketamine (racemic).", section="allergies"),
    FactSpec(
        "allergies.esketamine",
        BOOLEAN,
        "Hypersensitivity to esketamine or its excipients.",
        section="allergies",
    ),
)

_MEDICATIONS: tuple[FactSpec, ...] = (
    FactSpec(
        "medications.classes",
        SET,
        "Set of medication classes the client takes (derived from the "
        "medications list; empty when the list is empty).",
        section="medications",
        choices=MEDICATION_CLASSES,
    ),
    FactSpec(
        "medications.benzodiazepine_diazepam_equivalent_mg_per_day",
        NUMBER,
        "Total daily benzodiazepine dose in diazepam equivalents (derived: the sum over benzodiazepine "
        "entries; 0 when none; unknown when any benzodiazepine entry lacks its dose).",
        section="medications",
        minimum=0,
        unit="mg/day",
    ),
)

FACT_SPECS: Mapping[str, FactSpec] = MappingProxyType(
    {spec.name: spec for spec in (*_TOP, *_HISTORY, *_ALLERGIES, *_MEDICATIONS)}
)
FACT_NAMES: tuple[str, ...] = tuple(FACT_SPECS)

_TOP_SPECS: Mapping[str, FactSpec] = {spec.name: spec for spec in _TOP}
_SECTION_SPECS: Mapping[str, Mapping[str, FactSpec]] = {
    "history": {spec.key: spec for spec in _HISTORY},
    "allergies": {spec.key: spec for spec in _ALLERGIES},
}
_MEDICATION_ENTRY_KEYS = ("name", "classes", "diazepam_equivalent_mg_per_day")
_BENZO_FACT = "medications.benzodiazepine_diazepam_equivalent_mg_per_day"


# --------------------------------------------------------------------------------------------
# Validated facts
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Facts:
    """Known facts by name (unknown facts are simply not in ``values``), and the facts that were
    derived rather than given, with the reason."""

    values: Mapping[str, object]
    derived: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def get(self, name: str) -> object | None:
        """The value, or ``None`` when the fact is unknown."""
        return self.values.get(name)

    def known(self, name: str) -> bool:
        return name in self.values


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _check_scalar(
    spec: FactSpec, path: str, value: object, bounds: Mapping[str, Bound], errors: list[FieldError]
) -> object | None:
    """Return the accepted value (``None`` for unknown), appending an error when refused."""
    if value is None:
        return None
    if spec.kind == BOOLEAN:
        if isinstance(value, bool):
            return value
        errors.append(FieldError(path, "wrong_type", f"{path}: expected true, false or null, got {value!r}"))
        return None
    if spec.kind == CHOICE:
        if isinstance(value, str) and value in spec.choices:
            return value
        errors.append(
            FieldError(
                path, "not_a_choice", f"{path}: expected one of {', '.join(spec.choices)}, got {value!r}"
            )
        )
        return None
    # numeric
    if spec.kind == INTEGER and not (isinstance(value, int) and not isinstance(value, bool)):
        errors.append(FieldError(path, "wrong_type", f"{path}: expected a whole number, got {value!r}"))
        return None
    if not _is_number(value):
        errors.append(FieldError(path, "wrong_type", f"{path}: expected a number, got {value!r}"))
        return None
    number: Number = value  # type: ignore[assignment]
    if not math.isfinite(number):
        errors.append(FieldError(path, "not_finite", f"{path}: expected a finite number"))
        return None
    if (spec.minimum is not None and number < spec.minimum) or (
        spec.maximum is not None and number > spec.maximum
    ):
        low = _fmt(spec.minimum) if spec.minimum is not None else "-inf"
        high = _fmt(spec.maximum) if spec.maximum is not None else "+inf"
        errors.append(FieldError(path, "out_of_range", f"{path}: {_fmt(number)} is outside {low}..{high}"))
        return None
    bound = bounds.get(spec.name)
    if bound is not None and not bound.min <= number <= bound.max:
        unit = f" {spec.unit}" if spec.unit else ""
        errors.append(
            FieldError(
                path,
                "implausible",
                f"{path}: {_fmt(number)}{unit} is outside the plausible range "
                f"{_fmt(bound.min)}..{_fmt(bound.max)}{unit} (physiological bounds in the rule set); "
                "check for a typing or unit error",
            )
        )
        return None
    return number


def _section(
    name: str, raw: object, bounds: Mapping[str, Bound], values: dict[str, object], errors: list[FieldError]
) -> None:
    if raw is None:
        return
    if not isinstance(raw, Mapping):
        errors.append(FieldError(name, "wrong_type", f"{name}: expected an object or null"))
        return
    specs = _SECTION_SPECS[name]
    for key, value in raw.items():
        path = f"{name}.{key}"
        spec = specs.get(key) if isinstance(key, str) else None
        if spec is None:
            errors.append(FieldError(path, "unknown_key", f"{path}: unknown fact (see FACTS.md)"))
            continue
        accepted = _check_scalar(spec, path, value, bounds, errors)
        if accepted is not None:
            values[spec.name] = accepted


def _medications(raw: object, values: dict[str, object], errors: list[FieldError]) -> None:
    if raw is None:
        return
    if not isinstance(raw, list):
        errors.append(FieldError("medications", "wrong_type", "medications: expected a list or null"))
        return
    classes: set[str] = set()
    benzo_total: float = 0
    benzo_known = True
    for index, entry in enumerate(raw):
        where = f"medications[{index}]"
        if not isinstance(entry, Mapping):
            errors.append(FieldError(where, "wrong_type", f"{where}: expected an object"))
            continue
        unknown = [str(k) for k in entry if k not in _MEDICATION_ENTRY_KEYS]
        for key in unknown:
            errors.append(
                FieldError(
                    f"{where}.{key}",
                    "unknown_key",
                    f"{where}.{key}: unknown key (expected name, classes, diazepam_equivalent_mg_per_day)",
                )
            )
        name = entry.get("name")
        if name is not None and not isinstance(name, str):
            errors.append(FieldError(f"{where}.name", "wrong_type", f"{where}.name: expected text"))
        entry_classes = entry.get("classes")
        if (
            not isinstance(entry_classes, list)
            or not entry_classes
            or not all(isinstance(c, str) and c in MEDICATION_CLASSES for c in entry_classes)
        ):
            errors.append(
                FieldError(
                    f"{where}.classes",
                    "not_a_choice",
                    f"{where}.classes: expected a non-empty list drawn from {', '.join(MEDICATION_CLASSES)} "
                    f'(use "other" for anything else), got {entry_classes!r}',
                )
            )
            continue
        classes.update(entry_classes)
        dose_path = f"{where}.diazepam_equivalent_mg_per_day"
        dose = entry.get("diazepam_equivalent_mg_per_day")
        if "benzodiazepine" not in entry_classes:
            if dose is not None:
                errors.append(
                    FieldError(
                        dose_path,
                        "not_applicable",
                        f"{dose_path}: only a benzodiazepine entry carries a diazepam equivalent",
                    )
                )
            continue
        if dose is None:
            benzo_known = False
            continue
        accepted = _check_scalar(FACT_SPECS[_BENZO_FACT], dose_path, dose, {}, errors)
        if accepted is not None:
            benzo_total += accepted  # type: ignore[operator]
    # (any error above refuses the whole document, so these are only used when every entry is valid)
    values["medications.classes"] = frozenset(classes)
    if benzo_known:
        values[_BENZO_FACT] = benzo_total


def validate_facts(raw: object, bounds: Mapping[str, Bound] | None = None) -> Facts:
    """Validate a JSON-shaped facts document and flatten it. Raises ``FactsError`` naming every
    refused field. ``bounds`` are the rule set's physiological bounds (``RuleSet.bounds``)."""
    bounds = bounds or {}
    if not isinstance(raw, Mapping):
        raise FactsError([FieldError("facts", "wrong_type", "facts: expected a JSON object")])
    errors: list[FieldError] = []
    values: dict[str, object] = {}
    for key, value in raw.items():
        if key in _SECTION_SPECS:
            _section(key, value, bounds, values, errors)
        elif key == "medications":
            _medications(value, values, errors)
        elif key in _TOP_SPECS:
            accepted = _check_scalar(_TOP_SPECS[key], key, value, bounds, errors)
            if accepted is not None:
                values[key] = accepted
        else:
            errors.append(FieldError(str(key), "unknown_key", f"{key}: unknown fact (see FACTS.md)"))

    sex = values.get("sex_at_birth")
    derived: dict[str, str] = {}
    if sex == "male":
        for name in ("pregnant", "lactating"):
            if values.get(name) is True:
                errors.append(FieldError(name, "inconsistent", f"{name}: true, but sex_at_birth is male"))
            elif name not in values:
                values[name] = False
                derived[name] = "false because sex_at_birth is male"
    systolic, diastolic = values.get("bp_systolic"), values.get("bp_diastolic")
    if systolic is not None and diastolic is not None and diastolic >= systolic:  # type: ignore[operator]
        errors.append(
            FieldError(
                "bp_diastolic",
                "inconsistent",
                f"bp_diastolic: {_fmt(diastolic)} is not below bp_systolic {_fmt(systolic)}; "
                "check the reading",
            )
        )
    if errors:
        raise FactsError(errors)
    return Facts(MappingProxyType(values), MappingProxyType(derived))


# --------------------------------------------------------------------------------------------
# JSON Schema (draft 2020-12 subset) of the input document
# --------------------------------------------------------------------------------------------


def _schema_for(spec: FactSpec, bounds: Mapping[str, Bound]) -> dict[str, object]:
    schema: dict[str, object] = {"description": spec.description}
    if spec.kind == BOOLEAN:
        schema["type"] = ["boolean", "null"]
    elif spec.kind == CHOICE:
        schema["enum"] = [*spec.choices, None]
    else:
        schema["type"] = ["integer" if spec.kind == INTEGER else "number", "null"]
        bound = bounds.get(spec.name)
        low = [v for v in (spec.minimum, bound.min if bound else None) if v is not None]
        high = [v for v in (spec.maximum, bound.max if bound else None) if v is not None]
        if low:
            schema["minimum"] = max(low)
        if high:
            schema["maximum"] = min(high)
    if spec.unit:
        schema["x-unit"] = spec.unit
    return schema


def facts_json_schema(bounds: Mapping[str, Bound] | None = None) -> dict[str, object]:
    """A JSON Schema describing the facts document (with the rule set's bounds, when given).
    Cross-field checks (pregnant/lactating vs sex_at_birth, diastolic below systolic) are
    listed under ``x-consistency``; ``validate_facts`` is the authority."""
    bounds = bounds or {}
    properties: dict[str, object] = {spec.name: _schema_for(spec, bounds) for spec in _TOP}
    for section, specs in _SECTION_SPECS.items():
        properties[section] = {
            "type": ["object", "null"],
            "additionalProperties": False,
            "properties": {key: _schema_for(spec, bounds) for key, spec in specs.items()},
        }
    properties["medications"] = {
        "type": ["array", "null"],
        "description": "Every current medication; [] means none, absent or null means unknown.",
        "items": {
            "type": "object",
            "additionalProperties": False,
            "required": ["classes"],
            "properties": {
                "name": {"type": ["string", "null"]},
                "classes": {"type": "array", "minItems": 1, "items": {"enum": list(MEDICATION_CLASSES)}},
                "diazepam_equivalent_mg_per_day": {
                    "type": ["number", "null"],
                    "minimum": 0,
                    "description": "Only on a benzodiazepine entry; absent means dose unknown.",
                },
            },
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Kapstone screening facts",
        "type": "object",
        "additionalProperties": False,
        "properties": properties,
        "x-consistency": [
            "pregnant or lactating true requires sex_at_birth other than male",
            "bp_diastolic must be below bp_systolic",
            "diazepam_equivalent_mg_per_day only on an entry whose classes include benzodiazepine",
        ],
    }
