"""The competency framework as data, and Cohen's κ."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kapstone.training.agreement import cohen_kappa
from kapstone.training.frameworks import load_framework, topic_ids, topics


def test_the_default_framework_has_phelps_six_and_four_kap_competencies_each_with_four_anchors() -> None:
    framework = load_framework("phelps-kap")
    assert framework.levels == (1, 2, 3, 4)
    phelps = [c for c in framework.competencies if c.source == "phelps2017"]
    kap = [c for c in framework.competencies if c.id.startswith("kap.")]
    assert len(phelps) == 6 and len(kap) == 4
    assert all(len(c.anchors) == 4 and c.anchors_source == "kapstone" for c in framework.competencies)
    assert "Phelps" in framework.sources["phelps2017"]


@pytest.mark.parametrize("level", [0, 5, -1, True, 2.5, "3"])
def test_a_level_outside_the_scale_is_refused(level: object) -> None:
    with pytest.raises(ValueError, match="outside the scale 1–4"):
        load_framework("phelps-kap").check_level(level)


def test_unknown_framework_and_the_topic_list() -> None:
    with pytest.raises(LookupError):
        load_framework("../../etc/passwd")
    assert len(topics()) == 14 and {"co.ethics", "co.screening"} <= topic_ids()


levels = st.integers(1, 4)


@given(st.lists(st.tuples(levels, levels), min_size=1, max_size=40))
@settings(max_examples=200, deadline=None)
def test_kappa_is_symmetric_and_at_most_one(pairs: list[tuple[int, int]]) -> None:
    kappa = cohen_kappa(pairs)
    swapped = cohen_kappa([(b, a) for a, b in pairs])
    assert kappa == swapped
    if kappa is not None:
        assert -1 <= kappa <= 1


@given(st.lists(levels, min_size=2, max_size=40).filter(lambda xs: len(set(xs)) > 1))
@settings(max_examples=100, deadline=None)
def test_identical_ratings_agree_perfectly(ratings: list[int]) -> None:
    assert cohen_kappa([(r, r) for r in ratings]) == 1


def test_kappa_known_value_and_undefined_cases() -> None:
    # 10 pairs, 7 agreements: A rated 1 five times, B six times → pe = .5·.6 + .5·.4 = .5, κ = .2/.5
    pairs = [(1, 1)] * 4 + [(2, 2)] * 3 + [(1, 2)] + [(2, 1)] * 2
    assert cohen_kappa(pairs) == pytest.approx(0.4, abs=1e-9)
    assert cohen_kappa([]) is None and cohen_kappa([(3, 3), (3, 3)]) is None
