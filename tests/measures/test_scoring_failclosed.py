"""Fail closed on every instrument: missing, out-of-range, unknown, duplicate, non-integer and
non-numeric answers give no total, band or subscales, and an error naming the item."""

from __future__ import annotations

import math
import random
from enum import IntEnum

import pytest

from kapstone.measures.scoring import Instrument, score

IDS = ["phq9", "gad7", "pcl5", "cssrs_screener", "meq30", "ebi", "who5"]


def valid(instrument: Instrument) -> dict[str, object]:
    """A complete, valid response: the lowest answer to every item that is always asked."""
    return {i.id: i.response.min for i in instrument.items if i.required and i.ask_if is None}


def first_item(instrument: Instrument) -> str:
    return instrument.items[0].id


def assert_failed_closed(result, item: str, code: str) -> None:
    assert result.complete is False
    assert result.total is None
    assert result.band is None
    assert result.subscales == {}
    assert result.interpretation.startswith("Cannot score: ")
    matching = [e for e in result.errors if e["item"] == item and e["code"] == code]
    assert matching, result.errors
    assert item in str(matching[0]["message"])


@pytest.mark.parametrize("instrument_id", IDS)
def test_baseline_response_is_complete(get, instrument_id):
    result = score(get(instrument_id), valid(get(instrument_id)))
    assert result.complete is True and result.errors == []


@pytest.mark.parametrize("instrument_id", IDS)
def test_missing_item(get, instrument_id):
    instrument = get(instrument_id)
    given = valid(instrument)
    del given[first_item(instrument)]
    assert_failed_closed(score(instrument, given), first_item(instrument), "missing")


@pytest.mark.parametrize("instrument_id", IDS)
def test_not_answered_is_missing(get, instrument_id):
    instrument = get(instrument_id)
    given = valid(instrument) | {first_item(instrument): None}
    assert_failed_closed(score(instrument, given), first_item(instrument), "missing")


@pytest.mark.parametrize("instrument_id", IDS)
@pytest.mark.parametrize("offset", [1, -1])
def test_out_of_range(get, instrument_id, offset):
    instrument = get(instrument_id)
    item = instrument.items[0]
    value = item.response.max + 1 if offset > 0 else item.response.min - 1
    assert_failed_closed(score(instrument, valid(instrument) | {item.id: value}), item.id, "out_of_range")


@pytest.mark.parametrize("instrument_id", IDS)
def test_unknown_item(get, instrument_id):
    instrument = get(instrument_id)
    result = score(instrument, valid(instrument) | {"item_99": 1})
    assert_failed_closed(result, "item_99", "unknown_item")
    assert result.errors[0]["message"] == f"'item_99' is not an item of {instrument_id} 1.0.0"


@pytest.mark.parametrize("instrument_id", IDS)
def test_duplicate_item_in_pairs(get, instrument_id):
    instrument = get(instrument_id)
    pairs = list(valid(instrument).items()) + [(first_item(instrument), instrument.items[0].response.min)]
    result = score(instrument, pairs)
    assert_failed_closed(result, first_item(instrument), "duplicate")
    assert [e["code"] for e in result.errors] == ["duplicate"]  # reported once, not also as missing


def test_an_item_repeated_three_times_is_reported_once(phq9):
    pairs = [(f"phq9_{n}", 0) for n in range(1, 10)] + [("phq9_2", 1), ("phq9_2", 2)]
    result = score(phq9, pairs)
    assert result.errors == [
        {"item": "phq9_2", "code": "duplicate", "message": "phq9_2: answered more than once"}
    ]


@pytest.mark.parametrize("instrument_id", IDS)
@pytest.mark.parametrize("value", [1.5, 2.0])
def test_non_integer(get, instrument_id, value):
    instrument = get(instrument_id)
    result = score(instrument, valid(instrument) | {first_item(instrument): value})
    assert_failed_closed(result, first_item(instrument), "not_integer")


@pytest.mark.parametrize("instrument_id", IDS)
@pytest.mark.parametrize("value", ["2", True, math.nan, math.inf, [1], {"v": 1}])
def test_non_numeric(get, instrument_id, value):
    instrument = get(instrument_id)
    result = score(instrument, valid(instrument) | {first_item(instrument): value})
    assert_failed_closed(result, first_item(instrument), "not_a_number")


def test_non_string_keys_are_unknown_items(phq9):
    answers: dict[object, object] = {f"phq9_{n}": 0 for n in range(1, 10)}
    answers[7] = 1
    result = score(phq9, answers)  # type: ignore[arg-type]
    assert result.errors == [
        {"item": "7", "code": "unknown_item", "message": "7 is not an item of phq9 1.0.0"}
    ]
    pairs = [(f"phq9_{n}", 0) for n in range(1, 10)] + [(("phq9_1",), 1)]
    result = score(phq9, pairs)
    assert result.errors == [
        {"item": "('phq9_1',)", "code": "unknown_item", "message": "('phq9_1',) is not an item id"}
    ]


def test_integer_subclasses_are_numbers(phq9):
    class Answer(IntEnum):
        NOT_AT_ALL = 0
        NEARLY_EVERY_DAY = 3

    result = score(phq9, {**{f"phq9_{n}": Answer.NOT_AT_ALL for n in range(1, 9)}, "phq9_9": 0})
    assert (result.complete, result.total) == (True, 0)
    result = score(phq9, {**{f"phq9_{n}": 0 for n in range(1, 9)}, "phq9_9": Answer.NEARLY_EVERY_DAY})
    assert (result.complete, result.total) == (True, 3)


def test_every_problem_is_reported_in_a_stable_order(phq9):
    given = {
        "phq9_1": 4,
        "phq9_2": "x",
        "phq9_3": 1.5,
        "zzz": 0,
        "aaa": 0,
        "phq9_5": 0,
        "phq9_6": 0,
        "phq9_7": 0,
        "phq9_8": 0,
    }
    result = score(phq9, given)
    assert [(e["item"], e["code"]) for e in result.errors] == [
        ("aaa", "unknown_item"),
        ("zzz", "unknown_item"),
        ("phq9_1", "out_of_range"),
        ("phq9_2", "not_a_number"),
        ("phq9_3", "not_integer"),
        ("phq9_4", "missing"),
        ("phq9_9", "missing"),
    ]
    assert result.interpretation.endswith("; and 4 more")


def test_bad_options_fail_closed(phq9):
    given = {f"phq9_{n}": 0 for n in range(1, 10)}
    result = score(phq9, given, {"nope": 1, "item9_flag_min": 9})
    assert (result.complete, result.total) == (False, None)
    floor = (
        "refused by the safety floor: at most 1 (any item-9 answer of 1 or more raises the safety flag: "
        "1-year attempt risk already rises at 'several days' [I-PHQ-e]; a higher threshold would silence "
        "answers of 1-2 (issue #11))"
    )
    assert result.errors == [
        {"item": None, "code": "unknown_option", "message": "option 'nope' is not defined for phq9"},
        {"item": None, "code": "invalid_option", "message": f"option item9_flag_min: 9: {floor}"},
    ]
    assert result.options["item9_flag_min"] == 1  # the default stays in force


@pytest.mark.parametrize("instrument_id", IDS)
def test_answers_are_keyed_by_identity_not_order(get, instrument_id):
    instrument = get(instrument_id)
    rng = random.Random(instrument_id)
    given = {}
    for item in instrument.items:
        if item.required and item.ask_if is None:
            allowed = [o.value for o in item.response.options] or list(
                range(int(item.response.min), int(item.response.max) + 1)
            )
            given[item.id] = rng.choice(allowed)
    reference = score(instrument, given).to_dict()
    for _ in range(5):
        keys = list(given)
        rng.shuffle(keys)
        assert score(instrument, {k: given[k] for k in keys}).to_dict() == reference
        assert score(instrument, [(k, given[k]) for k in keys]).to_dict() == reference
