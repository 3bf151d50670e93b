"""Reading an instrument definition's sections, strictly, into an ``Instrument``.

The file format is documented in ``kapstone/measures/definitions/README.md``. Everything is
validated at load time (unknown keys, types, references, band coverage, option defaults) so the
scoring engine never meets a malformed definition; references between sections are read in
``reader.py`` and the result is precompiled in ``precompile.py``. Pure Python, no Django.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from kapstone.lib.datafile import ID, VERSION, read_sources

from .instrument import (
    Band,
    ChangeSpec,
    Flag,
    Instrument,
    Item,
    Level,
    Licence,
    Loinc,
    Number,
    Option,
    Rci,
    ResponseOption,
    ResponseSet,
    Scoring,
    Source,
    Subscale,
    Threshold,
    fmt,
)
from .precompile import precompile
from .reader import DefinitionNode, References
from .rules import OptionRef, condition_items, condition_uses_scores

FORMAT_VERSION = 1

_SUBSCALE_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_LOINC = re.compile(r"^\d{1,7}-\d$")
_LOINC_ANSWER = re.compile(r"^LA\d{1,7}-\d$")
_LOINC_LIST = re.compile(r"^LL\d{1,7}-\d$")

SEVERITIES = ("safety", "clinical", "info")
OPTION_TYPES = ("integer", "number", "choice", "boolean")
OPTION_STATUSES = ("confirmed", "UNCONFIRMED", "CONFLICT", "design-choice", "clinic-supplied")
METHODS = ("sum", "mean", "highest_level")
AGGREGATIONS = ("sum", "mean")
DIRECTIONS = ("lower_is_better", "higher_is_better")


def parse_definition(data: Mapping[str, Any], source: str = "<definition>") -> Instrument:
    """Validate an already-parsed TOML document and build an ``Instrument``."""
    return _Parser(DefinitionNode(dict(data), "", source)).parse()


class _Parser(References):
    def parse(self) -> Instrument:
        root = self.root
        file_format: int = root.integer("format")
        if file_format != FORMAT_VERSION:
            raise root.fail(
                "format", f"unsupported format {file_format} (this engine reads {FORMAT_VERSION})"
            )
        ident = root.ident("id")
        version: str = root.string("version")
        if not VERSION.match(version):
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
        sources = MappingProxyType(dict(self.listed_sources))
        runtime = precompile(self.options, items, scoring, bands, flags, ranges)
        return Instrument(
            format=file_format,
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
        self.listed_sources = read_sources(self.root, Source)

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

    def response_set(self, node: DefinitionNode, sid: str) -> ResponseSet:
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
            if not ID.match(sid):
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
            if not ID.match(oid):
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
                ask_if = self.condition(node.get("ask_if"), node.path("ask_if"), items_only=True)
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

    def plain_items(self, node: DefinitionNode, key: str, ids: tuple[str, ...]) -> None:
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

    def parse_scoring(self) -> Scoring:
        node = self.root.table("scoring", required=True)
        assert node is not None
        method: str | None = node.string("method", None)
        method_option: str | None = node.string("method_option", None)
        if (method is None) == (method_option is None):
            raise node.fail(None, "give exactly one of method or method_option")
        if method is not None and method not in METHODS:
            raise node.fail("method", f"expected one of {', '.join(METHODS)}")
        if method_option is not None:
            self.method_option(node, method_option)
        multiplier: int = node.integer("multiplier", 1)
        if node.has("multiplier") and (method != "sum" or multiplier < 1):
            raise node.fail(
                "multiplier", "a positive whole-number multiplier is allowed with method = sum only"
            )
        default_level: int = node.integer("default_level", 0)
        if default_level < 0:
            raise node.fail("default_level", "must not be negative")
        levels: tuple[Level, ...] = ()
        items: tuple[str, ...] = ()
        if method == "highest_level":
            if node.has("items"):
                raise node.fail("items", "highest_level scoring takes levels, not items")
            levels = self.levels(node, default_level)
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
            levels,
            default_level,
            self.sources(node),
            node.string("note", None),
        )
        node.finish()
        return scoring

    def method_option(self, node: DefinitionNode, name: str) -> None:
        """A method chosen by the clinic: a choice option among sum/mean, with a default."""
        option = self.options.get(name)
        if option is None or option.type != "choice" or not set(option.choices) <= set(AGGREGATIONS):
            raise node.fail("method_option", "must name a choice option whose choices are sum/mean")
        if option.default is None:
            raise node.fail("method_option", f"option {name!r} needs a default")

    def levels(self, node: DefinitionNode, default_level: int) -> tuple[Level, ...]:
        """highest_level scoring: levels above the default, on required items, never on scores."""
        levels: list[Level] = []
        for lnode in node.tables("levels"):
            value: int = lnode.integer("value")
            if value <= default_level or any(lv.value == value for lv in levels):
                raise lnode.fail("value", "level values must be unique and above default_level")
            when = self.condition(lnode.get("when"), lnode.path("when"))
            for iid in condition_items(when):
                if not self.items[iid].required:
                    raise lnode.fail("when", f"item {iid!r} is optional, so a level cannot depend on it")
            if condition_uses_scores(when):
                raise lnode.fail("when", "a level cannot depend on scores")
            levels.append(Level(value, lnode.string("label"), when, self.sources(lnode)))
            lnode.finish()
        if not levels:
            raise node.fail("levels", "highest_level scoring needs at least one level")
        return tuple(levels)

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
                "ranges", f"the last band ends at {bands[-1].max}, but the highest total is {fmt(high)}"
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
            when = self.condition(node.get("when"), node.path("when"))
            flags.append(Flag(fid, severity, message, when, item, summary, self.sources(node)))
            node.finish()
        return tuple(flags)

    def threshold(
        self, parent: DefinitionNode, key: str, value_key: str, *, with_op: bool = False
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
            if not VERSION.match(other):
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
