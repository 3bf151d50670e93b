"""Screening rule sets as data: the rule language (conditions), sources, clinic settings, rules and
the loaded ``RuleSet``, with the clinic's setting overrides resolved against it. The file format and
its strict reader are in ``ruleset.py``. Pure Python, no Django.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

from kapstone.lib.datafile import number_problem

from .facts import Bound, FieldError, Number

CONTRAINDICATED = "contraindicated"
PRESCRIBER_JUDGEMENT = "prescriber_judgement"
CLINIC_POLICY = "clinic_policy"
LEVELS = (CONTRAINDICATED, PRESCRIBER_JUDGEMENT, CLINIC_POLICY)

SETTING_TYPES = ("integer", "number")
SETTING_STATUSES = ("confirmed", "UNCONFIRMED", "CONFLICT", "design-choice", "foreign-label", "clinic-policy")
OPS = ("==", "!=", "<", "<=", ">", ">=")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


class SettingsError(ValueError):
    """Setting overrides were refused; ``errors`` names each one as ``settings.<name>``."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors: tuple[FieldError, ...] = tuple(errors)
        super().__init__("; ".join(e.message for e in self.errors))


# --------------------------------------------------------------------------------------------
# Conditions (the rule language)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SettingRef:
    """A threshold taken from a clinic setting: ``value = { setting = "name" }``."""

    name: str


Value = bool | str | int | float | SettingRef


@dataclass(frozen=True, slots=True)
class Compare:
    """``{ fact = "bp_systolic", op = ">", value = 140 }``"""

    fact: str
    op: str
    value: Value


@dataclass(frozen=True, slots=True)
class OneOf:
    """``{ fact = "cssrs_risk", in = ["moderate", "high"] }``: the fact's value is listed."""

    fact: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Contains:
    """``{ fact = "medications.classes", contains_any = ["stimulant", "maoi"] }`` (or
    ``contains = "maoi"``): the set-valued fact holds at least one of ``values``."""

    fact: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AllOf:
    parts: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    parts: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Always:
    """``when = true``: a checklist item that always applies (clinic policy only)."""


Condition = Compare | OneOf | Contains | AllOf | AnyOf | Always


def condition_facts(cond: Condition) -> tuple[str, ...]:
    """Every fact a condition reads, in first-use order, without repeats."""
    if isinstance(cond, Always):
        return ()
    if isinstance(cond, AllOf | AnyOf):
        seen: dict[str, None] = {}
        for part in cond.parts:
            seen.update(dict.fromkeys(condition_facts(part)))
        return tuple(seen)
    return (cond.fact,)


def condition_settings(cond: Condition) -> set[str]:
    if isinstance(cond, AllOf | AnyOf):
        found: set[str] = set()
        for part in cond.parts:
            found |= condition_settings(part)
        return found
    if isinstance(cond, Compare) and isinstance(cond.value, SettingRef):
        return {cond.value.name}
    return set()


def format_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, frozenset | set | list | tuple):
        return "[" + ", ".join(sorted(str(v) for v in value)) + "]"
    return str(value)


def describe(cond: Condition, settings: Mapping[str, Number] | None = None) -> str:
    """A short human-readable rendering (used in rationales). With ``settings``, a setting
    reference shows its value in force as well as its name."""
    if isinstance(cond, Always):
        return "always"
    if isinstance(cond, Compare):
        if isinstance(cond.value, SettingRef):
            name = cond.value.name
            rhs = f"{format_value(settings[name])} (setting {name})" if settings else f"setting {name}"
        else:
            rhs = format_value(cond.value)
        return f"{cond.fact} {cond.op} {rhs}"
    if isinstance(cond, OneOf):
        return f"{cond.fact} in {format_value(cond.values)}"
    if isinstance(cond, Contains):
        return f"{cond.fact} contains any of {format_value(cond.values)}"
    joiner = " and " if isinstance(cond, AllOf) else " or "
    return joiner.join(f"({describe(p, settings)})" for p in cond.parts)


# --------------------------------------------------------------------------------------------
# The rule set
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Source:
    key: str
    citation: str
    grade: str | None
    url: str | None
    note: str | None


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    type: str
    default: Number
    label: str
    min: Number | None
    max: Number | None
    unit: str | None
    status: str
    note: str
    source: tuple[str, ...]
    floor_max: Number | None = None  # the safety floor: a clinic may tighten, never loosen past it
    floor_note: str | None = None

    def check(self, value: object) -> str | None:
        """Why ``value`` is not acceptable for this setting, or ``None``."""
        return number_problem(value, self)

    def parse_text(self, text: str) -> object:
        """Command-line text to a number; the text itself when it does not parse (so ``check``
        reports it)."""
        stripped = text.strip()
        if re.fullmatch(r"[+-]?\d+", stripped):
            return int(stripped)
        try:
            return float(stripped)
        except ValueError:
            return text


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    level: str
    title: str
    when: Condition
    facts: tuple[str, ...]
    rationale: str
    source: tuple[str, ...]
    note: str | None


@dataclass(frozen=True, slots=True, eq=False)
class RuleSet:
    """A loaded rule set. Compared and hashed by identity (records refer to a rule set by its
    ``id`` and ``version``)."""

    format: int
    id: str
    version: str
    title: str
    effective: dt.date
    description: str | None
    sources: Mapping[str, Source]
    settings: Mapping[str, Setting]
    bounds: Mapping[str, Bound]
    rules: tuple[Rule, ...]
    path: str

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    @property
    def defaults(self) -> dict[str, Number]:
        return {name: s.default for name, s in self.settings.items()}

    def resolve_settings(self, overrides: Mapping[str, object] | None = None) -> dict[str, Number]:
        """The settings in force: defaults with the clinic's overrides applied. Raises
        ``SettingsError`` for an unknown name or an unacceptable value."""
        resolved = self.defaults
        errors: list[FieldError] = []
        for name, value in (overrides or {}).items():
            setting = self.settings.get(name)
            if setting is None:
                known = ", ".join(sorted(self.settings))
                errors.append(
                    FieldError(
                        f"settings.{name}",
                        "unknown_setting",
                        f"settings.{name}: no such setting (known: {known})",
                    )
                )
                continue
            problem = setting.check(value)
            if problem is not None:
                errors.append(
                    FieldError(
                        f"settings.{name}", "invalid_setting", f"settings.{name}: {problem}, got {value!r}"
                    )
                )
                continue
            resolved[name] = value  # type: ignore[assignment]
        if errors:
            raise SettingsError(errors)
        return resolved

    def render(self, text: str, settings: Mapping[str, Number]) -> str:
        """Replace ``{setting_name}`` placeholders with the values in force."""
        return PLACEHOLDER.sub(lambda m: format_value(settings[m.group(1)]), text)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready description of the rule set (for listing it in a UI or a CLI)."""
        return {
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "effective": self.effective.isoformat(),
            "sources": {k: {"citation": s.citation, "grade": s.grade} for k, s in self.sources.items()},
            "settings": {
                name: {
                    "default": s.default,
                    "type": s.type,
                    "min": s.min,
                    "max": s.max,
                    "unit": s.unit,
                    "status": s.status,
                    "label": s.label,
                    "note": s.note,
                    "source": list(s.source),
                    "safety_floor": None
                    if s.floor_max is None
                    else {"max": s.floor_max, "note": s.floor_note},
                }
                for name, s in self.settings.items()
            },
            "fact_bounds": {name: {"min": b.min, "max": b.max} for name, b in self.bounds.items()},
            "rules": [
                {
                    "id": r.id,
                    "level": r.level,
                    "title": r.title,
                    "facts": list(r.facts),
                    "when": describe(r.when),
                    "source": list(r.source),
                }
                for r in self.rules
            ],
        }
