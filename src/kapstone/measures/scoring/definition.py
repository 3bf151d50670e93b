"""Instrument definitions: load a TOML file, validate it strictly and precompile it for scoring.

The file format is documented in ``kapstone/measures/definitions/README.md``. Everything is
validated at load time (unknown keys, types, references, band coverage, option defaults) so the
scoring engine never meets a malformed definition. Pure Python, no Django.
"""

from __future__ import annotations

import dataclasses
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .rules import (
    OPS,
    AllOf,
    AnyOf,
    Condition,
    CountTest,
    Evaluator,
    ItemTest,
    Operand,
    OptionRef,
    ScoreTest,
    compile_condition,
    condition_items,
    condition_uses_scores,
    describe,
)

FORMAT_VERSION = 1

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_SUBSCALE_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_VERSION = re.compile(r"^\d+(\.\d+){0,2}$")
_LOINC = re.compile(r"^\d{1,7}-\d$")
_LOINC_ANSWER = re.compile(r"^LA\d{1,7}-\d$")
_LOINC_LIST = re.compile(r"^LL\d{1,7}-\d$")
_PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")

SEVERITIES = ("safety", "clinical", "info")
OPTION_TYPES = ("integer", "number", "choice", "boolean")
OPTION_STATUSES = ("confirmed", "UNCONFIRMED", "CONFLICT", "design-choice", "clinic-supplied")
METHODS = ("sum", "mean", "highest_level")
AGGREGATIONS = ("sum", "mean")
DIRECTIONS = ("lower_is_better", "higher_is_better")
GRADES = ("P", "S", "G")

Number = int | float
_FAST_RANGE_LIMIT = 1000


class DefinitionError(ValueError):
    """A definition file cannot be used. ``source`` names the file; ``line`` is set for TOML syntax."""

    def __init__(self, source: str, detail: str, line: int | None = None) -> None:
        self.source = source
        self.detail = detail
        self.line = line
        where = f"{source}, line {line}" if line is not None else source
        super().__init__(f"{where}: {detail}")


# --------------------------------------------------------------------------------------------
# The parsed definition
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    citation: str
    grade: str | None
    url: str | None
    note: str | None


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
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "expected a whole number" if self.type == "integer" else "expected a number"
        if self.type == "integer" and not isinstance(value, int):
            return "expected a whole number"
        if not math.isfinite(value):
            return "expected a finite number"
        if self.floor_max is not None and value > self.floor_max:
            return f"refused by the safety floor: at most {_fmt(self.floor_max)} ({self.floor_note})"
        if self.min is not None and value < self.min:
            return f"expected at least {_fmt(self.min)}"
        if self.max is not None and value > self.max:
            return f"expected at most {_fmt(self.max)}"
        return None

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


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


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


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def load_definition(path: Path | str) -> Instrument:
    """Read, validate and precompile one definition file. Raises ``DefinitionError``."""
    path = Path(path)
    source = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DefinitionError(source, f"cannot read the file ({exc.strerror})") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DefinitionError(source, "the file is not UTF-8 text") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"at line (\d+)", str(exc))
        line = int(match.group(1)) if match else None
        raise DefinitionError(source, f"TOML syntax error: {exc}", line=line) from exc
    return parse_definition(data, source)


def parse_definition(data: Mapping[str, Any], source: str = "<definition>") -> Instrument:
    """Validate an already-parsed TOML document and build an ``Instrument``."""
    return _Parser(data, source).parse()


_MISSING: Any = object()


class _Node:
    """A TOML table being read: typed getters, and a check that no unknown key is left."""

    def __init__(self, data: Any, where: str, source: str) -> None:
        if not isinstance(data, dict):
            raise DefinitionError(source, f"{where}: expected a table")
        self.data: dict[str, Any] = data
        self.where = where
        self.source = source
        self.used: set[str] = set()

    def fail(self, key: str | None, message: str) -> DefinitionError:
        place = self.where if key is None else (f"{self.where}.{key}" if self.where else key)
        return DefinitionError(self.source, f"{place}: {message}")

    def child(self, suffix: str) -> str:
        return f"{self.where}.{suffix}" if self.where else suffix

    def has(self, key: str) -> bool:
        return key in self.data

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

    def ident(self, key: str, pattern: re.Pattern[str] = _ID) -> str:
        value: str = self.string(key)
        if not pattern.match(value):
            raise self.fail(key, f"{value!r} is not a valid id (a letter, then letters, digits or _)")
        return value

    def boolean(self, key: str, default: Any = _MISSING) -> bool:
        value = self.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, "expected true or false")
        return value

    def integer(self, key: str, default: Any = _MISSING) -> Any:
        value = self.get(key, default)
        if value is not default and (isinstance(value, bool) or not isinstance(value, int)):
            raise self.fail(key, "expected a whole number")
        return value

    def number(self, key: str, default: Any = _MISSING) -> Any:
        value = self.get(key, default)
        if value is not default and not _is_number(value):
            raise self.fail(key, "expected a number")
        return value

    def array(self, key: str, default: Any = _MISSING) -> Any:
        value = self.get(key, default)
        if value is not default and not isinstance(value, list):
            raise self.fail(key, "expected an array")
        return value

    def strings(self, key: str, default: Any = _MISSING) -> Any:
        value = self.array(key, default)
        if value is default:
            return value
        if not all(isinstance(v, str) and v for v in value):
            raise self.fail(key, "expected an array of non-empty strings")
        if len(set(value)) != len(value):
            raise self.fail(key, "contains a repeated entry")
        return tuple(value)

    def table(self, key: str, required: bool = False) -> _Node | None:
        value = self.get(key, _MISSING if required else None)
        if value is None:
            return None
        return _Node(value, self.child(key), self.source)

    def tables(self, key: str) -> list[_Node]:
        value = self.array(key, [])
        return [_Node(v, f"{self.child(key)}[{i}]", self.source) for i, v in enumerate(value)]

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
        self.source_ids: set[str] = set()
        self.options: dict[str, Option] = {}
        self.items: dict[str, Item] = {}
        self.subscale_ids: set[str] = set()
        self._sources: list[Source] = []

    # -- helpers -----------------------------------------------------------------------------

    def sources(self, node: _Node, key: str = "sources", required: bool = True) -> tuple[str, ...]:
        refs: tuple[str, ...] = node.strings(key, _MISSING if required else ())
        if required and not refs:
            raise node.fail(key, "cite at least one source")
        for ref in refs:
            if ref not in self.source_ids:
                raise node.fail(key, f"source {ref!r} is not listed in [[sources]]")
        return refs

    def code(self, node: _Node, key: str, pattern: re.Pattern[str]) -> str | None:
        value: str | None = node.string(key, None)
        if value is not None and not pattern.match(value):
            raise node.fail(key, f"{value!r} is not a LOINC code of the expected form")
        return value

    def operand(self, node: _Node, key: str, *, need_default: bool) -> Operand:
        value = node.get(key)
        if isinstance(value, dict):
            ref = _Node(value, node.child(key), self.source)
            name: str = ref.string("option")
            ref.finish()
            option = self.options.get(name)
            if option is None:
                raise node.fail(key, f"option {name!r} is not defined in [options]")
            if option.type not in ("integer", "number"):
                raise node.fail(key, f"option {name!r} is not numeric")
            if need_default and option.default is None:
                raise node.fail(key, f"option {name!r} has no default, so a rule cannot use it")
            return OptionRef(name)
        if not _is_number(value):
            raise node.fail(key, 'expected a number or {option = "name"}')
        result: Operand = value
        return result

    def op(self, node: _Node, key: str = "op") -> str:
        value: str = node.string(key)
        if value not in OPS:
            raise node.fail(key, f"unknown operator {value!r} (use one of {' '.join(OPS)})")
        return value

    def item_ref(self, node: _Node, key: str, item: str, skip_logic: bool) -> None:
        # Items are registered as they are read, so skip logic can only see earlier items.
        if item not in self.items:
            where = " before this one (skip logic may only depend on earlier items)" if skip_logic else ""
            raise node.fail(key, f"item {item!r} is not defined{where}")

    def condition(self, value: Any, where: str, *, items_only: bool = False) -> Condition:
        node = _Node(value, where, self.source)
        kinds = [k for k in ("item", "score", "percent_of_max", "at_least", "all", "any") if node.has(k)]
        if len(kinds) != 1:
            raise node.fail(
                None, "a condition needs exactly one of item, score, percent_of_max, at_least, all, any"
            )
        kind = kinds[0]
        cond: Condition
        if kind in ("all", "any"):
            parts_raw = node.array(kind)
            if not parts_raw:
                raise node.fail(kind, "needs at least one condition")
            parts = tuple(
                self.condition(p, f"{node.child(kind)}[{i}]", items_only=items_only)
                for i, p in enumerate(parts_raw)
            )
            cond = AllOf(parts) if kind == "all" else AnyOf(parts)
        elif kind == "item":
            item: str = node.string("item")
            self.item_ref(node, "item", item, items_only)
            cond = ItemTest(item, self.op(node), self.operand(node, "value", need_default=True))
        elif kind == "at_least":
            ids: tuple[str, ...] = node.strings("of")
            count: int = node.integer("at_least")
            if not 1 <= count <= len(ids):
                raise node.fail("at_least", f"must be between 1 and the number of items ({len(ids)})")
            for ref in ids:
                self.item_ref(node, "of", ref, items_only)
            cond = CountTest(count, ids, self.op(node), self.operand(node, "value", need_default=True))
        else:
            if items_only:
                raise node.fail(kind, "skip logic can only test items")
            target: str = node.string(kind)
            if target != "total" and target not in self.subscale_ids:
                raise node.fail(kind, f"{target!r} is neither 'total' nor a subscale id")
            cond = ScoreTest(
                target,
                kind == "percent_of_max",
                self.op(node),
                self.operand(node, "value", need_default=True),
            )
        node.finish()
        return cond

    # -- sections ----------------------------------------------------------------------------

    def parse(self) -> Instrument:
        root = self.root
        fmt: int = root.integer("format")
        if fmt != FORMAT_VERSION:
            raise root.fail("format", f"unsupported format {fmt} (this engine reads {FORMAT_VERSION})")
        ident = root.ident("id")
        version: str = root.string("version")
        if not _VERSION.match(version):
            raise root.fail("version", f"{version!r} is not a dotted version such as 1.0.0")
        title: str = root.string("title")
        short_title: str = root.string("short_title", title)
        description: str | None = root.string("description", None)
        recall: str | None = root.string("recall", None)
        reference: str | None = root.string("reference", None)
        citation: str = root.string("citation")

        self.parse_sources()
        licence = self.parse_licence()
        by_clinic = root.boolean("item_text_supplied_by_clinic", False)
        if not licence.text_may_be_shipped and not by_clinic:
            raise root.fail(
                "item_text_supplied_by_clinic",
                "must be true when the licence does not allow shipping item text",
            )
        loinc = self.parse_loinc()
        response_sets = self.parse_response_sets()
        self.parse_options()
        items = self.parse_items(response_sets)
        subscales = self.parse_subscales()
        scoring = self.parse_scoring()
        ranges = self.total_ranges(scoring)
        bands, bands_sources = self.parse_bands(scoring, ranges)
        flags = self.parse_flags()
        change = self.parse_change()
        root.finish()

        options = MappingProxyType(dict(self.options))
        sources = MappingProxyType({s.id: s for s in self._sources})
        runtime = self.compile(items, scoring, bands, flags, ranges)
        return Instrument(
            format=fmt,
            id=ident,
            version=version,
            title=title,
            short_title=short_title,
            description=description,
            recall=recall,
            reference=reference,
            citation=citation,
            licence=licence,
            item_text_supplied_by_clinic=by_clinic,
            loinc=loinc,
            sources=sources,
            response_sets=MappingProxyType(response_sets),
            items=items,
            options=options,
            scoring=scoring,
            subscales=subscales,
            bands=bands,
            bands_sources=bands_sources,
            flags=flags,
            change=change,
            path=self.source,
            runtime=runtime,
        )

    def parse_sources(self) -> None:
        nodes = self.root.tables("sources")
        if not nodes:
            raise self.root.fail("sources", "list at least one [[sources]] entry")
        for node in nodes:
            sid: str = node.string("id")
            if sid in self.source_ids:
                raise node.fail("id", f"source {sid!r} is listed twice")
            grade: str | None = node.string("grade", None)
            if grade is not None and grade not in GRADES:
                raise node.fail("grade", f"expected one of {', '.join(GRADES)}")
            self.source_ids.add(sid)
            self._sources.append(
                Source(
                    sid, node.string("citation"), grade, node.string("url", None), node.string("note", None)
                )
            )
            node.finish()

    def parse_licence(self) -> Licence:
        node = self.root.table("licence", required=True)
        assert node is not None
        licence = Licence(
            node.string("name"),
            node.boolean("text_may_be_shipped"),
            node.string("note", None),
            self.sources(node, required=False),
        )
        node.finish()
        return licence

    def parse_loinc(self) -> Loinc:
        node = self.root.table("loinc")
        if node is None:
            return Loinc()
        loinc = Loinc(
            panel=self.code(node, "panel", _LOINC),
            total=self.code(node, "total", _LOINC),
            band=self.code(node, "band", _LOINC),
            answer_list=self.code(node, "answer_list", _LOINC_LIST),
            note=node.string("note", None),
        )
        node.finish()
        return loinc

    def response_set(self, node: _Node, sid: str) -> ResponseSet:
        has_options = node.has("options")
        has_range = node.has("min") or node.has("max")
        if has_options == has_range:
            raise node.fail(None, "give either options = [...] or min and max")
        if has_options:
            opts: list[ResponseOption] = []
            for onode in node.tables("options"):
                value: int = onode.integer("value")
                if any(o.value == value for o in opts):
                    raise onode.fail("value", f"value {value} is listed twice")
                opts.append(
                    ResponseOption(value, onode.string("label"), self.code(onode, "loinc", _LOINC_ANSWER))
                )
                onode.finish()
            if len(opts) < 2:
                raise node.fail("options", "list at least two options")
            values = [o.value for o in opts]
            return ResponseSet(sid, "choice", tuple(opts), min(values), max(values), True, None, None)
        low: Number = node.number("min")
        high: Number = node.number("max")
        integer = node.boolean("integer", True)
        if not low < high:
            raise node.fail("max", "must be greater than min")
        if integer and not (isinstance(low, int) and isinstance(high, int)):
            raise node.fail("integer", "an integer range needs whole-number min and max")
        return ResponseSet(
            sid,
            "range",
            (),
            low,
            high,
            integer,
            node.string("min_label", None),
            node.string("max_label", None),
        )

    def parse_response_sets(self) -> dict[str, ResponseSet]:
        node = self.root.table("response_sets")
        result: dict[str, ResponseSet] = {}
        if node is None:
            return result
        for sid in list(node.data):
            if not _ID.match(sid):
                raise node.fail(sid, "response set names are lower-case ids")
            child = node.table(sid)
            assert child is not None
            result[sid] = self.response_set(child, sid)
            child.finish()
        node.finish()
        return result

    def parse_options(self) -> None:
        node = self.root.table("options")
        if node is None:
            return
        for oid in list(node.data):
            if not _ID.match(oid):
                raise node.fail(oid, "option names are lower-case ids")
            child = node.table(oid)
            assert child is not None
            otype: str = child.string("type")
            if otype not in OPTION_TYPES:
                raise child.fail("type", f"expected one of {', '.join(OPTION_TYPES)}")
            choices: tuple[str, ...] = ()
            if otype == "choice":
                choices = child.strings("choices")
                if len(choices) < 2:
                    raise child.fail("choices", "list at least two choices")
            low = high = None
            if otype in ("integer", "number"):
                low = child.number("min", None)
                high = child.number("max", None)
                if low is not None and high is not None and low > high:
                    raise child.fail("max", "must not be less than min")
            status: str = child.string("status")
            if status not in OPTION_STATUSES:
                raise child.fail("status", f"expected one of {', '.join(OPTION_STATUSES)}")
            option = Option(
                oid,
                otype,
                child.string("label"),
                None,
                choices,
                low,
                high,
                status,
                child.string("note", None),
                self.sources(child),
            )
            floor = child.table("safety_floor")
            if floor is not None:
                option = dataclasses.replace(
                    option, floor_max=floor.number("max"), floor_note=floor.string("note")
                )
                floor.finish()
            default = child.get("default", None)
            if default is not None:
                problem = option.check(default)
                if problem:
                    raise child.fail("default", problem)
                option = dataclasses.replace(option, default=default)
            self.options[oid] = option
            child.finish()
        node.finish()

    def parse_items(self, response_sets: Mapping[str, ResponseSet]) -> tuple[Item, ...]:
        nodes = self.root.tables("items")
        if not nodes:
            raise self.root.fail("items", "list at least one [[items]] entry")
        items: list[Item] = []
        for position, node in enumerate(nodes, start=1):
            iid = node.ident("id")
            if iid in self.items:
                raise node.fail("id", f"item {iid!r} is defined twice")
            if node.has("response_set"):
                name: str = node.string("response_set")
                if name not in response_sets:
                    raise node.fail("response_set", f"response set {name!r} is not defined")
                if node.has("options") or node.has("min") or node.has("max"):
                    raise node.fail("response_set", "give response_set or inline options/min/max, not both")
                response = response_sets[name]
            else:
                response = self.response_set(node, iid)
            ask_if = None
            if node.has("ask_if"):
                ask_if = self.condition(node.get("ask_if"), node.child("ask_if"), items_only=True)
            item = Item(
                iid,
                position,
                node.string("text"),
                node.string("descriptor", None),
                self.code(node, "loinc", _LOINC),
                response,
                node.boolean("scored", True),
                node.boolean("required", True),
                ask_if,
            )
            node.finish()
            self.items[iid] = item
            items.append(item)
        return tuple(items)

    def plain_items(self, node: _Node, key: str, ids: tuple[str, ...]) -> None:
        """Items that are summed must exist, be scored, required and always asked."""
        if not ids:
            raise node.fail(key, "list at least one item")
        for iid in ids:
            item = self.items.get(iid)
            if item is None:
                raise node.fail(key, f"item {iid!r} is not defined")
            if not item.scored:
                raise node.fail(key, f"item {iid!r} is marked scored = false")
            if not item.required or item.ask_if is not None:
                raise node.fail(key, f"item {iid!r} is optional or conditional, so it cannot be summed")

    def parse_subscales(self) -> tuple[Subscale, ...]:
        result: list[Subscale] = []
        for node in self.root.tables("subscales"):
            sid = node.ident("id", _SUBSCALE_ID)
            if sid in self.subscale_ids or sid == "total":
                raise node.fail("id", f"subscale id {sid!r} is used twice or is reserved")
            ids: tuple[str, ...] = node.strings("items")
            self.plain_items(node, "items", ids)
            low = sum(self.items[i].response.min for i in ids)
            high = sum(self.items[i].response.max for i in ids)
            if not all(self.items[i].response.integer for i in ids):
                raise node.fail("items", "subscales sum whole-number items only")
            if high <= 0:
                raise node.fail("items", "the subscale maximum must be above zero")
            result.append(Subscale(sid, node.string("label"), ids, int(low), int(high), self.sources(node)))
            self.subscale_ids.add(sid)
            node.finish()
        return tuple(result)

    def parse_scoring(self) -> Scoring:  # noqa: C901 - one case per rule; listed in issue #10 to split
        node = self.root.table("scoring", required=True)
        assert node is not None
        method: str | None = node.string("method", None)
        method_option: str | None = node.string("method_option", None)
        if (method is None) == (method_option is None):
            raise node.fail(None, "give exactly one of method or method_option")
        if method is not None and method not in METHODS:
            raise node.fail("method", f"expected one of {', '.join(METHODS)}")
        if method_option is not None:
            option = self.options.get(method_option)
            if option is None or option.type != "choice" or not set(option.choices) <= set(AGGREGATIONS):
                raise node.fail("method_option", "must name a choice option whose choices are sum/mean")
            if option.default is None:
                raise node.fail("method_option", f"option {method_option!r} needs a default")
        multiplier: int = node.integer("multiplier", 1)
        if node.has("multiplier") and (method != "sum" or multiplier < 1):
            raise node.fail(
                "multiplier", "a positive whole-number multiplier is allowed with method = sum only"
            )
        levels: list[Level] = []
        default_level: int = node.integer("default_level", 0)
        if default_level < 0:
            raise node.fail("default_level", "must not be negative")
        items: tuple[str, ...] = ()
        if method == "highest_level":
            if node.has("items"):
                raise node.fail("items", "highest_level scoring takes levels, not items")
            for lnode in node.tables("levels"):
                value: int = lnode.integer("value")
                if value <= default_level or any(lv.value == value for lv in levels):
                    raise lnode.fail("value", "level values must be unique and above default_level")
                when = self.condition(lnode.get("when"), lnode.child("when"))
                for iid in condition_items(when):
                    if not self.items[iid].required:
                        raise lnode.fail("when", f"item {iid!r} is optional, so a level cannot depend on it")
                if condition_uses_scores(when):
                    raise lnode.fail("when", "a level cannot depend on scores")
                levels.append(Level(value, lnode.string("label"), when, self.sources(lnode)))
                lnode.finish()
            if not levels:
                raise node.fail("levels", "highest_level scoring needs at least one level")
        else:
            if node.has("levels") or node.has("default_level"):
                raise node.fail("levels", "levels are only used with method = highest_level")
            default_items = tuple(i.id for i in self.items.values() if i.scored)
            items = node.strings("items", default_items)
            self.plain_items(node, "items", items)
        scoring = Scoring(
            method,
            method_option,
            items,
            multiplier,
            tuple(levels),
            default_level,
            self.sources(node),
            node.string("note", None),
        )
        node.finish()
        return scoring

    def total_ranges(self, scoring: Scoring) -> dict[str, tuple[Number, Number]]:
        if scoring.method == "highest_level":
            return {"highest_level": (scoring.default_level, max(lv.value for lv in scoring.levels))}
        lows = [self.items[i].response.min for i in scoring.items]
        highs = [self.items[i].response.max for i in scoring.items]
        if sum(highs) <= 0:
            raise self.root.fail("scoring", "the highest possible total must be above zero")
        mult = scoring.multiplier
        ranges: dict[str, tuple[Number, Number]] = {
            "sum": (sum(lows) * mult, sum(highs) * mult),
            "mean": (sum(lows) / len(lows), sum(highs) / len(highs)),
        }
        if scoring.method is not None:
            return {scoring.method: ranges[scoring.method]}
        return ranges

    def parse_bands(
        self, scoring: Scoring, ranges: Mapping[str, tuple[Number, Number]]
    ) -> tuple[tuple[Band, ...], tuple[str, ...]]:
        node = self.root.table("bands")
        if node is None:
            return (), ()
        integer_total = scoring.method == "highest_level" or (
            scoring.method == "sum" and all(self.items[i].response.integer for i in scoring.items)
        )
        if not integer_total:
            raise node.fail(
                None, "bands need a whole-number total (method sum over whole-number items, or highest_level)"
            )
        assert scoring.method is not None
        low, high = ranges[scoring.method]
        bands: list[Band] = []
        for bnode in node.tables("ranges"):
            bmin: int = bnode.integer("min")
            bmax: int = bnode.integer("max")
            if bmin > bmax:
                raise bnode.fail("max", "must not be less than min")
            expected = low if not bands else bands[-1].max + 1
            if bmin < expected:
                raise bnode.fail(
                    "min",
                    f"band starting at {bmin} overlaps the previous band or "
                    f"starts below the lowest total {low}",
                )
            if bmin > expected:
                raise bnode.fail("min", f"gap: no band covers totals from {expected} to {bmin - 1}")
            label: str = bnode.string("label")
            default_text = f"{label} ({bmin}-{bmax})" if bmin != bmax else label
            bands.append(
                Band(
                    bmin,
                    bmax,
                    label,
                    bnode.string("interpretation", default_text),
                    self.code(bnode, "loinc", _LOINC_ANSWER),
                )
            )
            bnode.finish()
        if not bands:
            raise node.fail("ranges", "list at least one band")
        if bands[-1].max != high:
            raise node.fail(
                "ranges", f"the last band ends at {bands[-1].max}, but the highest total is {_fmt(high)}"
            )
        refs = self.sources(node)
        node.finish()
        return tuple(bands), refs

    def parse_flags(self) -> tuple[Flag, ...]:
        flags: list[Flag] = []
        for node in self.root.tables("flags"):
            fid = node.ident("id")
            if any(f.id == fid for f in flags):
                raise node.fail("id", f"flag {fid!r} is defined twice")
            severity: str = node.string("severity")
            if severity not in SEVERITIES:
                raise node.fail("severity", f"expected one of {', '.join(SEVERITIES)}")
            message: str = self.template(node, "message", node.string("message"))
            summary: str | None = node.string("summary", None)
            if summary is not None:
                self.template(node, "summary", summary)
            item: str | None = node.string("item", None)
            if item is not None and item not in self.items:
                raise node.fail("item", f"item {item!r} is not defined")
            when = self.condition(node.get("when"), node.child("when"))
            flags.append(Flag(fid, severity, message, when, item, summary, self.sources(node)))
            node.finish()
        return tuple(flags)

    def template(self, node: _Node, key: str, text: str) -> str:
        """Flag texts may contain {option_name} placeholders, filled with the option in force."""
        for name in _PLACEHOLDER.findall(text):
            if name not in self.options or self.options[name].default is None:
                raise node.fail(key, f"placeholder {{{name}}} must name an option with a default")
        rest = _PLACEHOLDER.sub("", text)
        if "{" in rest or "}" in rest:
            raise node.fail(key, "braces are only allowed around an option name")
        return text

    def threshold(
        self, parent: _Node, key: str, value_key: str, *, with_op: bool = False
    ) -> Threshold | None:
        node = parent.table(key)
        if node is None:
            return None
        op = self.op(node) if with_op else None
        value = self.operand(node, value_key, need_default=False)
        if not with_op and not isinstance(value, OptionRef) and value <= 0:
            raise node.fail(value_key, "must be above zero")
        result = Threshold(value, self.sources(node), node.string("note", None), op)
        node.finish()
        return result

    def parse_change(self) -> ChangeSpec | None:
        node = self.root.table("change")
        if node is None:
            return None
        direction: str = node.string("direction")
        if direction not in DIRECTIONS:
            raise node.fail("direction", f"expected one of {', '.join(DIRECTIONS)}")
        rci = None
        rnode = node.table("rci")
        if rnode is not None:
            rci = Rci(
                self.operand(rnode, "sd", need_default=False),
                self.operand(rnode, "reliability", need_default=False),
                self.operand(rnode, "z", need_default=False) if rnode.has("z") else 1.96,
                self.sources(rnode),
                rnode.string("note", None),
            )
            rnode.finish()
        comparable: tuple[str, ...] = node.strings("comparable_versions", ())
        for other in comparable:
            if not _VERSION.match(other):
                raise node.fail("comparable_versions", f"{other!r} is not a dotted version")
        spec = ChangeSpec(
            direction=direction,
            response_percent=self.threshold(node, "response", "percent"),
            remission=self.threshold(node, "remission", "value", with_op=True),
            reliable_change=self.threshold(node, "reliable_change", "points"),
            minimal_important_change=self.threshold(node, "minimal_important_change", "points"),
            rci=rci,
            comparable_versions=comparable,
        )
        node.finish()
        return spec

    # -- precompilation ----------------------------------------------------------------------

    def compile(
        self,
        items: tuple[Item, ...],
        scoring: Scoring,
        bands: tuple[Band, ...],
        flags: tuple[Flag, ...],
        ranges: Mapping[str, tuple[Number, Number]],
    ) -> Runtime:
        defaults = MappingProxyType({o.id: o.default for o in self.options.values()})
        compiled = tuple(
            CompiledFlag(
                f,
                compile_condition(f.when),
                render_message(f.message, defaults),
                render_message(f.summary, defaults) if f.summary is not None else None,
                f"Safety rule {f.id} ({describe(f.when)}) cannot be decided because an item it "
                f"needs is missing or invalid: clinician review needed.",
            )
            for f in flags
        )
        plain = tuple(i.id for i in items if i.required and i.ask_if is None)
        table: list[Band] = []
        for band in bands:
            table.extend([band] * (band.max - band.min + 1))
        return Runtime(
            index=MappingProxyType({i.id: i for i in items}),
            item_ids=frozenset(i.id for i in items),
            checks=tuple((i.id, _fast_values(i.response), i.response) for i in items),
            required_plain=frozenset(plain),
            required_order=plain,
            conditional=tuple(
                (i.id, i.required, compile_condition(i.ask_if)) for i in items if i.ask_if is not None
            ),
            levels=tuple(
                (lv.value, compile_condition(lv.when))
                for lv in sorted(scoring.levels, key=lambda lv: -lv.value)
            ),
            flags=compiled,
            safety_flags=tuple(c for c in compiled if c.flag.severity == "safety"),
            needs_scores=any(condition_uses_scores(f.when) for f in flags),
            band_table=tuple(table),
            default_options=defaults,
            ranges=MappingProxyType(dict(ranges)),
        )


def _fast_values(response: ResponseSet) -> frozenset[int]:
    """The whole-number answers accepted without further checks (small integer ranges only)."""
    if response.kind == "choice":
        return frozenset(o.value for o in response.options)
    if response.integer and response.max - response.min <= _FAST_RANGE_LIMIT:
        return frozenset(range(int(response.min), int(response.max) + 1))
    return frozenset()


def render_message(message: str, options: Mapping[str, object]) -> str:
    """Fill ``{option}`` placeholders in a flag message with the option values in force."""
    return _PLACEHOLDER.sub(lambda m: _fmt(options[m.group(1)]), message)
