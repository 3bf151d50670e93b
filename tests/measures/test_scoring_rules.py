"""The rule language: three-valued evaluation and descriptions."""

from __future__ import annotations

import pytest

from kapstone.measures.scoring.rules import (
    AllOf,
    AnyOf,
    Context,
    CountTest,
    ItemTest,
    OptionRef,
    ScoreTest,
    compile_condition,
    condition_items,
    condition_uses_scores,
    describe,
)

A1 = ItemTest("a", ">=", 1)
B1 = ItemTest("b", ">=", 1)


def ctx(values=None, skipped=(), scores=None, percents=None, options=None):
    return Context(values or {}, set(skipped), scores, percents, options or {})


@pytest.mark.parametrize(
    ("values", "skipped", "expected"),
    [
        ({"a": 1}, (), True),
        ({"a": 0}, (), False),
        ({}, (), None),
        ({}, ("a",), False),
    ],
)
def test_item_test(values, skipped, expected):
    assert compile_condition(A1)(ctx(values, skipped)) is expected


def test_item_test_reads_an_option():
    cond = compile_condition(ItemTest("a", ">=", OptionRef("min")))
    assert cond(ctx({"a": 2}, options={"min": 2})) is True
    assert cond(ctx({"a": 2}, options={"min": 3})) is False


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        (">=", 2, True),
        (">", 2, False),
        ("<=", 2, True),
        ("<", 2, False),
        ("==", 2, True),
        ("!=", 2, False),
    ],
)
def test_operators(op, value, expected):
    assert compile_condition(ItemTest("a", op, value))(ctx({"a": 2})) is expected


def test_score_and_percent_tests_are_undecided_without_scores():
    total = compile_condition(ScoreTest("total", False, ">=", 10))
    percent = compile_condition(ScoreTest("x", True, ">=", 60))
    assert total(ctx()) is None and percent(ctx()) is None
    assert total(ctx(scores={"total": 10}, percents={"x": 0})) is True
    assert percent(ctx(scores={"total": 0}, percents={"x": 59.9})) is False


@pytest.mark.parametrize(
    ("values", "skipped", "expected"),
    [
        ({"a": 2, "b": 2, "c": 0}, (), True),  # two hits
        ({"a": 2, "b": 0, "c": 0}, (), False),  # one hit, nothing unknown
        ({"a": 2, "b": 0}, (), None),  # one hit, c unknown: could still reach two
        ({"a": 2, "b": 0}, ("c",), False),  # c skipped: cannot reach two
        ({"a": 2, "c": 2}, (), True),  # two hits even with b unknown
        ({"a": 0}, (), None),  # b and c unknown: two more possible
        ({"a": 0, "b": 0}, (), False),  # only c unknown: at most one hit
    ],
)
def test_count_test(values, skipped, expected):
    cond = compile_condition(CountTest(2, ("a", "b", "c"), ">=", 2))
    assert cond(ctx(values, skipped)) is expected


@pytest.mark.parametrize(
    ("values", "all_expected", "any_expected"),
    [
        ({"a": 1, "b": 1}, True, True),
        ({"a": 1, "b": 0}, False, True),
        ({"a": 0, "b": 0}, False, False),
        ({"a": 1}, None, True),
        ({"a": 0}, False, None),
        ({}, None, None),
    ],
)
def test_all_and_any_are_three_valued(values, all_expected, any_expected):
    assert compile_condition(AllOf((A1, B1)))(ctx(values)) is all_expected
    assert compile_condition(AnyOf((A1, B1)))(ctx(values)) is any_expected


def test_condition_inspection():
    nested = AllOf((A1, AnyOf((CountTest(1, ("c", "d"), "==", 1), ScoreTest("total", False, ">", 1)))))
    assert condition_items(nested) == {"a", "c", "d"}
    assert condition_uses_scores(nested) is True
    assert condition_uses_scores(AnyOf((A1, B1))) is False
    assert condition_uses_scores(A1) is False


@pytest.mark.parametrize(
    ("cond", "text"),
    [
        (ItemTest("phq9_9", ">=", 1), "phq9_9 >= 1"),
        (ItemTest("x", "<", 2.5), "x < 2.5"),
        (ScoreTest("total", False, ">=", OptionRef("cutpoint")), "total >= option cutpoint"),
        (ScoreTest("mystical", True, ">=", 60), "mystical % of maximum >= 60"),
        (CountTest(2, ("a", "b"), ">=", 2), "at least 2 of a, b >= 2"),
        (AllOf((A1, B1)), "(a >= 1) and (b >= 1)"),
        (AnyOf((A1, AllOf((B1,)))), "(a >= 1) or ((b >= 1))"),
    ],
)
def test_describe(cond, text):
    assert describe(cond) == text
