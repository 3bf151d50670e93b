"""Definition files: the shipped set, loading and validation errors, clinic folders and versions."""

from __future__ import annotations

import ast
import copy
import shutil
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kapstone.measures.scoring import (
    SHIPPED_DIR,
    DefinitionError,
    Registry,
    UnknownInstrumentError,
    load_definition,
    parse_definition,
    score,
)
from kapstone.measures.scoring.definition import Option, parse_number

SHIPPED = ["cssrs_screener", "ebi", "gad7", "meq30", "pcl5", "phq9", "who5"]
SCORING_PACKAGE = Path(__file__).resolve().parents[2] / "src" / "kapstone" / "measures" / "scoring"

BASE = """
format = 1
id = "demo"
version = "1.0.0"
title = "Demo scale"
citation = "Demo A. A demo scale. 2024."

[[sources]]
id = "S1"
citation = "Source one."
grade = "P"

[licence]
name = "Free"
text_may_be_shipped = true
sources = ["S1"]

[loinc]
panel = "12345-6"

[response_sets.scale]
options = [
  { value = 0, label = "Never", loinc = "LA6568-5" },
  { value = 1, label = "Sometimes" },
  { value = 2, label = "Often" },
  { value = 3, label = "Always" },
]

[[items]]
id = "d_1"
text = "One"
response_set = "scale"

[[items]]
id = "d_2"
text = "Two"
response_set = "scale"

[[items]]
id = "d_3"
text = "Three"
response_set = "scale"

[[items]]
id = "d_4"
text = "Comment scale"
min = 0
max = 10
scored = false
required = false

[options.cut]
type = "integer"
label = "Cut"
default = 2
min = 0
max = 9
status = "CONFLICT"
sources = ["S1"]

[options.sd]
type = "number"
label = "SD"
min = 0
status = "clinic-supplied"
sources = ["S1"]

[[subscales]]
id = "A"
label = "Part A"
items = ["d_1", "d_2"]
sources = ["S1"]

[scoring]
method = "sum"
sources = ["S1"]

[bands]
sources = ["S1"]
ranges = [
  { min = 0, max = 4, label = "Low" },
  { min = 5, max = 9, label = "High" },
]

[[flags]]
id = "f1"
severity = "safety"
item = "d_1"
when = { item = "d_1", op = ">=", value = { option = "cut" } }
message = "d_1 at or above {cut}"
summary = "flag {cut}"
sources = ["S1"]

[change]
direction = "lower_is_better"
response = { percent = 50, sources = ["S1"] }
remission = { op = "<", value = 3, sources = ["S1"] }
reliable_change = { points = 2, sources = ["S1"] }
minimal_important_change = { points = { option = "cut" }, sources = ["S1"] }
rci = { sd = { option = "sd" }, reliability = 0.8, sources = ["S1"] }
"""


def base() -> dict[str, Any]:
    return tomllib.loads(BASE)


def items(d: dict[str, Any]) -> list[dict[str, Any]]:
    return d["items"]


def test_base_definition_is_valid():
    instrument = parse_definition(base(), "demo.toml")
    assert (instrument.id, instrument.version, len(instrument.items)) == ("demo", "1.0.0", 4)
    assert instrument.total_range("sum") == (0, 9)
    result = score(instrument, {"d_1": 3, "d_2": 1, "d_3": 2, "d_4": 7})
    assert (result.total, result.band) == (6, "High")
    assert result.interpretation == "High (5-9); flag 2"
    assert result.subscales == {"A": {"label": "Part A", "score": 4, "max": 6, "percent_of_max": 66.67}}


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(d: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        node: Any = d
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        node[int(last) if last.isdigit() else last] = copy.deepcopy(value)

    return apply


def _del(path: str) -> Callable[[dict[str, Any]], None]:
    def apply(d: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        node: Any = d
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        del node[last]

    return apply


def _all(*fns: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def apply(d: dict[str, Any]) -> None:
        for fn in fns:
            fn(d)

    return apply


SCALE_ONLY = _all(_del("subscales"), _del("bands"))

INVALID = [
    # generic reading
    ("table expected", _set("licence", "free"), "licence: expected a table"),
    ("unknown top-level key", _set("colour", "blue"), ": unknown key(s): colour"),
    ("unknown nested key", _set("items/0/colour", "blue"), "items[0]: unknown key(s): colour"),
    ("missing required key", _del("title"), "title: required key is missing"),
    ("empty string", _set("title", " "), "title: expected a non-empty string"),
    ("bad id", _set("id", "Demo"), "id: 'Demo' is not a valid id"),
    ("boolean expected", _set("items/0/scored", "yes"), "items[0].scored: expected true or false"),
    ("whole number expected", _set("format", 1.0), "format: expected a whole number"),
    ("bool is not a whole number", _set("format", True), "format: expected a whole number"),
    ("number expected", _set("items/3/max", "ten"), "items[3].max: expected a number"),
    ("array expected", _set("subscales/0/items", "d_1"), "subscales[0].items: expected an array"),
    ("strings expected", _set("subscales/0/items", ["d_1", 2]), "expected an array of non-empty strings"),
    ("repeated entry", _set("subscales/0/items", ["d_1", "d_1"]), "contains a repeated entry"),
    # header
    ("unsupported format", _set("format", 2), "format: unsupported format 2"),
    ("bad version", _set("version", "v1"), "version: 'v1' is not a dotted version"),
    (
        "text not shippable",
        _set("licence/text_may_be_shipped", False),
        "item_text_supplied_by_clinic: must be true when the licence",
    ),
    # sources
    ("no sources", _set("sources", []), "sources: list at least one [[sources]] entry"),
    (
        "duplicate source",
        lambda d: d["sources"].append({"id": "S1", "citation": "again"}),
        "sources[1].id: source 'S1' is listed twice",
    ),
    ("bad grade", _set("sources/0/grade", "A"), "sources[0].grade: 'A' is not one of P, S, G"),
    ("uncited", _set("scoring/sources", []), "scoring.sources: cite at least one source"),
    ("unknown citation", _set("scoring/sources", ["S9"]), "source 'S9' is not listed in [[sources]]"),
    ("licence missing", _del("licence"), "licence: required key is missing"),
    # LOINC
    ("bad loinc", _set("loinc/panel", "44249"), "loinc.panel: '44249' is not a LOINC code"),
    ("bad answer loinc", _set("response_sets/scale/options/0/loinc", "6568-5"), "is not a LOINC code"),
    # response sets
    (
        "response set name",
        _set("response_sets/Scale", {"min": 0, "max": 1}),
        "response set names are lower-case",
    ),
    ("options and range", _set("response_sets/scale/min", 0), "give either options = [...] or min and max"),
    (
        "neither options nor range",
        _all(_del("items/3/min"), _del("items/3/max")),
        "items[3]: give either options",
    ),
    ("repeated option value", _set("response_sets/scale/options/1/value", 0), "value 0 is listed twice"),
    (
        "one option",
        _set("response_sets/scale/options", [{"value": 0, "label": "Only"}]),
        "list at least two options",
    ),
    ("empty range", _set("items/3/max", 0), "items[3].max: must be greater than min"),
    ("fractional integer range", _set("items/3/max", 9.5), "an integer range needs whole-number min and max"),
    # options
    ("option name", _set("options/Cut", {}), "options.Cut: option names are lower-case ids"),
    ("option type", _set("options/cut/type", "float"), "options.cut.type: expected one of integer"),
    (
        "one choice",
        _all(
            _set(
                "options/agg",
                {"type": "choice", "label": "A", "choices": ["sum"], "status": "CONFLICT", "sources": ["S1"]},
            )
        ),
        "options.agg.choices: list at least two choices",
    ),
    ("min above max", _set("options/cut/min", 10), "options.cut.max: must not be less than min"),
    ("option status", _set("options/cut/status", "maybe"), "options.cut.status: expected one of"),
    ("bad default", _set("options/cut/default", 12), "options.cut.default: expected at most 9"),
    # items
    ("no items", _set("items", []), "items: list at least one [[items]] entry"),
    ("duplicate item", _set("items/1/id", "d_1"), "items[1].id: item 'd_1' is defined twice"),
    ("unknown response set", _set("items/0/response_set", "nope"), "response set 'nope' is not defined"),
    ("response set and inline", _set("items/0/min", 0), "give response_set or inline options/min/max"),
    (
        "ask_if on a later item",
        _set("items/0/ask_if", {"item": "d_2", "op": "==", "value": 1}),
        "item 'd_2' is not defined before this one (skip logic may only depend on earlier items)",
    ),
    (
        "ask_if on itself",
        _set("items/0/ask_if", {"item": "d_1", "op": "==", "value": 1}),
        "item 'd_1' is not defined before this one",
    ),
    (
        "count in ask_if on a later item",
        _set("items/0/ask_if", {"at_least": 1, "of": ["d_3"], "op": "==", "value": 1}),
        "items[0].ask_if.of: item 'd_3' is not defined before this one",
    ),
    (
        "ask_if on scores",
        _set("items/1/ask_if", {"score": "total", "op": ">", "value": 1}),
        "skip logic can only test items",
    ),
    # conditions
    (
        "two kinds",
        _set("flags/0/when", {"item": "d_1", "score": "total", "op": ">", "value": 1}),
        "a condition needs exactly one of",
    ),
    ("no kind", _set("flags/0/when", {"op": ">", "value": 1}), "a condition needs exactly one of"),
    ("empty all", _set("flags/0/when", {"all": []}), "flags[0].when.all: needs at least one condition"),
    ("all not an array", _set("flags/0/when", {"all": "x"}), "flags[0].when.all: expected an array"),
    (
        "unknown item in rule",
        _set("flags/0/when/item", "d_9"),
        "flags[0].when.item: item 'd_9' is not defined",
    ),
    ("unknown operator", _set("flags/0/when/op", "=>"), "unknown operator '=>'"),
    (
        "count too high",
        _set("flags/0/when", {"at_least": 3, "of": ["d_1", "d_2"], "op": ">=", "value": 1}),
        "must be between 1 and the number of items (2)",
    ),
    (
        "count zero",
        _set("flags/0/when", {"at_least": 0, "of": ["d_1"], "op": ">=", "value": 1}),
        "must be between 1",
    ),
    (
        "unknown count item",
        _set("flags/0/when", {"at_least": 1, "of": ["d_1", "x"], "op": ">=", "value": 1}),
        "item 'x' is not defined",
    ),
    (
        "unknown score",
        _set("flags/0/when", {"score": "B", "op": ">=", "value": 1}),
        "'B' is neither 'total' nor a subscale id",
    ),
    (
        "unknown option",
        _set("flags/0/when/value", {"option": "nope"}),
        "option 'nope' is not defined in [options]",
    ),
    (
        "non-numeric option",
        _all(
            _set(
                "options/agg",
                {
                    "type": "choice",
                    "label": "A",
                    "choices": ["sum", "mean"],
                    "default": "sum",
                    "status": "CONFLICT",
                    "sources": ["S1"],
                },
            ),
            _set("flags/0/when/value", {"option": "agg"}),
        ),
        "option 'agg' is not numeric",
    ),
    (
        "rule option without default",
        _set("flags/0/when/value", {"option": "sd"}),
        "option 'sd' has no default, so a rule cannot use it",
    ),
    ("option ref extra key", _set("flags/0/when/value", {"option": "cut", "x": 1}), "unknown key(s): x"),
    ("value not a number", _set("flags/0/when/value", "1"), "expected a number or {option"),
    ("infinite value", _set("flags/0/when/value", float("inf")), "expected a number or {option"),
    # subscales
    (
        "reserved subscale id",
        _set("subscales/0/id", "total"),
        "subscale id 'total' is used twice or is reserved",
    ),
    ("bad subscale id", _set("subscales/0/id", "1A"), "subscales[0].id: '1A' is not a valid id"),
    ("no subscale items", _set("subscales/0/items", []), "subscales[0].items: list at least one item"),
    ("unknown subscale item", _set("subscales/0/items", ["d_9"]), "item 'd_9' is not defined"),
    ("unscored in subscale", _set("items/1/scored", False), "item 'd_2' is marked scored = false"),
    ("optional in subscale", _set("items/1/required", False), "item 'd_2' is optional or conditional"),
    (
        "conditional in total",
        _all(SCALE_ONLY, _set("items/1/ask_if", {"item": "d_1", "op": "==", "value": 1})),
        "item 'd_2' is optional or conditional",
    ),
    (
        "fractional subscale",
        _all(
            _del("bands"),
            _set("items/3/scored", True),
            _set("items/3/required", True),
            _set("items/3/integer", False),
            _set("subscales/0/items", ["d_4"]),
        ),
        "subscales sum whole-number items only",
    ),
    (
        "zero-maximum subscale",
        _all(
            _del("bands"),
            _set("response_sets/neg", {"options": [{"value": -1, "label": "a"}, {"value": 0, "label": "b"}]}),
            _set("items/1/response_set", "neg"),
            _set("subscales/0/items", ["d_2"]),
        ),
        "the subscale maximum must be above zero",
    ),
    # scoring
    ("scoring missing", _del("scoring"), "scoring: required key is missing"),
    (
        "method and option",
        _set("scoring/method_option", "cut"),
        "give exactly one of method or method_option",
    ),
    ("no method", _del("scoring/method"), "give exactly one of method or method_option"),
    ("unknown method", _set("scoring/method", "median"), "scoring.method: expected one of sum"),
    (
        "method option not a choice",
        _all(_del("scoring/method"), _set("scoring/method_option", "cut")),
        "must name a choice option whose choices are sum/mean",
    ),
    (
        "method option missing",
        _all(_del("scoring/method"), _set("scoring/method_option", "nope")),
        "must name a choice option",
    ),
    (
        "method option without default",
        _all(
            _del("scoring/method"),
            _del("bands"),
            _set("scoring/method_option", "agg"),
            _set(
                "options/agg",
                {
                    "type": "choice",
                    "label": "A",
                    "choices": ["sum", "mean"],
                    "status": "CONFLICT",
                    "sources": ["S1"],
                },
            ),
        ),
        "option 'agg' needs a default",
    ),
    (
        "multiplier with mean",
        _all(SCALE_ONLY, _set("scoring/method", "mean"), _set("scoring/multiplier", 2)),
        "multiplier is allowed with method = sum only",
    ),
    ("zero multiplier", _set("scoring/multiplier", 0), "multiplier is allowed with method = sum only"),
    (
        "negative default level",
        _set("scoring/default_level", -1),
        "scoring.default_level: must not be negative",
    ),
    ("levels with sum", _set("scoring/levels", []), "levels are only used with method = highest_level"),
    (
        "default level with sum",
        _set("scoring/default_level", 0),
        "levels are only used with method = highest_level",
    ),
    (
        "no scored items",
        _all(SCALE_ONLY, *[_set(f"items/{n}/scored", False) for n in range(3)]),
        "scoring.items: list at least one item",
    ),
    (
        "non-positive total",
        _all(
            SCALE_ONLY,
            _set("response_sets/neg", {"options": [{"value": -1, "label": "a"}, {"value": 0, "label": "b"}]}),
            *[_set(f"items/{n}/response_set", "neg") for n in range(3)],
        ),
        "scoring: the highest possible total must be above zero",
    ),
    # bands
    ("bands on a mean", _all(_set("scoring/method", "mean")), "bands need a whole-number total"),
    ("band min above max", _set("bands/ranges/0/max", -1), "bands.ranges[0].max: must not be less than min"),
    ("band overlap", _set("bands/ranges/1/min", 4), "band starting at 4 overlaps the previous band"),
    ("band below lowest", _set("bands/ranges/0/min", -1), "starts below the lowest total 0"),
    ("band gap", _set("bands/ranges/1/min", 6), "gap: no band covers totals from 5 to 5"),
    (
        "band short of maximum",
        _set("bands/ranges/1/max", 8),
        "the last band ends at 8, but the highest total is 9",
    ),
    ("no bands", _set("bands/ranges", []), "bands.ranges: list at least one band"),
    ("band loinc", _set("bands/ranges/0/loinc", "LA1"), "is not a LOINC code"),
    # flags
    (
        "duplicate flag",
        lambda d: d["flags"].append(copy.deepcopy(d["flags"][0])),
        "flag 'f1' is defined twice",
    ),
    ("bad severity", _set("flags/0/severity", "urgent"), "flags[0].severity: expected one of safety"),
    ("unknown placeholder", _set("flags/0/message", "see {nope}"), "placeholder {nope} must name an option"),
    (
        "placeholder without default",
        _set("flags/0/message", "sd {sd}"),
        "placeholder {sd} must name an option",
    ),
    ("stray brace", _set("flags/0/message", "a { b"), "braces are only allowed around an option name"),
    ("stray closing brace", _set("flags/0/summary", "a } b"), "flags[0].summary: braces are only allowed"),
    ("unknown flag item", _set("flags/0/item", "d_9"), "flags[0].item: item 'd_9' is not defined"),
    # change
    ("bad direction", _set("change/direction", "down"), "change.direction: expected one of lower_is_better"),
    (
        "zero threshold",
        _set("change/reliable_change/points", 0),
        "change.reliable_change.points: must be above zero",
    ),
    ("bad remission op", _set("change/remission/op", "lt"), "unknown operator 'lt'"),
    ("bad comparable version", _set("change/comparable_versions", ["one"]), "'one' is not a dotted version"),
    (
        "rci needs reliability",
        _del("change/rci/reliability"),
        "change.rci.reliability: required key is missing",
    ),
]


@pytest.mark.parametrize(("mutate", "fragment"), [pytest.param(m, f, id=name) for name, m, f in INVALID])
def test_invalid_definitions_are_refused(mutate, fragment):
    data = base()
    mutate(data)
    with pytest.raises(DefinitionError) as caught:
        parse_definition(data, "demo.toml")
    assert str(caught.value).startswith("demo.toml: ")
    assert fragment in str(caught.value)
    assert caught.value.source == "demo.toml"
    assert caught.value.line is None


HIGHEST_LEVEL = _all(
    SCALE_ONLY,
    _del("flags"),
    _set("scoring/method", "highest_level"),
    _set(
        "scoring/levels",
        [
            {"value": 2, "label": "Two", "when": {"item": "d_2", "op": "==", "value": 3}, "sources": ["S1"]},
            {"value": 1, "label": "One", "when": {"item": "d_1", "op": ">=", "value": 1}, "sources": ["S1"]},
        ],
    ),
)

INVALID_LEVELS = [
    ("items with levels", _set("scoring/items", ["d_1"]), "highest_level scoring takes levels, not items"),
    (
        "level at default",
        _set("scoring/levels/1/value", 0),
        "level values must be unique and above default_level",
    ),
    ("repeated level", _set("scoring/levels/1/value", 2), "level values must be unique"),
    (
        "level on optional item",
        _set("scoring/levels/0/when", {"item": "d_4", "op": ">", "value": 1}),
        "item 'd_4' is optional, so a level cannot depend on it",
    ),
    (
        "level on scores",
        _set("scoring/levels/0/when", {"score": "total", "op": ">", "value": 1}),
        "a level cannot depend on scores",
    ),
    ("no levels", _set("scoring/levels", []), "highest_level scoring needs at least one level"),
]


@pytest.mark.parametrize(
    ("mutate", "fragment"), [pytest.param(m, f, id=name) for name, m, f in INVALID_LEVELS]
)
def test_invalid_levels_are_refused(mutate, fragment):
    data = base()
    HIGHEST_LEVEL(data)
    mutate(data)
    with pytest.raises(DefinitionError, match=None) as caught:
        parse_definition(data, "demo.toml")
    assert fragment in str(caught.value)


def test_highest_level_scoring_and_optional_sections():
    data = base()
    HIGHEST_LEVEL(data)
    del data["loinc"], data["change"], data["options"]
    data["short_title"] = "Demo"
    instrument = parse_definition(data)
    assert instrument.path == "<definition>"
    assert instrument.loinc.panel is None and instrument.change is None and instrument.options == {}
    assert instrument.total_range("highest_level") == (0, 2)
    result = score(instrument, {"d_1": 1, "d_2": 3, "d_3": 0})
    assert (result.total, result.band, result.interpretation) == (
        2,
        None,
        "Demo highest_level score 2 (range 0-2)",
    )
    assert score(instrument, {"d_1": 1, "d_2": 0, "d_3": 0}).total == 1
    assert score(instrument, {"d_1": 0, "d_2": 0, "d_3": 0}).total == 0


def test_inline_options_and_wide_ranges_and_decimal_ranges():
    data = base()
    SCALE_ONLY(data)
    del data["response_sets"]
    for n in range(3):
        del data["items"][n]["response_set"]
        data["items"][n]["options"] = [{"value": 0, "label": "No"}, {"value": 2, "label": "Yes"}]
    data["items"][3].update({"min": 0, "max": 5000})  # too wide for the fast path
    data["items"].append(
        {
            "id": "d_5",
            "text": "Five",
            "min": 0,
            "max": 1,
            "integer": False,
            "required": False,
            "scored": False,
        }
    )
    data["bands"] = {"sources": ["S1"], "ranges": [{"min": 0, "max": 6, "label": "All"}]}
    instrument = parse_definition(data)
    result = score(instrument, {"d_1": 2, "d_2": 0, "d_3": 2, "d_4": 4999, "d_5": 0.25})
    assert (result.complete, result.total, result.band) == (True, 4, "All")
    result = score(instrument, {"d_1": 1, "d_2": 0, "d_3": 2, "d_4": 5001, "d_5": 1.5})
    assert [(e["item"], e["code"]) for e in result.errors] == [
        ("d_1", "out_of_range"),
        ("d_4", "out_of_range"),
        ("d_5", "out_of_range"),
    ]
    assert result.errors[0]["message"] == "d_1: 1 is not an allowed answer (0, 2)"
    assert result.errors[2]["message"] == "d_5: 1.5 is outside 0-1"


# -- loading files -----------------------------------------------------------------------------


def test_toml_syntax_error_names_file_and_line(tmp_path):
    bad = tmp_path / "broken.toml"
    bad.write_text('format = 1\nid = "x"\ntitle = = "oops"\n', encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_definition(bad)
    assert caught.value.line == 3
    assert str(caught.value).startswith(f"{bad}, line 3: TOML syntax error")
    assert "broken.toml" in str(caught.value)


def test_toml_error_at_end_of_document_has_no_line(tmp_path):
    bad = tmp_path / "cut.toml"
    bad.write_text("format = [1,", encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_definition(bad)
    assert caught.value.line is None
    assert "cut.toml: TOML syntax error: Invalid value (at end of document)" in str(caught.value)


def test_unreadable_and_non_utf8_files(tmp_path):
    with pytest.raises(DefinitionError, match="missing.toml: cannot read the file"):
        load_definition(tmp_path / "missing.toml")
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b'title = "L\xf6we"\n')
    with pytest.raises(DefinitionError, match="latin.toml: the file is not UTF-8 text"):
        load_definition(latin)


def test_validation_error_from_a_file_names_the_file(tmp_path):
    path = tmp_path / "demo.toml"
    path.write_text(BASE.replace('method = "sum"', 'method = "median"'), encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_definition(path)
    assert str(caught.value) == f"{path}: scoring.method: expected one of sum, mean, highest_level"


def test_clinic_folder_adds_an_instrument_and_a_newer_version(tmp_path):
    clinic = tmp_path / "clinic"
    clinic.mkdir()
    who = (SHIPPED_DIR / "who5.toml").read_text(encoding="utf-8")
    (clinic / "wellbeing.toml").write_text(
        who.replace('id = "who5"', 'id = "clinic_wellbeing"'), encoding="utf-8"
    )
    phq = (SHIPPED_DIR / "phq9.toml").read_text(encoding="utf-8")
    newer = phq.replace('version = "1.0.0"', 'version = "1.10.0"').replace(
        'label = "Severe depression"', 'label = "Severe depression (clinic wording)"'
    )
    (clinic / "phq9-clinic.toml").write_text(newer, encoding="utf-8")
    (clinic / "notes.md").write_text("not a definition", encoding="utf-8")

    registry = Registry.load([clinic])
    assert registry.ids() == sorted(SHIPPED + ["clinic_wellbeing"])
    assert "clinic_wellbeing" in registry and "nope" not in registry
    assert len(registry) == len(SHIPPED) + 2
    wellbeing = registry.get("clinic_wellbeing")
    assert score(wellbeing, {f"who5_{n}": 5 for n in range(1, 6)}).total == 100
    assert registry.get("phq9").version == "1.10.0"  # 1.10 > 1.9 > 1.0: compared as numbers
    assert registry.get("phq9", "1.0.0").version == "1.0.0"
    top = {f"phq9_{n}": 3 for n in range(1, 10)}
    assert score(registry.get("phq9"), top).band == "Severe depression (clinic wording)"
    assert score(registry.get("phq9", "1.0.0"), top).band == "Severe depression"
    assert [(i.id, i.version) for i in registry.all() if i.id == "phq9"] == [
        ("phq9", "1.0.0"),
        ("phq9", "1.10.0"),
    ]


def test_same_id_and_version_twice_is_an_error(tmp_path):
    clinic = tmp_path / "clinic"
    clinic.mkdir()
    shutil.copy(SHIPPED_DIR / "gad7.toml", clinic / "gad7-copy.toml")
    with pytest.raises(DefinitionError, match="gad7 version 1.0.0 is already defined in .*gad7.toml"):
        Registry.load([clinic])


def test_shipped_folder_named_again_is_loaded_once():
    assert len(Registry.load([SHIPPED_DIR])) == len(SHIPPED)


def test_missing_clinic_folder_is_an_error(tmp_path):
    with pytest.raises(DefinitionError, match="not a directory of instrument definitions"):
        Registry.load([tmp_path / "nowhere"])


def test_registry_without_shipped_definitions(tmp_path):
    assert len(Registry.load([tmp_path], include_shipped=False)) == 0
    with pytest.raises(UnknownInstrumentError, match="no instrument 'phq9' is installed"):
        Registry.load([tmp_path], include_shipped=False).get("phq9")


def test_unknown_version(registry):
    with pytest.raises(UnknownInstrumentError, match=r"phq9 has no version '9.9' \(installed: 1.0.0\)"):
        registry.get("phq9", "9.9")


# -- the shipped definitions -----------------------------------------------------------------------


def test_every_shipped_definition_loads(registry):
    assert registry.ids() == SHIPPED
    assert sorted(p.stem for p in SHIPPED_DIR.glob("*.toml")) == SHIPPED
    assert (SHIPPED_DIR / "README.md").is_file()
    for instrument in registry.all():
        assert instrument.version == "1.0.0"
        assert instrument.scoring.sources
        assert instrument.path.endswith(f"{instrument.id}.toml")


def test_phq9_loinc_codes_match_the_reference(phq9):
    assert (phq9.loinc.panel, phq9.loinc.total, phq9.loinc.answer_list) == ("44249-1", "44261-6", "LL358-9")
    assert [i.loinc for i in phq9.items] == [
        "44250-9",
        "44255-8",
        "44259-0",
        "44254-1",
        "44251-7",
        "44258-2",
        "44252-5",
        "44253-3",
        "44260-8",
        "69722-7",
    ]
    assert [o.loinc for o in phq9.response_sets["frequency"].options] == [
        "LA6568-5",
        "LA6569-3",
        "LA6570-1",
        "LA6571-9",
    ]
    difficulty = phq9.items[-1]
    assert (difficulty.id, difficulty.scored, difficulty.required) == ("phq9_10", False, False)


def test_gad7_loinc_codes_follow_the_hl7_mapping(gad7):
    assert (gad7.loinc.panel, gad7.loinc.total) == ("69737-5", "70274-6")
    assert [i.loinc for i in gad7.items] == [
        "69725-0",
        "68509-9",
        "69733-4",
        "69734-2",
        "69735-9",
        "69689-8",
        "69736-7",
    ]


def test_pcl5_has_only_the_panel_code(pcl5):
    assert pcl5.loinc.panel == "101697-1"
    assert pcl5.loinc.total is None
    assert all(i.loinc is None for i in pcl5.items)


def test_cssrs_codes_and_skip_logic(cssrs):
    assert [i.loinc for i in cssrs.items] == [
        "93246-7",
        "93247-5",
        "93248-3",
        "93249-1",
        "93250-9",
        "93267-3",
        "93269-9",
    ]
    assert cssrs.loinc.panel is None and cssrs.loinc.band == "93374-7"
    assert [b.loinc for b in cssrs.bands] == [None, "LA9194-7", None, None]
    asked_if = {i.id: i.ask_if for i in cssrs.items if i.ask_if is not None}
    assert sorted(asked_if) == ["cssrs_3", "cssrs_4", "cssrs_5", "cssrs_6b"]


def test_unconfirmed_and_conflicting_thresholds_are_options_with_defaults(registry):
    expected = {
        ("pcl5", "cutpoint"): 33,
        ("pcl5", "reliable_change_points"): 10,
        ("pcl5", "mic_points"): 10,
        ("meq30", "cme_threshold_percent"): 60,
        ("ebi", "aggregation"): "mean",
        ("phq9", "item9_flag_min"): 1,
    }
    found = {}
    for instrument in registry.all():
        for option in instrument.options.values():
            assert option.sources, (instrument.id, option.id)
            if option.status in ("UNCONFIRMED", "CONFLICT", "design-choice") and option.default is not None:
                found[(instrument.id, option.id)] = option.default
            if option.status == "clinic-supplied":
                assert option.default is None
    assert found == expected


def test_licences_decide_whether_item_text_ships(registry):
    clinic_text = {i.id for i in registry.all() if i.item_text_supplied_by_clinic}
    assert clinic_text == {"meq30", "ebi"}
    for instrument in registry.all():
        assert instrument.licence.text_may_be_shipped is (instrument.id not in clinic_text)


# -- small helpers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3", 3),
        (" -2 ", -2),
        ("+4", 4),
        ("2.5", 2.5),
        ("1e2", 100.0),
        ("x", "x"),
        ("nan", "x"),
        ("inf", "x"),
        ("", "x"),
    ],
)
def test_parse_number(text, expected):
    assert parse_number(text, "x") == expected


def _option(kind: str, **kw: Any) -> Option:
    defaults = {
        "id": "o",
        "type": kind,
        "label": "O",
        "default": None,
        "choices": (),
        "min": None,
        "max": None,
        "status": "CONFLICT",
        "note": None,
        "sources": ("S1",),
    }
    return Option(**{**defaults, **kw})


@pytest.mark.parametrize(
    ("option", "value", "problem"),
    [
        (_option("boolean"), True, None),
        (_option("boolean"), 1, "expected true or false"),
        (_option("choice", choices=("a", "b")), "a", None),
        (_option("choice", choices=("a", "b")), "c", "expected one of a, b"),
        (_option("integer"), "3", "expected a whole number"),
        (_option("integer"), True, "expected a whole number"),
        (_option("integer"), 2.0, "expected a whole number"),
        (_option("number"), "3", "expected a number"),
        (_option("number"), float("inf"), "expected a finite number"),
        (_option("number", min=0.5), 0.25, "expected at least 0.5"),
        (_option("number", max=1), 1.5, "expected at most 1"),
        (_option("number", min=0, max=1), 1, None),
    ],
)
def test_option_check(option, value, problem):
    assert option.check(value) == problem


@pytest.mark.parametrize(
    ("option", "text", "value"),
    [
        (_option("boolean"), "Yes", True),
        (_option("boolean"), "off", False),
        (_option("boolean"), "perhaps", "perhaps"),
        (_option("choice", choices=("a", "b")), "b", "b"),
        (_option("integer"), "38", 38),
        (_option("number"), "0.84", 0.84),
        (_option("number"), "lots", "lots"),
    ],
)
def test_option_parse_text(option, text, value):
    assert option.parse_text(text) == value


def test_scoring_package_never_imports_django():
    for path in sorted(SCORING_PACKAGE.glob("*.py")) + [SCORING_PACKAGE.parent / "cli.py"]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not any(n == "django" or n.startswith("django.") for n in names), path


def test_shipped_flags_and_their_severities(registry):
    flags = {i.id: [(f.id, f.severity) for f in i.flags] for i in registry.all()}
    assert flags == {
        "cssrs_screener": [
            ("cssrs_wish_dead", "safety"),
            ("cssrs_suicidal_thoughts", "safety"),
            ("cssrs_method", "safety"),
            ("cssrs_intent", "safety"),
            ("cssrs_plan", "safety"),
            ("cssrs_behaviour", "safety"),
            ("cssrs_recent_behaviour", "safety"),
        ],
        "ebi": [],
        "gad7": [("gad7_screen_positive", "clinical")],
        "meq30": [("meq30_complete_mystical_experience", "info")],
        "pcl5": [("pcl5_probable_ptsd", "clinical"), ("pcl5_dsm5_pattern", "clinical")],
        "phq9": [("phq9_item9", "safety"), ("phq9_screen_positive", "clinical")],
        "who5": [("who5_low_item", "clinical")],
    }


def test_every_threshold_cites_a_listed_source(registry):
    for instrument in registry.all():
        cited = set(instrument.scoring.sources) | set(instrument.bands_sources)
        for flag in instrument.flags:
            assert flag.sources
            cited |= set(flag.sources)
        for sub in instrument.subscales:
            cited |= set(sub.sources)
        if instrument.change is not None:
            for part in (
                instrument.change.response_percent,
                instrument.change.remission,
                instrument.change.reliable_change,
                instrument.change.minimal_important_change,
                instrument.change.rci,
            ):
                if part is not None:
                    assert part.sources
                    cited |= set(part.sources)
        assert cited <= set(instrument.sources), instrument.id
        if instrument.bands:
            assert instrument.bands_sources
