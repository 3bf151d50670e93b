"""Screening rule sets: read a TOML file strictly and build a ``RuleSet`` (its dataclasses are in
``ruleset_types.py``, re-exported here).

The format is documented for clinic authors in ``rulesets/README.md``. Everything is checked at
load time (unknown keys, types, fact names and the types of the values compared with them,
setting references, citation keys, placeholders), so the engine never meets a malformed rule.
The reading stands on ``kapstone.lib.datafile``: a problem raises ``RuleSetError`` (a
``DataFileError``) naming the file and, for TOML syntax errors, the line; for a problem inside a
rule, the rule id. Pure Python, no Django.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from kapstone.lib.datafile import (
    GRADES,
    ID,
    VERSION,
    DataFileError,
    Node,
    cited,
    is_number,
    loads_toml,
    read_sources,
    read_toml,
)

from .facts import BOOLEAN, CHOICE, FACT_SPECS, NUMERIC_KINDS, SET, Bound, Number
from .ruleset_types import (
    CLINIC_POLICY,
    CONTRAINDICATED,
    LEVELS,
    OPS,
    PLACEHOLDER,
    PRESCRIBER_JUDGEMENT,
    SETTING_STATUSES,
    SETTING_TYPES,
    AllOf,
    Always,
    AnyOf,
    Compare,
    Condition,
    Contains,
    OneOf,
    Rule,
    RuleSet,
    Setting,
    SettingRef,
    SettingsError,
    Source,
    Value,
    condition_facts,
    condition_settings,
    describe,
    format_value,
)

__all__ = [
    "CLINIC_POLICY",
    "CONTRAINDICATED",
    "DEFAULT_RULESET",
    "FORMAT_VERSION",
    "GRADES",
    "LEVELS",
    "OPS",
    "PRESCRIBER_JUDGEMENT",
    "SETTING_STATUSES",
    "SETTING_TYPES",
    "SHIPPED_DIR",
    "AllOf",
    "Always",
    "AnyOf",
    "Compare",
    "Condition",
    "Contains",
    "OneOf",
    "Rule",
    "RuleSet",
    "RuleSetError",
    "Setting",
    "SettingRef",
    "SettingsError",
    "Source",
    "Value",
    "condition_facts",
    "condition_settings",
    "default_ruleset",
    "describe",
    "format_value",
    "load_ruleset",
    "loads_ruleset",
    "parse_ruleset",
]

FORMAT_VERSION = 1
SHIPPED_DIR = Path(__file__).resolve().parent / "rulesets"
DEFAULT_RULESET = SHIPPED_DIR / "default.toml"

_EQUALITY_OPS = ("==", "!=")
_RULESET_ID = re.compile(r"^[a-z][a-z0-9_-]*$")
_SOURCE_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9-]*$")


class RuleSetError(DataFileError):
    """A rule set cannot be used: a ``DataFileError`` (``source``, ``line`` for TOML syntax errors,
    ``field``) that also names the ``rule`` a problem is inside."""

    def __init__(
        self,
        source: str,
        detail: str,
        line: int | None = None,
        rule: str | None = None,
        *,
        field: str | None = None,
    ) -> None:
        super().__init__(source, detail, line=line, field=field)
        self.rule = rule
        if rule is not None and line is None:
            where = f"{source}, rule {rule!r}"
            self.args = (f"{where}: {field}: {detail}" if field else f"{where}: {detail}",)


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def load_ruleset(path: Path | str) -> RuleSet:
    """Read and validate one rule-set file. Raises ``RuleSetError``."""
    try:
        data, source = read_toml(path)
    except DataFileError as exc:
        raise _located(exc, lambda: Path(path).read_text(encoding="utf-8")) from exc
    return parse_ruleset(data, source)


def loads_ruleset(text: str, source: str = "<ruleset>") -> RuleSet:
    """Validate rule-set TOML given as text (e.g. a clinic's edit, stored in the database), with the
    same checks and messages as ``load_ruleset``; a TOML syntax error names its line."""
    try:
        data = loads_toml(text, source)
    except DataFileError as exc:
        raise _located(exc, lambda: text) from exc
    return parse_ruleset(data, source)


def _located(exc: DataFileError, text: Callable[[], str]) -> RuleSetError:
    """The reader's error as a ``RuleSetError``; a TOML syntax error "at end of document" (which
    names no line) is placed on the last line."""
    line = exc.line
    if line is None and exc.detail.startswith("TOML syntax error"):
        line = text().count("\n") + 1
    return RuleSetError(exc.source, exc.detail, line=line)


@functools.cache
def default_ruleset() -> RuleSet:
    """The shipped default rule set (loaded once)."""
    return load_ruleset(DEFAULT_RULESET)


def parse_ruleset(data: Mapping[str, Any], source: str = "<ruleset>") -> RuleSet:
    """Validate an already-parsed TOML document and build a ``RuleSet``."""
    return _Parser(data, source).parse()


class _Node(Node):
    """The shared reader's table, failing with a ``RuleSetError`` that names the rule it is in."""

    def __init__(self, data: object, where: str, source: str, rule: str | None = None) -> None:
        self.rule = rule
        if not isinstance(data, dict):
            raise RuleSetError(source, "expected a table", rule=rule, field=where or None)
        super().__init__(data, where, source)

    def fail(self, key: str | None, message: str) -> RuleSetError:
        field = self.where if key is None else self.path(key)
        return RuleSetError(self.source, message, rule=self.rule, field=field or None)


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
        if not VERSION.match(version):
            raise root.fail("version", f"{version!r} is not a version such as 1, 1.2 or 1.2.3")
        title: str = root.string("title")
        effective = root.get("effective")
        if not isinstance(effective, dt.date) or isinstance(effective, dt.datetime):
            raise root.fail("effective", "expected a TOML date such as 2026-01-31")
        description: str | None = root.string("description", None)
        root.string("reference", None)  # free text: where the facts came from

        self.sources = read_sources(
            root,
            Source,
            key="key",
            pattern=_SOURCE_KEY,
            pattern_means="a citation key such as L1, K3 or I-PHQ-e",
        )
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
            used |= set(PLACEHOLDER.findall(rule.rationale)) | set(PLACEHOLDER.findall(rule.title))
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

    def _setting(self, name: str, node: Node) -> None:
        if not ID.match(name):
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
            source=cited(node, "source", listed=self.sources),
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

    def _bounds(self, node: Node) -> dict[str, Bound]:
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

    def _rule(self, node: Node) -> Rule:
        rule_id: str = node.string("id")
        if not ID.match(rule_id):
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
            for name in PLACEHOLDER.findall(text):
                if name not in self.settings:
                    raise node.fail(key, f"placeholder {{{name}}} does not name a setting")
        source = cited(node, "source", listed=self.sources)
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
            if not is_number(value):
                raise fail(f"value: {name} is numeric, so compare it with a number")
            return Compare(name, str(op), value)  # type: ignore[arg-type]
        if op not in _EQUALITY_OPS:
            raise fail(f"op: {name} is {kind}; use == or != (or 'in')")
        if kind == BOOLEAN and not isinstance(value, bool):
            raise fail(f"value: {name} is true/false, so compare it with true or false")
        if kind == CHOICE and value not in choices:
            raise fail(f"value: expected one of {', '.join(choices)}")
        return Compare(name, str(op), value)  # type: ignore[arg-type]
