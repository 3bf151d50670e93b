"""PHQ-9: every band boundary, both flags, option-driven item-9 rule, scoring by item id."""

from __future__ import annotations

from typing import Any

import pytest

from kapstone.measures.scoring import score

ITEMS_1_TO_8 = [f"phq9_{n}" for n in range(1, 9)]


def answers(total: int, item9: int = 0) -> dict[str, int]:
    """Nine answers summing to ``total`` with item 9 fixed (filled greedily, 3 per item)."""
    rest = total - item9
    assert 0 <= rest <= 24
    result = {}
    for item in ITEMS_1_TO_8:
        result[item] = min(3, rest)
        rest -= result[item]
    result["phq9_9"] = item9
    return result


@pytest.mark.parametrize(
    ("total", "band", "interpretation"),
    [
        (0, "Minimal depression", "Minimal depression (0-4)"),
        (4, "Minimal depression", "Minimal depression (0-4)"),
        (5, "Mild depression", "Mild depression (5-9)"),
        (9, "Mild depression", "Mild depression (5-9)"),
        (10, "Moderate depression", "Moderate depression (10-14)"),
        (14, "Moderate depression", "Moderate depression (10-14)"),
        (15, "Moderately severe depression", "Moderately severe depression (15-19)"),
        (19, "Moderately severe depression", "Moderately severe depression (15-19)"),
        (20, "Severe depression", "Severe depression (20-27)"),
        (24, "Severe depression", "Severe depression (20-27)"),
    ],
)
def test_band_boundaries(phq9, total, band, interpretation):
    result = score(phq9, answers(total))
    assert result.complete is True
    assert result.total == total
    assert result.band == band
    assert result.interpretation == interpretation
    assert result.errors == []


def test_maximum_total_is_27_and_severe(phq9):
    result = score(phq9, {f"phq9_{n}": 3 for n in range(1, 10)})
    assert (result.total, result.band) == (27, "Severe depression")


def test_difficulty_item_is_recorded_but_not_scored(phq9):
    without = score(phq9, answers(12))
    with_difficulty = score(phq9, {**answers(12), "phq9_10": 3})
    assert without.total == with_difficulty.total == 12
    assert with_difficulty.complete is True


def test_difficulty_item_is_still_validated(phq9):
    result = score(phq9, {**answers(12), "phq9_10": 4})
    assert result.complete is False
    assert result.errors == [
        {
            "item": "phq9_10",
            "code": "out_of_range",
            "message": "phq9_10: 4 is not an allowed answer (0, 1, 2, 3)",
        }
    ]


@pytest.mark.parametrize(("item9", "raised"), [(0, False), (1, True), (2, True), (3, True)])
def test_item9_safety_flag(phq9, item9, raised):
    result = score(phq9, answers(9, item9=item9))
    ids = [f["id"] for f in result.flags]
    assert ("phq9_item9" in ids) is raised
    if raised:
        flag = next(f for f in result.flags if f["id"] == "phq9_item9")
        assert flag["severity"] == "safety"
        assert flag["item"] == "phq9_9"
        assert "answered 1 or higher" in str(flag["message"])


@pytest.mark.parametrize("threshold", [2, 3])
def test_item9_threshold_cannot_be_raised_past_its_safety_floor(phq9, threshold):
    """Issue #11: raising the option to 2 or 3 used to silence answers of 1-2. It is now refused,
    naming the floor, the default of 1 stays in force, and an answer of 1 still raises the flag."""
    result = score(phq9, answers(9, item9=1), {"item9_flag_min": threshold})
    assert [e["code"] for e in result.errors] == ["invalid_option"]
    assert "safety floor" in result.errors[0]["message"]
    assert result.options["item9_flag_min"] == 1
    assert any(f["id"] == "phq9_item9" for f in result.flags)


@pytest.mark.parametrize(("total", "raised"), [(9, False), (10, True)])
def test_screen_positive_flag_at_10(phq9, total, raised):
    result = score(phq9, answers(total))
    assert [f["id"] for f in result.flags] == (["phq9_screen_positive"] if raised else [])
    if raised:
        assert result.flags[0]["severity"] == "clinical"
        assert result.flags[0]["item"] is None


def test_item9_flag_survives_a_missing_item(phq9):
    given = answers(12, item9=2)
    del given["phq9_3"]
    result = score(phq9, given)
    assert result.complete is False
    assert result.total is None and result.band is None
    assert [(f["id"], f["severity"]) for f in result.flags] == [("phq9_item9", "safety")]
    assert result.errors == [{"item": "phq9_3", "code": "missing", "message": "phq9_3: no answer (required)"}]
    assert result.interpretation == "Cannot score: phq9_3: no answer (required)"


def test_item9_zero_with_missing_item_raises_nothing(phq9):
    given = answers(5)
    del given["phq9_1"]
    result = score(phq9, given)
    assert result.complete is False
    assert result.flags == []


def test_missing_item9_asks_for_clinician_review(phq9):
    given = answers(5)
    del given["phq9_9"]
    result = score(phq9, given)
    assert result.complete is False
    assert [(f["id"], f["severity"], f["item"]) for f in result.flags] == [
        ("phq9_item9_undetermined", "review", "phq9_9")
    ]
    assert "cannot be decided" in str(result.flags[0]["message"])


def test_item9_flag_on_an_incomplete_response_uses_the_option_in_force(phq9):
    given = answers(12, item9=2)
    del given["phq9_3"]
    result = score(phq9, given)
    message = str(result.flags[0]["message"])
    assert message.startswith("PHQ-9 item 9")
    assert "answered 1 or higher" in message


def test_result_dict_shape(phq9):
    data: dict[str, Any] = score(phq9, answers(11, item9=1)).to_dict()
    assert list(data) == [
        "instrument",
        "version",
        "complete",
        "total",
        "band",
        "subscales",
        "flags",
        "interpretation",
        "errors",
        "options",
    ]
    assert data["instrument"] == "phq9" and data["version"] == "1.0.0"
    assert data["total"] == 11 and data["band"] == "Moderate depression"
    assert [f["id"] for f in data["flags"]] == ["phq9_item9", "phq9_screen_positive"]
    assert data["options"] == {"item9_flag_min": 1, "rci_sd": None, "rci_reliability": None}
