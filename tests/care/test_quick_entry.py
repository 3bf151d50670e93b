"""Quick entry of vitals in one line is read in order and never guessed: "150/90 9" was read as
RR 9 (a one-digit number skipped the heart rate and SpO2 places); it is refused now, saying why."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kapstone.care.protocol_core import default_vital_bounds
from kapstone.care.quick_entry import AFTER_BP, PLACES, QuickEntryError, read_quick

BOUNDS = default_vital_bounds()


def _inside(name: str) -> st.SearchStrategy[int]:
    bound = BOUNDS.vitals[name]
    return st.integers(int(bound.min), int(bound.max))


def test_a_full_line_is_read_in_order() -> None:
    assert read_quick("150/90 88 97 16", BOUNDS) == {
        "systolic": 150,
        "diastolic": 90,
        "heart_rate": 88,
        "spo2": 97,
        "respiratory_rate": 16,
    }
    assert read_quick(" 120 / 80, 72 ", BOUNDS) == {"systolic": 120, "diastolic": 80, "heart_rate": 72}


@pytest.mark.parametrize(
    ("line", "place"),
    [
        ("150/90 9", "heart rate"),  # the case seen: it was saved as RR 9
        ("150/90 88 16", "oxygen saturation (spo2)"),  # SpO2 left out: 16 is not a saturation
        ("150/90 88 97 0", "respiratory rate"),
        ("400/90", "systolic blood pressure"),
    ],
)
def test_a_number_that_cannot_be_its_place_is_refused_naming_the_place(line: str, place: str) -> None:
    with pytest.raises(QuickEntryError) as refused:
        read_quick(line, BOUNDS)
    message = str(refused.value)
    assert f"the place of the {place}" in message and "in order: BP, then HR, SpO2 and RR" in message
    assert "use the boxes" in message


@pytest.mark.parametrize("line", ["150 over 90", "150/90/88", "150/90 88 97 16 99", "", "/90 88"])
def test_a_line_that_is_not_the_format_is_refused(line: str) -> None:
    with pytest.raises(QuickEntryError):
        read_quick(line, BOUNDS)


@given(
    st.lists(st.integers(0, 9999), min_size=2, max_size=5),
    st.sampled_from([" ", ", ", "  ", ","]),
)
def test_every_value_read_is_the_number_typed_in_its_place_and_possible_there(
    numbers: list[int], sep: str
) -> None:
    """Whatever is typed, the reading either refuses or gives each number to its own place, in order,
    and only a value the place's plausibility bounds allow: nothing is moved to another place."""
    line = f"{numbers[0]}/{numbers[1]}" + "".join(sep + str(n) for n in numbers[2:])
    try:
        values = read_quick(line, BOUNDS)
    except QuickEntryError:
        return
    assert list(values) == list(PLACES[: len(numbers)])
    assert list(values.values()) == numbers
    for name, value in values.items():
        assert BOUNDS.vitals[name].min <= value <= BOUNDS.vitals[name].max


@given(st.data())
def test_any_line_of_possible_values_in_order_is_read_back(data: st.DataObject) -> None:
    count = data.draw(st.integers(0, len(AFTER_BP)))
    values = {name: data.draw(_inside(name)) for name in PLACES[: 2 + count]}
    line = f"{values['systolic']}/{values['diastolic']} " + " ".join(
        str(values[name]) for name in AFTER_BP[:count]
    )
    assert read_quick(line, BOUNDS) == values


@given(st.integers(0, 9), st.integers(0, 2))
def test_a_single_digit_after_the_bp_is_never_placed_beyond_the_heart_rate(digit: int, before: int) -> None:
    """One digit after the BP (and after any values typed before it) lands in the next place in
    order: a heart rate or a saturation cannot be one digit, so such a line is refused, not guessed."""
    typed = ["88", "97"][:before]
    line = " ".join(["150/90", *typed, str(digit)])
    if before < 2:
        with pytest.raises(QuickEntryError):
            read_quick(line, BOUNDS)
    elif digit >= BOUNDS.vitals["respiratory_rate"].min:
        assert read_quick(line, BOUNDS)["respiratory_rate"] == digit
