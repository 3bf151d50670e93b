"""EBI: six 0-100 items, aggregated as the mean (default) or the sum (option)."""

from __future__ import annotations

import pytest

from kapstone.measures.scoring import score

VALUES = {"ebi_1": 10, "ebi_2": 20, "ebi_3": 30, "ebi_4": 40, "ebi_5": 50, "ebi_6": 61}


def test_mean_is_the_default(ebi):
    result = score(ebi, VALUES)
    assert (result.complete, result.total, result.band) == (True, 35.17, None)
    assert result.options == {"aggregation": "mean"}
    assert result.interpretation == "EBI mean score 35.17 (range 0-100)"


def test_sum_by_option(ebi):
    result = score(ebi, VALUES, {"aggregation": "sum"})
    assert (result.complete, result.total) == (True, 211)
    assert result.interpretation == "EBI total 211 (range 0-600)"


@pytest.mark.parametrize(
    ("value", "aggregation", "total"),
    [(0, "mean", 0.0), (100, "mean", 100.0), (0, "sum", 0), (100, "sum", 600)],
)
def test_extremes(ebi, value, aggregation, total):
    result = score(ebi, {f"ebi_{n}": value for n in range(1, 7)}, {"aggregation": aggregation})
    assert result.total == total


@pytest.mark.parametrize(
    ("value", "code", "message"),
    [
        (101, "out_of_range", "ebi_3: 101 is outside 0-100"),
        (-1, "out_of_range", "ebi_3: -1 is outside 0-100"),
        (50.5, "not_integer", "ebi_3: 50.5 is not a whole number"),
    ],
)
def test_range_items_fail_closed(ebi, value, code, message):
    result = score(ebi, {**VALUES, "ebi_3": value})
    assert (result.complete, result.total) == (False, None)
    assert result.errors == [{"item": "ebi_3", "code": code, "message": message}]


def test_unknown_aggregation_is_refused(ebi):
    result = score(ebi, VALUES, {"aggregation": "median"})
    assert (result.complete, result.total) == (False, None)
    assert result.errors == [
        {
            "item": None,
            "code": "invalid_option",
            "message": "option aggregation: 'median': expected one of mean, sum",
        }
    ]
    assert result.options == {"aggregation": "mean"}
