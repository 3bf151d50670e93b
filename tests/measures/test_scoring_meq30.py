"""MEQ30: four factors (sums and % of maximum), total, and the complete-mystical-experience option."""

from __future__ import annotations

import pytest

from kapstone.measures.scoring import score

FACTORS = {
    "mystical": range(1, 16),
    "positive_mood": range(16, 22),
    "transcendence": range(22, 28),
    "ineffability": range(28, 31),
}


def uniform(value: int) -> dict[str, int]:
    return {f"meq30_{n}": value for n in range(1, 31)}


def test_factor_sums_maxima_and_percentages(meq30):
    given = uniform(0)
    given.update({"meq30_1": 5, "meq30_15": 4, "meq30_16": 3, "meq30_22": 2, "meq30_27": 1, "meq30_30": 5})
    result = score(meq30, given)
    assert result.total == 20
    assert result.subscales == {
        "mystical": {"label": "Mystical", "score": 9, "max": 75, "percent_of_max": 12.0},
        "positive_mood": {"label": "Positive mood", "score": 3, "max": 30, "percent_of_max": 10.0},
        "transcendence": {
            "label": "Transcendence of time and space",
            "score": 3,
            "max": 30,
            "percent_of_max": 10.0,
        },
        "ineffability": {"label": "Ineffability", "score": 5, "max": 15, "percent_of_max": 33.33},
    }
    assert result.interpretation == "MEQ30 total 20 (range 0-150)"
    assert result.flags == []


def test_all_threes_is_exactly_sixty_percent_and_a_complete_experience(meq30):
    result = score(meq30, uniform(3))
    assert result.total == 90
    assert [v["percent_of_max"] for v in result.subscales.values()] == [60.0, 60.0, 60.0, 60.0]
    assert [f["id"] for f in result.flags] == ["meq30_complete_mystical_experience"]
    assert result.flags[0]["severity"] == "info"
    assert result.interpretation == (
        "MEQ30 total 90 (range 0-150); complete mystical experience (every factor at or above 60% of maximum)"
    )


@pytest.mark.parametrize(
    ("factor", "percent"),
    [("mystical", 58.67), ("positive_mood", 56.67), ("transcendence", 56.67), ("ineffability", 53.33)],
)
def test_criterion_fails_when_one_factor_falls_just_below(meq30, factor, percent):
    given = uniform(3)
    given[f"meq30_{FACTORS[factor][0]}"] = 2
    result = score(meq30, given)
    assert result.subscales[factor]["percent_of_max"] == percent
    assert [v["percent_of_max"] for k, v in result.subscales.items() if k != factor] == [60.0, 60.0, 60.0]
    assert result.flags == []


@pytest.mark.parametrize(("threshold", "raised"), [(58, True), (59, False), (50, True)])
def test_criterion_threshold_is_an_option(meq30, threshold, raised):
    given = uniform(3)
    given["meq30_1"] = 2  # mystical 44/75 = 58.67%
    result = score(meq30, given, {"cme_threshold_percent": threshold})
    assert bool(result.flags) is raised
    if raised:
        assert f"at or above {threshold}% of its maximum" in str(result.flags[0]["message"])


def test_item_text_is_not_shipped(meq30):
    assert meq30.item_text_supplied_by_clinic is True
    assert meq30.licence.text_may_be_shipped is False
    assert [i.text for i in meq30.items[:3]] == ["Item 1", "Item 2", "Item 3"]
    assert all(i.descriptor for i in meq30.items)
