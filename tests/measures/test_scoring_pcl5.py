"""PCL-5: total, clusters B-E, the cut-point option, and the DSM-5 rule (each cluster failing alone)."""

from __future__ import annotations

import pytest

from kapstone.measures.scoring import score

CLUSTERS = {"B": range(1, 6), "C": range(6, 8), "D": range(8, 15), "E": range(15, 21)}


def zeros() -> dict[str, int]:
    return {f"pcl5_{n}": 0 for n in range(1, 21)}


def with_total(total: int) -> dict[str, int]:
    """20 answers summing to ``total``, filled from item 20 down, so the DSM-5 pattern is not met
    below 9 (E items rated 4 first)."""
    result, rest = zeros(), total
    for n in range(20, 0, -1):
        result[f"pcl5_{n}"] = min(4, rest)
        rest -= result[f"pcl5_{n}"]
    return result


def minimal_dsm_pattern() -> dict[str, int]:
    """Exactly the DSM-5 minimum: 1 B, 1 C, 2 D, 2 E items rated 2; everything else 1."""
    result = {f"pcl5_{n}": 1 for n in range(1, 21)}
    for n in (1, 6, 8, 9, 15, 16):
        result[f"pcl5_{n}"] = 2
    return result


def test_total_and_cluster_scores_are_sums_by_item_id(pcl5):
    given = zeros()
    given.update(
        {
            "pcl5_1": 4,
            "pcl5_5": 3,
            "pcl5_6": 2,
            "pcl5_7": 1,
            "pcl5_8": 4,
            "pcl5_14": 4,
            "pcl5_15": 1,
            "pcl5_20": 2,
        }
    )
    result = score(pcl5, given)
    assert result.total == 21
    assert {k: v["score"] for k, v in result.subscales.items()} == {"B": 7, "C": 3, "D": 8, "E": 3}
    assert {k: v["max"] for k, v in result.subscales.items()} == {"B": 20, "C": 8, "D": 28, "E": 24}
    assert result.subscales["B"]["percent_of_max"] == 35.0
    assert result.subscales["C"]["percent_of_max"] == 37.5
    assert result.subscales["D"]["label"] == "Cluster D: negative alterations in cognitions and mood"
    assert result.band is None
    assert result.interpretation == "PCL-5 total 21 (range 0-80)"


def test_maximum_total(pcl5):
    result = score(pcl5, {f"pcl5_{n}": 4 for n in range(1, 21)})
    assert result.total == 80
    assert all(v["percent_of_max"] == 100.0 for v in result.subscales.values())


@pytest.mark.parametrize(
    ("total", "cutpoint", "raised"),
    [(32, None, False), (33, None, True), (30, 31, False), (31, 31, True), (37, 38, False), (38, 38, True)],
)
def test_cut_point_flag(pcl5, total, cutpoint, raised):
    options = None if cutpoint is None else {"cutpoint": cutpoint}
    result = score(pcl5, with_total(total), options)
    flags = [f for f in result.flags if f["id"] == "pcl5_probable_ptsd"]
    assert bool(flags) is raised
    used = 33 if cutpoint is None else cutpoint
    assert result.options["cutpoint"] == used
    if raised:
        assert f"cut-point {used}" in str(flags[0]["message"])
        assert f"probable PTSD (total at or above the cut-point {used})" in result.interpretation


def test_dsm5_pattern_met_at_the_minimum(pcl5):
    result = score(pcl5, minimal_dsm_pattern())
    assert "pcl5_dsm5_pattern" in [f["id"] for f in result.flags]
    assert result.interpretation.endswith("DSM-5 symptom pattern met")


@pytest.mark.parametrize(
    ("cluster", "lowered"),
    [("B", ["pcl5_1"]), ("C", ["pcl5_6"]), ("D", ["pcl5_9"]), ("E", ["pcl5_16"])],
)
def test_dsm5_pattern_fails_when_one_cluster_falls_short(pcl5, cluster, lowered):
    given = minimal_dsm_pattern()
    for item in lowered:
        given[item] = 1  # rated 1: not counted as a symptom
    result = score(pcl5, given)
    assert "pcl5_dsm5_pattern" not in [f["id"] for f in result.flags]
    assert result.complete is True


@pytest.mark.parametrize("cluster", ["B", "C", "D", "E"])
def test_dsm5_pattern_fails_when_a_cluster_is_all_zero_even_with_high_others(pcl5, cluster):
    given = {f"pcl5_{n}": 4 for n in range(1, 21)}
    for n in CLUSTERS[cluster]:
        given[f"pcl5_{n}"] = 0
    result = score(pcl5, given)
    ids = [f["id"] for f in result.flags]
    assert "pcl5_dsm5_pattern" not in ids
    assert "pcl5_probable_ptsd" in ids  # the cut-score method can disagree with the DSM rule


def test_clinical_flags_are_not_raised_on_an_incomplete_response(pcl5):
    given = {f"pcl5_{n}": 4 for n in range(1, 20)}
    result = score(pcl5, given)
    assert (result.complete, result.total, result.subscales, result.flags) == (False, None, {}, [])
    assert result.errors == [
        {"item": "pcl5_20", "code": "missing", "message": "pcl5_20: no answer (required)"}
    ]
