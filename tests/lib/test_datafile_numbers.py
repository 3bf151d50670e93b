"""The one check of a number a data file's option or setting accepts, which the measure definitions
and the screening rule sets both stand on: each refusal says what was expected, in the file's own
units (a float as written, never 5.0 for 5)."""

from __future__ import annotations

import math

import pytest

from kapstone.lib.datafile import number_problem

BOUNDED = {"low": 1, "high": 10.5, "floor_max": 8, "floor_note": "the guideline's ceiling"}


@pytest.mark.parametrize(
    ("value", "whole", "problem"),
    [
        (True, False, "expected a number"),
        ("7", True, "expected a whole number"),
        (7.5, True, "expected a whole number"),
        (math.inf, False, "expected a finite number"),
        (9, True, "refused by the safety floor: at most 8 (the guideline's ceiling)"),
        (0.5, False, "expected at least 1"),
        (7, True, None),
        (7.25, False, None),
    ],
)
def test_a_number_outside_what_the_file_declares_is_refused_saying_what_was_expected(
    value: object, whole: bool, problem: str | None
) -> None:
    assert number_problem(value, whole=whole, **BOUNDED) == problem  # type: ignore[arg-type]


def test_without_a_safety_floor_the_declared_maximum_refuses_and_keeps_its_decimals() -> None:
    assert number_problem(11, whole=False, low=None, high=10.5) == "expected at most 10.5"
    assert number_problem(-3, whole=True, low=None, high=None) is None
