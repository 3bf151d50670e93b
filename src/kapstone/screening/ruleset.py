"""Screening rule sets: load a TOML file, validate it strictly, and resolve clinic settings.

The format is documented for clinic authors in ``rulesets/README.md``. Everything is checked at
load time (unknown keys, types, fact names and the types of the values compared with them,
setting references, citation keys, placeholders), so the engine never meets a malformed rule.
A problem raises ``RuleSetError`` naming the file and, for TOML syntax errors, the line; for a
problem inside a rule, the rule id. Pure Python, no Django.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .facts import (
    BOOLEAN,
    CHOICE,
    FACT_SPECS,
    NUMERIC_KINDS,
    SET,
    Bound,
    FieldError,
    Number,
)

FORMAT_VERSION = 1
SHIPPED_DIR = Path(__file__).resolve().parent / "rulesets"
DEFAULT_RULESET = SHIPPED_DIR / "default.toml"

CONTRAINDICATED = "contraindicated"
PRESCRIBER_JUDGEMENT = "prescriber_judgement"
CLINIC_POLICY = "clinic_policy"
LEVELS = (CONTRAINDICATED, PRESCRIBER_JUDGEMENT, CLINIC_POLICY)

SETTING_TYPES = ("integer", "number")
SETTING_STATUSES = ("confirmed", "UNCONFIRMED", "CONFLICT", "design-choice", "foreign-label", "clinic-policy")
GRADES = ("P", "S", "G")
OPS = ("==", "!=", "<", "<=", ">", ">=")
_EQUALITY_OPS = ("==", "!=")

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_RULESET_ID = re.compile(r"^[a-z][a-z0-9_-]*$")
_SOURCE_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9-]*$")
_VERSION = re.compile(r"^\d+(\.\d+){0,2}$")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_TOML_LINE = re.compile(r"at line (\d+)")


class RuleSetError(ValueError):
    """A rule set cannot be used. ``source`` names the file; ``line`` is set for TOML syntax
    errors and ``rule`` for a problem inside one rule."""

    def __init__(self, source: str, detail: str, line: int | None = None, rule: str | None = None) -> None:
        self.source = source
        self.detail = detail
        self.line = line
        self.rule = rule
        where = source
        if line is not None:
            where = f"{source}, line {line}"
        elif rule is not None:
            where = f"{source}, rule {rule!r}"
        super().__init__(f"{where}: {detail}")


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
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "expected a whole number" if self.type == "integer" else "expected a number"
        if self.type == "integer" and not isinstance(value, int):
            return "expected a whole number"
        if not math.isfinite(value):
            return "expected a finite number"
        if self.floor_max is not None and value > self.floor_max:
            return f"refused by the safety floor: at most {format_value(self.floor_max)} ({self.floor_note})"
        if self.min is not None and value < self.min:
            return f"expected at least {format_value(self.min)}"
        if self.max is not None and value > self.max:
            return f"expected at most {format_value(self.max)}"
        return None

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
        return _PLACEHOLDER.sub(lambda m: format_value(settings[m.group(1)]), text)

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


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def load_ruleset(path: Path | str) -> RuleSet:
    """Read and validate one rule-set file. Raises ``RuleSetError``."""
    path = Path(path)
    source = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RuleSetError(source, f"cannot read the file ({exc.strerror})") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RuleSetError(source, "the file is not UTF-8 text") from exc
    return loads_ruleset(text, source)


def loads_ruleset(text: str, source: str = "<ruleset>") -> RuleSet:
    """Validate rule-set TOML given as text (e.g. a clinic's edit, stored in the database), with the
    same checks and messages as ``load_ruleset``; a TOML syntax error names its line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = _TOML_LINE.search(str(exc))
        # "at end of document": the problem is on the last line
        line = int(match.group(1)) if match else text.count("\n") + 1
        raise RuleSetError(source, f"TOML syntax error: {exc}", line=line) from exc
    return parse_ruleset(data, source)


@functools.cache
def default_ruleset() -> RuleSet:
    """The shipped default rule set (loaded once)."""
    return load_ruleset(DEFAULT_RULESET)


def parse_ruleset(data: Mapping[str, Any], source: str = "<ruleset>") -> RuleSet:
    """Validate an already-parsed TOML document and build a ``RuleSet``."""
    return _Parser(data, source).parse()


_MISSING: Any = object()


class _Node:
    """A TOML table being read: typed getters and a final check that no unknown key is left."""

    def __init__(self, data: object, where: str, source: str, rule: str | None = None) -> None:
        self.where = where
        self.source = source
        self.rule = rule
        if not isinstance(data, dict):
            raise self.fail(None, "expected a table")
        self.data: dict[str, Any] = data
        self.used: set[str] = set()

    def fail(self, key: str | None, message: str) -> RuleSetError:
        place = self.where if key is None else (f"{self.where}.{key}" if self.where else key)
        return RuleSetError(self.source, f"{place}: {message}" if place else message, rule=self.rule)

    def get(self, key: str, default: Any = _MISSING) -> Any:
        self.used.add(key)
        if key in self.data:
            return self.data[key]
        if default is _MISSING:
            raise self.fail(key, "required key is missing")
        return default

    def string(self, key: str, default: Any = _MISSING) -> Any:
        value = self.get(key, default)
        if value is not default and not (isinstance(value, str) and value.strip()):
            raise self.fail(key, "expected a non-empty string")
        return value

    def number(self, key: str, default: Any = _MISSING) -> Any:
        value = self.get(key, default)
        if value is not default and not _is_number(value):
            raise self.fail(key, "expected a number")
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(key, "expected an array of non-empty strings")
        if len(set(value)) != len(value):
            raise self.fail(key, "contains a repeated entry")
        return tuple(value)

    def tables(self, key: str) -> list[_Node]:
        value = self.get(key, [])
        if not isinstance(value, list):
            raise self.fail(key, "expected an array of tables")
        return [
            _Node(v, f"{self.where}.{key}[{i}]" if self.where else f"{key}[{i}]", self.source)
            for i, v in enumerate(value)
        ]

    def finish(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise self.fail(None, f"unknown key(s): {', '.join(unknown)}")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class _Parser:
    def __init__(self, data: Mapping[str, Any], source: str) -> None:
        self.root = _Node(dict(data), "", source)
        self.source = source
        self.sources: dict[str, Source] = {}
        self.settings: dict[str, Setting] = {}

    def parse(self) -> RuleSet:
        root = self.root
        fmt = root.get("format")
        if fmt != FORMAT_VERSION or isinstance(fmt, bool):
            raise root.fail("format", f"expected {FORMAT_VERSION} (the format this engine reads)")
        ruleset_id: str = root.string("id")
        if not _RULESET_ID.match(ruleset_id):
            raise root.fail("id", f"{ruleset_id!r} is not a valid id (lower-case letters, digits, _ and -)")
        version: str = root.string("version")
        if not _VERSION.match(version):
            raise root.fail("version", f"{version!r} is not a version such as 1, 1.2 or 1.2.3")
        title: str = root.string("title")
        effective = root.get("effective")
        if not isinstance(effective, dt.date) or isinstance(effective, dt.datetime):
            raise root.fail("effective", "expected a TOML date such as 2026-01-31")
        description: str | None = root.string("description", None)
        root.string("reference", None)  # free text: where the facts came from

        for node in root.tables("sources"):
            self._source(node)
        if not self.sources:
            raise root.fail("sources", "list at least one source")
        settings_node = _Node(root.get("settings", {}), "settings", self.source)
        for name in list(settings_node.data):
            self._setting(name, _Node(settings_node.get(name), f"settings.{name}", self.source))
        bounds = self._bounds(_Node(root.get("fact_bounds", {}), "fact_bounds", self.source))

        rules: list[Rule] = []
        seen: set[str] = set()
        for node in root.tables("rules"):
            rule = self._rule(node)
            if rule.id in seen:
                raise RuleSetError(self.source, "rule id is used twice", rule=rule.id)
            seen.add(rule.id)
            rules.append(rule)
        if not rules:
            raise root.fail("rules", "define at least one rule")
        root.finish()

        used: set[str] = set()
        for rule in rules:
            used |= condition_settings(rule.when)
            used |= set(_PLACEHOLDER.findall(rule.rationale)) | set(_PLACEHOLDER.findall(rule.title))
        for name in self.settings:
            if name not in used:
                detail = f"settings.{name}: not used by any rule (remove it or use it)"
                raise RuleSetError(self.source, detail)

        return RuleSet(
            format=fmt,
            id=ruleset_id,
            version=version,
            title=title,
            effective=effective,
            description=description,
            sources=MappingProxyType(self.sources),
            settings=MappingProxyType(self.settings),
            bounds=MappingProxyType(bounds),
            rules=tuple(rules),
            path=self.source,
        )

    # -- sections ------------------------------------------------------------------------------

    def _source(self, node: _Node) -> None:
        key: str = node.string("key")
        if not _SOURCE_KEY.match(key):
            raise node.fail("key", f"{key!r} is not a citation key such as L1, K3 or I-PHQ-e")
        if key in self.sources:
            raise node.fail("key", f"source {key!r} is listed twice")
        grade: str | None = node.string("grade", None)
        if grade is not None and grade not in GRADES:
            raise node.fail("grade", f"expected one of {', '.join(GRADES)}")
        self.sources[key] = Source(
            key, node.string("citation"), grade, node.string("url", None), node.string("note", None)
        )
        node.finish()

    def _cite(self, node: _Node, key: str = "source") -> tuple[str, ...]:
        refs = node.strings(key)
        if not refs:
            raise node.fail(key, "cite at least one source")
        for ref in refs:
            if ref not in self.sources:
                raise node.fail(key, f"source {ref!r} is not listed in [[sources]]")
        return refs

    def _setting(self, name: str, node: _Node) -> None:
        if not _ID.match(name):
            raise node.fail(None, "a setting name is lower-case letters, digits and _, from a letter")
        kind = node.get("type")
        if kind not in SETTING_TYPES:
            raise node.fail("type", f"expected one of {', '.join(SETTING_TYPES)}")
        low: Number | None = node.number("min", None)
        high: Number | None = node.number("max", None)
        if low is not None and high is not None and low > high:
            raise node.fail("max", "is below min")
        status = node.get("status")
        if status not in SETTING_STATUSES:
            raise node.fail("status", f"expected one of {', '.join(SETTING_STATUSES)}")
        setting = Setting(
            name=name,
            type=kind,
            default=node.get("default"),
            label=node.string("label"),
            min=low,
            max=high,
            unit=node.string("unit", None),
            status=status,
            note=node.string("note"),
            source=self._cite(node),
        )
        floor = node.get("safety_floor", None)
        if floor is not None:
            fnode = _Node(floor, f"settings.{name}.safety_floor", self.source)
            floor_max: Number = fnode.number("max")
            setting = replace(setting, floor_max=floor_max, floor_note=fnode.string("note"))
            fnode.finish()
        problem = setting.check(setting.default)
        if problem is not None:
            raise node.fail("default", problem)
        node.finish()
        self.settings[name] = setting

    def _bounds(self, node: _Node) -> dict[str, Bound]:
        bounds: dict[str, Bound] = {}
        for name in list(node.data):
            spec = FACT_SPECS.get(name)
            entry = _Node(node.get(name), f"fact_bounds.{name}", self.source)
            if spec is None or not spec.boundable:
                raise entry.fail(
                    None,
                    "bounds may be given only for age_years, bp_systolic, bp_diastolic, "
                    "heart_rate and weight_kg",
                )
            low: Number = entry.number("min")
            high: Number = entry.number("max")
            if low >= high:
                raise entry.fail("max", "must be above min")
            bounds[name] = Bound(low, high, entry.string("note", None))
            entry.finish()
        return bounds

    def _rule(self, node: _Node) -> Rule:
        rule_id: str = node.string("id")
        if not _ID.match(rule_id):
            raise node.fail("id", f"{rule_id!r} is not a valid id (a letter, then letters, digits or _)")
        node = _Node(node.data, "", self.source, rule=rule_id)
        node.used.add("id")
        level = node.get("level")
        if level not in LEVELS:
            raise node.fail("level", f"expected one of {', '.join(LEVELS)}")
        title: str = node.string("title")
        when = self._condition(node.get("when"), "when", rule_id, top=True)
        if isinstance(when, Always) and level != CLINIC_POLICY:
            raise node.fail("when", "only a clinic_policy item may always apply (when = true)")
        facts = node.strings("facts")
        for fact in facts:
            if fact not in FACT_SPECS:
                raise node.fail("facts", f"unknown fact {fact!r} (see FACTS.md)")
        reads = condition_facts(when)
        if set(facts) != set(reads):
            listed = ", ".join(reads) or "(none)"
            raise node.fail("facts", f"must list exactly the facts the condition reads: {listed}")
        rationale: str = node.string("rationale")
        for text, key in ((title, "title"), (rationale, "rationale")):
            for name in _PLACEHOLDER.findall(text):
                if name not in self.settings:
                    raise node.fail(key, f"placeholder {{{name}}} does not name a setting")
        source = self._cite(node)
        rule = Rule(rule_id, level, title, when, reads, rationale, source, node.string("note", None))
        node.finish()
        return rule

    def _condition(self, raw: object, where: str, rule_id: str, top: bool = False) -> Condition:  # noqa: C901 - one case per rule; listed in issue #10 to split
        def fail(message: str) -> RuleSetError:
            return RuleSetError(self.source, f"{where}: {message}", rule=rule_id)

        if raw is True and top:
            return Always()
        if not isinstance(raw, dict):
            raise fail('expected a condition table such as { fact = "...", op = "==", value = true }')
        keys = set(raw)
        for group, cls in (("all", AllOf), ("any", AnyOf)):
            if group in keys:
                if keys != {group}:
                    raise fail(f"a {{ {group} = [...] }} condition takes no other key")
                parts = raw[group]
                if not isinstance(parts, list) or not parts:
                    raise fail(f"{group}: expected a non-empty array of conditions")
                return cls(
                    tuple(self._condition(p, f"{where}.{group}[{i}]", rule_id) for i, p in enumerate(parts))
                )
        if "fact" not in keys:
            raise fail("expected a fact test ({ fact = ... }) or { all = [...] } / { any = [...] }")
        name = raw["fact"]
        spec = FACT_SPECS.get(name) if isinstance(name, str) else None
        if spec is None:
            raise fail(f"unknown fact {name!r} (see FACTS.md)")
        rest = keys - {"fact"}
        if rest == {"op", "value"}:
            return self._compare(name, spec.kind, spec.choices, raw["op"], raw["value"], fail)
        if rest == {"in"}:
            values = raw["in"]
            if spec.kind != CHOICE:
                raise fail(f"'in' tests a choice fact; {name} is {spec.kind}")
            if not isinstance(values, list) or not values or not all(v in spec.choices for v in values):
                raise fail(f"in: expected a non-empty array drawn from {', '.join(spec.choices)}")
            return OneOf(name, tuple(values))
        if rest in ({"contains"}, {"contains_any"}):
            if spec.kind != SET:
                raise fail(f"'contains' tests a set fact; {name} is {spec.kind}")
            values = raw.get("contains_any", [raw.get("contains")])
            if not isinstance(values, list) or not values or not all(v in spec.choices for v in values):
                raise fail(f"contains: expected values drawn from {', '.join(spec.choices)}")
            return Contains(name, tuple(values))
        raise fail("a fact test is {fact, op, value}, {fact, in}, {fact, contains} or {fact, contains_any}")

    def _compare(
        self, name: str, kind: str, choices: tuple[str, ...], op: object, value: object, fail: Any
    ) -> Compare:
        if op not in OPS:
            raise fail(f"op: expected one of {', '.join(OPS)}")
        if kind == SET:
            raise fail(f"{name} is a set: test it with contains or contains_any")
        if kind in NUMERIC_KINDS:
            if isinstance(value, dict):
                if set(value) != {"setting"}:
                    raise fail('value: expected a number or { setting = "name" }')
                setting = value["setting"]
                if setting not in self.settings:
                    raise fail(f"value: setting {setting!r} is not defined in [settings]")
                return Compare(name, str(op), SettingRef(setting))
            if not _is_number(value):
                raise fail(f"value: {name} is numeric, so compare it with a number")
            return Compare(name, str(op), value)  # type: ignore[arg-type]
        if op not in _EQUALITY_OPS:
            raise fail(f"op: {name} is {kind}; use == or != (or 'in')")
        if kind == BOOLEAN and not isinstance(value, bool):
            raise fail(f"value: {name} is true/false, so compare it with true or false")
        if kind == CHOICE and value not in choices:
            raise fail(f"value: expected one of {', '.join(choices)}")
        return Compare(name, str(op), value)  # type: ignore[arg-type]
