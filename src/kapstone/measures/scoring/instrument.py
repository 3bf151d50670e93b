"""The parsed instrument definition: frozen dataclasses the scoring engine, the change statistics,
FHIR and the forms read. Built only by the parser (``parser.py``), which validates everything first.
Pure Python, no Django.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from kapstone.lib.datafile import Source, number_problem, version_key

from .rules import Condition, Evaluator, Operand

Number = int | float
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")


@dataclass(frozen=True, slots=True)
class Licence:
    name: str
    text_may_be_shipped: bool
    note: str | None
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Loinc:
    panel: str | None = None
    total: str | None = None
    band: str | None = None
    answer_list: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class ResponseOption:
    value: int
    label: str
    loinc: str | None


@dataclass(frozen=True, slots=True)
class ResponseSet:
    """Either a list of options (``kind = "choice"``) or a numeric range (``kind = "range"``)."""

    id: str
    kind: str
    options: tuple[ResponseOption, ...]
    min: Number
    max: Number
    integer: bool
    min_label: str | None
    max_label: str | None


@dataclass(frozen=True, slots=True)
class Item:
    id: str
    position: int  # 1-based order in the file; used only to read positional (CLI) input
    text: str
    descriptor: str | None
    loinc: str | None
    response: ResponseSet
    scored: bool
    required: bool
    ask_if: Condition | None


@dataclass(frozen=True, slots=True)
class Option:
    id: str
    type: str
    label: str
    default: object  # None when the clinic must supply it
    choices: tuple[str, ...]
    min: Number | None
    max: Number | None
    status: str
    note: str | None
    sources: tuple[str, ...]
    floor_max: Number | None = None  # the safety floor: a clinic may tighten, never loosen past it
    floor_note: str | None = None

    def check(self, value: object) -> str | None:
        """Return why ``value`` is not acceptable for this option, or ``None``."""
        if self.type == "boolean":
            return None if isinstance(value, bool) else "expected true or false"
        if self.type == "choice":
            if isinstance(value, str) and value in self.choices:
                return None
            return f"expected one of {', '.join(self.choices)}"
        return number_problem(value, self)

    def parse_text(self, text: str) -> object:
        """Convert command-line text to this option's type; return the text unchanged when it
        does not parse, so that ``check`` reports it."""
        if self.type == "boolean":
            lowered = text.strip().lower()
            if lowered in ("true", "yes", "on", "1"):
                return True
            if lowered in ("false", "no", "off", "0"):
                return False
            return text
        if self.type == "choice":
            return text
        return parse_number(text, text)


@dataclass(frozen=True, slots=True)
class Band:
    min: int
    max: int
    label: str
    interpretation: str
    loinc: str | None


@dataclass(frozen=True, slots=True)
class Subscale:
    id: str
    label: str
    items: tuple[str, ...]
    min: int
    max: int
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Level:
    value: int
    label: str
    when: Condition
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Scoring:
    method: str | None  # "sum" | "mean" | "highest_level"; None when chosen by an option
    method_option: str | None
    items: tuple[str, ...]
    multiplier: int
    levels: tuple[Level, ...]
    default_level: int
    sources: tuple[str, ...]
    note: str | None


@dataclass(frozen=True, slots=True)
class Flag:
    id: str
    severity: str
    message: str
    when: Condition
    item: str | None
    summary: str | None  # short text appended to the interpretation when the flag is raised
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Threshold:
    """One change threshold: a number or an option reference, with its sources."""

    value: Operand
    sources: tuple[str, ...]
    note: str | None
    op: str | None = None  # remission only: how the latest total is compared with ``value``


@dataclass(frozen=True, slots=True)
class Rci:
    sd: Operand
    reliability: Operand
    z: Operand
    sources: tuple[str, ...]
    note: str | None


@dataclass(frozen=True, slots=True)
class ChangeSpec:
    direction: str
    response_percent: Threshold | None
    remission: Threshold | None
    reliable_change: Threshold | None
    minimal_important_change: Threshold | None
    rci: Rci | None
    comparable_versions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CompiledFlag:
    flag: Flag
    evaluate: Evaluator
    default_message: str
    default_summary: str | None
    review_message: str  # used when a safety flag cannot be decided on an incomplete response


@dataclass(frozen=True, slots=True)
class Runtime:
    """Precomputed structures the engine uses on every call (built once, at load)."""

    index: Mapping[str, Item]
    item_ids: frozenset[str]
    checks: tuple[tuple[str, frozenset[int], ResponseSet], ...]  # (id, whole-number fast path, response)
    required_plain: frozenset[str]
    required_order: tuple[str, ...]
    conditional: tuple[tuple[str, bool, Evaluator], ...]
    levels: tuple[tuple[int, Evaluator], ...]  # highest first
    flags: tuple[CompiledFlag, ...]
    safety_flags: tuple[CompiledFlag, ...]
    needs_scores: bool
    band_table: tuple[Band, ...]
    default_options: Mapping[str, object]
    ranges: Mapping[str, tuple[Number, Number]]  # total range per method


@dataclass(frozen=True, slots=True)
class Instrument:
    format: int
    id: str
    version: str
    title: str
    short_title: str
    description: str | None
    recall: str | None
    reference: str | None
    citation: str
    licence: Licence
    item_text_supplied_by_clinic: bool
    loinc: Loinc
    sources: Mapping[str, Source]
    response_sets: Mapping[str, ResponseSet]
    items: tuple[Item, ...]
    options: Mapping[str, Option]
    scoring: Scoring
    subscales: tuple[Subscale, ...]
    bands: tuple[Band, ...]
    bands_sources: tuple[str, ...]
    flags: tuple[Flag, ...]
    change: ChangeSpec | None
    path: str
    runtime: Runtime = field(repr=False, compare=False)

    @property
    def version_key(self) -> tuple[int, ...]:
        return version_key(self.version)

    def total_range(self, method: str) -> tuple[Number, Number]:
        return self.runtime.ranges[method]


def parse_number(text: str, fallback: object) -> object:
    """Parse ``text`` as an int (preferred) or a finite float; otherwise return ``fallback``."""
    stripped = text.strip()
    if re.fullmatch(r"[+-]?\d+", stripped):
        return int(stripped)
    try:
        number = float(stripped)
    except ValueError:
        return fallback
    return number if math.isfinite(number) else fallback


def fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def render_message(message: str, options: Mapping[str, object]) -> str:
    """Fill ``{option}`` placeholders in a flag message with the option values in force."""
    return PLACEHOLDER.sub(lambda m: fmt(options[m.group(1)]), message)


__all__ = [
    "Band",
    "ChangeSpec",
    "CompiledFlag",
    "Flag",
    "Instrument",
    "Item",
    "Level",
    "Licence",
    "Loinc",
    "Number",
    "Option",
    "Rci",
    "ResponseOption",
    "ResponseSet",
    "Runtime",
    "Scoring",
    "Source",
    "Subscale",
    "Threshold",
    "parse_number",
    "fmt",
    "render_message",
    "version_key",
]
