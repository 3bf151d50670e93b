"""The one check of a number a data file's option or setting accepts, which the measure definitions
and the screening rule sets both stand on: each refusal says what was expected, in the file's own
units (a float as written, never 5.0 for 5)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest

from kapstone.lib.datafile import number_problem


@dataclass(frozen=True)
class Declared:
    type: str = "number"
    min: float | None = 1
    max: float | None = 10.5
    floor_max: float | None = 8
    floor_note: str | None = "the guideline's ceiling"


@pytest.mark.parametrize(
    ("value", "kind", "problem"),
    [
        (True, "number", "expected a number"),
        ("7", "integer", "expected a whole number"),
        (7.5, "integer", "expected a whole number"),
        (math.inf, "number", "expected a finite number"),
        (9, "integer", "refused by the safety floor: at most 8 (the guideline's ceiling)"),
        (0.5, "number", "expected at least 1"),
        (7, "integer", None),
        (7.25, "number", None),
    ],
)
def test_a_number_outside_what_the_file_declares_is_refused_saying_what_was_expected(
    value: object, kind: str, problem: str | None
) -> None:
    assert number_problem(value, Declared(type=kind)) == problem


def test_without_a_safety_floor_the_declared_maximum_refuses_and_keeps_its_decimals() -> None:
    assert number_problem(11, Declared(floor_max=None)) == "expected at most 10.5"
    assert number_problem(-3, Declared(type="integer", min=None, max=None, floor_max=None)) is None
