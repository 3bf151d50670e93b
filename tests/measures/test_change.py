"""Change statistics: response, remission, Jacobson-Truax RCI, fixed reliable change, MIC."""

from __future__ import annotations

import math

import pytest

from kapstone.measures.scoring import ScoreResult, compare, parse_definition, score
from kapstone.measures.scoring.change import CANNOT, DETERIORATED, IMPROVED, MET, NO_RELIABLE_CHANGE, NOT_MET


def phq(total: int) -> dict[str, int]:
    rest, result = total, {}
    for n in range(1, 10):
        result[f"phq9_{n}"] = min(3, rest)
        rest -= result[f"phq9_{n}"]
    return result


def who(raw: int) -> dict[str, int]:
    rest, result = raw, {}
    for n in range(1, 6):
        result[f"who5_{n}"] = min(5, rest)
        rest -= result[f"who5_{n}"]
    return result


def phq_change(phq9, before: int, after: int, options=None):
    return compare(phq9, score(phq9, phq(before)), score(phq9, phq(after)), options)


def test_full_phq9_example(phq9):
    change = phq_change(phq9, 20, 8, {"rci_sd": 5, "rci_reliability": 0.84})
    assert change.computable is True
    assert (change.baseline_total, change.latest_total, change.difference, change.improvement) == (
        20,
        8,
        -12,
        12,
    )
    assert change.percent_improvement == 60.0
    assert (change.response.status, change.response.value, change.response.threshold) == (MET, 60.0, 50.0)
    assert change.response.sources == ("I-PHQ-d",)
    assert (change.remission.status, change.remission.value, change.remission.threshold) == (
        NOT_MET,
        8.0,
        5.0,
    )
    # SE_diff = 5 * sqrt(2) * sqrt(0.16) = 2.828; RC = -12 / 2.828 = -4.243
    assert change.reliable_change.status == IMPROVED
    assert change.reliable_change.value == pytest.approx(-12 / (5 * math.sqrt(2) * 0.4), abs=1e-3)
    assert change.reliable_change.value == -4.243
    assert change.reliable_change.threshold == 1.96
    assert "SE_diff 2.83" in change.reliable_change.reason
    assert "minimum reliable change 5.54 points" in change.reliable_change.reason
    assert (change.reliable_change_fixed.status, change.reliable_change_fixed.threshold) == (IMPROVED, 6.0)
    assert (change.minimal_important_change.status, change.minimal_important_change.threshold) == (MET, 5.0)
    assert change.rationale.startswith(
        "PHQ-9 20 -> 8 (-12 points; lower is better). Response: 60% improvement >= 50%."
    )
    assert "Remission: not met (latest 8; remission is < 5)" in change.rationale


@pytest.mark.parametrize(
    ("before", "after", "status", "value"),
    [
        (20, 10, MET, 50.0),
        (20, 11, NOT_MET, 45.0),
        (6, 3, MET, 50.0),
        (10, 12, NOT_MET, -20.0),
    ],
)
def test_response_at_fifty_percent(phq9, before, after, status, value):
    response = phq_change(phq9, before, after).response
    assert (response.status, response.value) == (status, value)


def test_response_cannot_be_computed_from_a_zero_baseline(phq9):
    change = phq_change(phq9, 0, 3)
    assert change.percent_improvement is None
    assert change.response.status == CANNOT
    assert (
        change.response.reason
        == "cannot compute: the baseline total is 0, so a percentage change is undefined"
    )
    assert change.reliable_change_fixed.status == NO_RELIABLE_CHANGE


@pytest.mark.parametrize(("after", "status"), [(4, MET), (5, NOT_MET)])
def test_remission_below_five(phq9, after, status):
    assert phq_change(phq9, 15, after).remission.status == status


@pytest.mark.parametrize(
    ("before", "after", "status"),
    [
        (15, 9, IMPROVED),
        (15, 10, NO_RELIABLE_CHANGE),
        (10, 15, NO_RELIABLE_CHANGE),
        (10, 16, DETERIORATED),
    ],
)
def test_fixed_reliable_change_is_six_points_either_way(phq9, before, after, status):
    assert phq_change(phq9, before, after).reliable_change_fixed.status == status


@pytest.mark.parametrize(("before", "after", "status"), [(15, 10, MET), (15, 11, NOT_MET), (10, 15, NOT_MET)])
def test_minimal_important_change_is_five_points(phq9, before, after, status):
    assert phq_change(phq9, before, after).minimal_important_change.status == status


@pytest.mark.parametrize(
    ("before", "after", "status"),
    [
        # SD 5, r 0.5: SE_diff = 5.0, reliable when |change| > 9.8
        (20, 10, IMPROVED),
        (20, 11, NO_RELIABLE_CHANGE),
        (10, 20, DETERIORATED),
        (11, 20, NO_RELIABLE_CHANGE),
    ],
)
def test_rci_direction_lower_is_better(phq9, before, after, status):
    change = phq_change(phq9, before, after, {"rci_sd": 5, "rci_reliability": 0.5})
    assert change.reliable_change.status == status
    assert change.reliable_change.value == pytest.approx((after - before) / 5.0, abs=1e-3)


def test_rci_needs_the_clinic_sd_and_reliability(phq9):
    change = phq_change(phq9, 20, 8)
    assert change.reliable_change.status == CANNOT
    assert (
        change.reliable_change.reason == "cannot compute: option rci_sd is not set (a clinic must supply it)"
    )
    change = phq_change(phq9, 20, 8, {"rci_sd": 5})
    assert (
        change.reliable_change.reason
        == "cannot compute: option rci_reliability is not set (a clinic must supply it)"
    )
    assert change.reliable_change.sources == ("I-RC-a", "I-RC-b")


@pytest.mark.parametrize(
    "options", [{"rci_sd": 0, "rci_reliability": 0.8}, {"rci_sd": 4, "rci_reliability": 1}]
)
def test_rci_refuses_a_zero_sd_or_perfect_reliability(phq9, options):
    change = phq_change(phq9, 20, 8, options)
    assert change.reliable_change.reason == (
        "cannot compute: the SD must be above 0 and the reliability from 0 to below 1"
    )


@pytest.mark.parametrize(
    ("before_raw", "after_raw", "rci", "mic"),
    [
        (10, 15, IMPROVED, MET),  # 40 -> 60: +20, RC = 2.0 > 1.96
        (10, 12, NO_RELIABLE_CHANGE, NOT_MET),  # 40 -> 48: +8
        (15, 10, DETERIORATED, NOT_MET),  # 60 -> 40
        (10, 13, NO_RELIABLE_CHANGE, MET),  # 40 -> 52: +12, RC 1.2
    ],
)
def test_who5_higher_is_better(who5, before_raw, after_raw, rci, mic):
    # SD 10, r 0.5: SE_diff = 10 * sqrt(2) * sqrt(0.5) = 10
    change = compare(
        who5,
        score(who5, who(before_raw)),
        score(who5, who(after_raw)),
        {"rci_sd": 10, "rci_reliability": 0.5},
    )
    assert change.direction == "higher_is_better"
    assert change.improvement == (after_raw - before_raw) * 4
    assert (change.reliable_change.status, change.minimal_important_change.status) == (rci, mic)
    assert change.response.status == CANNOT
    assert change.response.reason == "cannot compute: the definition gives no response threshold"
    assert change.remission.reason == "cannot compute: the definition gives no remission threshold"
    assert (
        change.reliable_change_fixed.reason
        == "cannot compute: the definition gives no fixed reliable-change threshold"
    )
    difference = (after_raw - before_raw) * 4
    sign = "+" if difference >= 0 else ""
    assert change.rationale.startswith(
        f"WHO-5 {before_raw * 4} -> {after_raw * 4} ({sign}{difference} points; higher is better). "
    )


def test_gad7_remission_is_clinic_supplied(gad7):
    def scored(total):
        rest, result = total, {}
        for n in range(1, 8):
            result[f"gad7_{n}"] = min(3, rest)
            rest -= result[f"gad7_{n}"]
        return score(gad7, result)

    change = compare(gad7, scored(15), scored(7))
    assert (
        change.remission.reason
        == "cannot compute: option remission_below is not set (a clinic must supply it)"
    )
    assert compare(gad7, scored(15), scored(7), {"remission_below": 8}).remission.status == MET
    assert compare(gad7, scored(15), scored(8), {"remission_below": 8}).remission.status == NOT_MET
    assert change.reliable_change_fixed.status == IMPROVED and change.minimal_important_change.status == MET


def test_pcl5_thresholds_follow_the_options(pcl5):
    def scored(total):
        result, rest = {}, total
        for n in range(1, 21):
            result[f"pcl5_{n}"] = min(4, rest)
            rest -= result[f"pcl5_{n}"]
        return score(pcl5, result)

    change = compare(pcl5, scored(50), scored(38))
    assert (change.reliable_change_fixed.status, change.reliable_change_fixed.threshold) == (IMPROVED, 10.0)
    change = compare(pcl5, scored(50), scored(38), {"reliable_change_points": 15, "mic_points": 12})
    assert (change.reliable_change_fixed.status, change.minimal_important_change.status) == (
        NO_RELIABLE_CHANGE,
        MET,
    )
    assert compare(pcl5, scored(50), scored(28)).remission.status == MET
    assert compare(pcl5, scored(50), scored(29)).remission.status == NOT_MET


def test_incomplete_scores_cannot_be_compared(phq9):
    incomplete = score(phq9, {"phq9_1": 3})
    change = compare(phq9, score(phq9, phq(20)), incomplete)
    assert change.computable is False
    assert change.rationale == "cannot compute: the latest score is incomplete"
    assert change.response.status == CANNOT and change.reliable_change.status == CANNOT
    assert change.baseline_total is None and change.improvement is None
    change = compare(phq9, incomplete, score(phq9, phq(5)))
    assert change.rationale == "cannot compute: the baseline score is incomplete"


def test_a_hand_made_complete_result_without_total_is_refused(phq9):
    odd = ScoreResult("phq9", "1.0.0", True, None, None, {}, [], "", [], {})
    assert (
        compare(phq9, odd, score(phq9, phq(5))).rationale
        == "cannot compute: the baseline score is incomplete"
    )


def test_scores_of_another_instrument_are_refused(phq9, gad7):
    change = compare(phq9, score(gad7, {f"gad7_{n}": 1 for n in range(1, 8)}), score(phq9, phq(5)))
    assert change.rationale == "cannot compute: the baseline score is for gad7, not phq9"


def test_instrument_without_change_thresholds(meq30):
    result = score(meq30, {f"meq30_{n}": 3 for n in range(1, 31)})
    change = compare(meq30, result, result)
    assert change.rationale == "cannot compute: meq30 1.0.0 defines no change thresholds"


def test_invalid_options_block_the_comparison(phq9):
    change = phq_change(phq9, 20, 8, {"rci_sd": -1})
    assert change.rationale == "cannot compute: invalid options: option rci_sd: -1: expected at least 0"


def test_versions_must_be_listed_as_comparable(phq9):
    old = score(phq9, phq(20))
    old_version = ScoreResult(
        old.instrument,
        "0.9",
        old.complete,
        old.total,
        old.band,
        old.subscales,
        old.flags,
        old.interpretation,
        old.errors,
        old.options,
    )
    change = compare(phq9, old_version, score(phq9, phq(8)))
    assert change.rationale == (
        "cannot compute: the baseline score was made with phq9 0.9, which this "
        "definition (1.0.0) does not list as comparable"
    )
    data = {
        "format": 1,
        "id": "phq9",
        "version": "1.0.0",
        "title": "Copy",
        "citation": "c",
        "sources": [{"id": "S", "citation": "s"}],
        "licence": {"name": "n", "text_may_be_shipped": True},
        "items": [
            {"id": f"phq9_{n}", "text": "t", "options": [{"value": v, "label": str(v)} for v in range(4)]}
            for n in range(1, 10)
        ],
        "scoring": {"method": "sum", "sources": ["S"]},
        "change": {
            "direction": "lower_is_better",
            "comparable_versions": ["0.9"],
            "reliable_change": {"points": 6, "sources": ["S"]},
            "rci": {"sd": 5, "reliability": 0.5, "z": {"option": "z"}, "sources": ["S"]},
        },
        "options": {"z": {"type": "number", "label": "z", "status": "confirmed", "sources": ["S"]}},
    }
    accepting = parse_definition(data)
    change = compare(accepting, old_version, score(accepting, phq(8)))
    assert change.computable is True
    assert change.reliable_change_fixed.status == IMPROVED
    assert change.reliable_change.reason == "cannot compute: option z is not set (a clinic must supply it)"
    assert (
        compare(accepting, old_version, score(accepting, phq(8)), {"z": 2.5}).reliable_change.threshold == 2.5
    )
    assert change.remission.reason == "cannot compute: the definition gives no remission threshold"
    assert compare(accepting, old_version, old_version).reliable_change.status == CANNOT


def test_definition_without_rci(phq9):
    data = {
        "format": 1,
        "id": "tiny",
        "version": "1",
        "title": "Tiny",
        "citation": "c",
        "sources": [{"id": "S", "citation": "s"}],
        "licence": {"name": "n", "text_may_be_shipped": True},
        "items": [{"id": "t_1", "text": "t", "min": 0, "max": 10}],
        "scoring": {"method": "sum", "sources": ["S"]},
        "change": {"direction": "lower_is_better"},
    }
    tiny = parse_definition(data)
    change = compare(tiny, score(tiny, {"t_1": 8}), score(tiny, {"t_1": 2}))
    assert (
        change.reliable_change.reason
        == "cannot compute: the definition gives no SD and reliability for the RCI"
    )
    assert change.reliable_change.sources == ()


def test_change_to_dict(phq9):
    data = phq_change(phq9, 20, 8).to_dict()
    assert list(data) == [
        "instrument",
        "version",
        "computable",
        "direction",
        "baseline_total",
        "latest_total",
        "difference",
        "improvement",
        "percent_improvement",
        "response",
        "remission",
        "reliable_change",
        "reliable_change_fixed",
        "minimal_important_change",
        "rationale",
        "options",
    ]
    assert data["response"] == {
        "status": "met",
        "value": 60.0,
        "threshold": 50.0,
        "reason": "60% improvement >= 50%",
        "sources": ["I-PHQ-d"],
    }
    assert data["options"] == {"item9_flag_min": 1, "rci_sd": None, "rci_reliability": None}
