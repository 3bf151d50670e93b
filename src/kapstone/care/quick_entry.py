"""Vitals typed in one line, e.g. ``150/90 88 97 16``: the blood pressure, then heart rate, SpO2 and
respiratory rate, in that order.

The line is read in that order and never guessed at. A number is the value of its place or the line
is refused: ``150/90 9`` is not read as "RR 9" because a one-digit number could not be a heart rate
(it was, before), it is refused, saying that 9 stands in the heart rate's place and cannot be one.
What a place may hold is the shared plausibility bounds (``protocols/shared/vital_bounds.toml``), the
same data the core refuses impossible readings by. To leave a value out, use the boxes. No Django.
"""

from __future__ import annotations

import re

from kapstone.care.protocol_core import VitalBounds

BP = ("systolic", "diastolic")
AFTER_BP = ("heart_rate", "spo2", "respiratory_rate")
PLACES = (*BP, *AFTER_BP)

_LINE = re.compile(r"(\d{1,4})\s*/\s*(\d{1,4})((?:[\s,]+\d{1,4})*)")
_SEP = re.compile(r"[\s,]+")

FORMAT = "Write BP as 150/90, then HR, SpO2 and RR separated by spaces."


class QuickEntryError(ValueError):
    """The line cannot be read without guessing; the message says why, in words."""


def _number(value: float) -> str:
    return f"{value:g}"


def read_quick(text: str, bounds: VitalBounds) -> dict[str, int]:
    """The values of a quick-entry line by field name, or ``QuickEntryError``."""
    match = _LINE.fullmatch(text.strip())
    if match is None:
        raise QuickEntryError(FORMAT)
    after = [v for v in _SEP.split(match.group(3)) if v]
    if len(after) > len(AFTER_BP):
        raise QuickEntryError(
            f"{len(after)} numbers follow the BP; the line takes at most three: HR, SpO2 and RR. {FORMAT}"
        )
    values = dict(zip(PLACES, (int(match.group(1)), int(match.group(2)), *map(int, after)), strict=False))
    for name, value in values.items():
        bound = bounds.vitals[name]
        if not bound.min <= value <= bound.max:
            raise QuickEntryError(
                f"Quick entry is read in order: BP, then HR, SpO2 and RR. {value} stands in the place of "
                f"the {bound.label.lower()}, and {value} {bound.unit} cannot be one "
                f"({_number(bound.min)} to {_number(bound.max)}). Type the values in that order, or "
                "use the boxes below to leave one out."
            )
    return values
