"""WHO-5 (added purely as a definition file): percentage score, bands, flags, higher is better."""

from __future__ import annotations

import pytest

from kapstone.measures.scoring import score


def raw(total: int, floor: int = 0) -> dict[str, int]:
    """Five answers summing to ``total`` (raw 0-25), no item below ``floor`` where possible."""
    result = {f"who5_{n}": floor for n in range(1, 6)}
    rest = total - 5 * floor
    for n in range(1, 6):
        add = min(5 - floor, rest)
        result[f"who5_{n}"] += add
        rest -= add
    assert rest == 0
    return result


@pytest.mark.parametrize(
    ("raw_total", "total", "band"),
    [
        (0, 0, "Likely depression"),
        (7, 28, "Likely depression"),
        (8, 32, "Poor well-being"),
        (12, 48, "Poor well-being"),
        (13, 52, "No indication of poor well-being"),
        (25, 100, "No indication of poor well-being"),
    ],
)
def test_percentage_score_and_band_boundaries(who5, raw_total, total, band):
    result = score(who5, raw(raw_total))
    assert (result.complete, result.total, result.band) == (True, total, band)


@pytest.mark.parametrize(
    ("answers", "raised"),
    [
        (raw(20, floor=2), False),
        ({"who5_1": 1, "who5_2": 5, "who5_3": 5, "who5_4": 5, "who5_5": 5}, True),
        ({"who5_1": 5, "who5_2": 5, "who5_3": 5, "who5_4": 5, "who5_5": 0}, True),
    ],
)
def test_low_item_flag(who5, answers, raised):
    result = score(who5, answers)
    assert ("who5_low_item" in [f["id"] for f in result.flags]) is raised


def test_definition_is_higher_is_better(who5):
    assert who5.change is not None
    assert who5.change.direction == "higher_is_better"
