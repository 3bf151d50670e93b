"""Change in words (issue #12 item 9): direction, points, percent and a verdict; never a negative
improvement."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kapstone.core.wording import change_in_words, change_verdict, reason_in_words


def test_a_fall_on_a_lower_is_better_scale_is_a_response_when_the_criterion_is_met() -> None:
    text = change_in_words("PHQ-9", 18, 6, lower_is_better=True, statuses={"response": "met"})
    assert text == "PHQ-9 down 12 points (67 %) since baseline: response"


def test_a_rise_on_a_lower_is_better_scale_is_worse_in_words() -> None:
    worse = change_in_words("PHQ-9", 14, 20, lower_is_better=True)
    assert worse == "PHQ-9 up 6 points (43 %) since baseline: worse"
    statuses = {"reliable_change_fixed": "deteriorated"}
    reliably = change_in_words("PHQ-9", 14, 20, lower_is_better=True, statuses=statuses)
    assert reliably.endswith(": reliably worse")


def test_higher_is_better_scales_read_the_other_way() -> None:
    better = change_in_words("WHO-5", 8, 12, lower_is_better=False)
    assert better == "WHO-5 up 4 points (50 %) since baseline: better, not yet a response"
    assert change_in_words("WHO-5", 12, 8, lower_is_better=False).endswith(": worse")


def test_no_change_a_zero_baseline_and_one_point() -> None:
    same = change_in_words("GAD-7", 9, 9, lower_is_better=True)
    assert same == "GAD-7 unchanged since baseline (9): no change"
    assert change_in_words("GAD-7", 0, 3, lower_is_better=True) == "GAD-7 up 3 points since baseline: worse"
    assert change_in_words("GAD-7", 4, 3, lower_is_better=True).startswith("GAD-7 down 1 point (25 %)")


def test_remission_outranks_response() -> None:
    assert change_verdict({"response": "met", "remission": "met"}, better=True) == "remission"


@given(st.integers(0, 80), st.integers(0, 80), st.booleans())
def test_never_a_negative_number_and_worse_only_when_worse(before: int, after: int, lower: bool) -> None:
    text = change_in_words("X", before, after, lower_is_better=lower)
    assert "-" not in text and "improvement" not in text
    got_worse = (after > before) if lower else (after < before)
    assert text.endswith("worse") == got_worse


def test_a_criterions_reason_says_better_or_worse_never_a_negative_improvement() -> None:
    assert reason_in_words("-42.86% improvement < 50%") == "42.86 % worse < 50%"
    assert reason_in_words("66.67% improvement >= 50%") == "66.67 % better >= 50%"
    assert reason_in_words("deteriorated (improvement -6 points; threshold 6)") == (
        "deteriorated (6 points worse; threshold 6)"
    )
