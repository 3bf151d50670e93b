"""GAD-7: every band boundary and the screen-positive flag."""

from __future__ import annotations

import pytest

from kapstone.measures.scoring import score


def answers(total: int) -> dict[str, int]:
    rest, result = total, {}
    for n in range(1, 8):
        result[f"gad7_{n}"] = min(3, rest)
        rest -= result[f"gad7_{n}"]
    assert rest == 0
    return result


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "Minimal anxiety"),
        (4, "Minimal anxiety"),
        (5, "Mild anxiety"),
        (9, "Mild anxiety"),
        (10, "Moderate anxiety"),
        (14, "Moderate anxiety"),
        (15, "Severe anxiety"),
        (21, "Severe anxiety"),
    ],
)
def test_band_boundaries(gad7, total, band):
    result = score(gad7, answers(total))
    assert (result.complete, result.total, result.band) == (True, total, band)


def test_interpretation_names_the_band_range(gad7):
    assert score(gad7, answers(12)).interpretation == "Moderate anxiety (10-14)"


@pytest.mark.parametrize(
    ("total", "flags"), [(9, []), (10, ["gad7_screen_positive"]), (21, ["gad7_screen_positive"])]
)
def test_screen_positive_flag(gad7, total, flags):
    assert [f["id"] for f in score(gad7, answers(total)).flags] == flags


def test_no_safety_flags_so_an_incomplete_response_has_none(gad7):
    given = answers(20)
    del given["gad7_7"]
    result = score(gad7, given)
    assert (result.complete, result.total, result.flags) == (False, None, [])
