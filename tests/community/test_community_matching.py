"""The stable-matching core, property-tested: stable, within capacity, only acceptable pairs."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kapstone.community.matching import blocking_pairs, stable_match


@st.composite
def markets(draw: st.DrawFn) -> tuple[dict[int, list[int]], dict[int, list[int]], dict[int, int]]:
    mentees = list(range(draw(st.integers(0, 12))))
    mentors = list(range(100, 100 + draw(st.integers(0, 6))))
    mentee_prefs = {
        m: draw(st.permutations(mentors).map(lambda p: p[: draw(st.integers(0, len(p)))])) for m in mentees
    }
    mentor_prefs = {
        t: draw(st.permutations(mentees).map(lambda p: p[: draw(st.integers(0, len(p)))])) for t in mentors
    }
    capacities = {t: draw(st.integers(0, 3)) for t in mentors}
    return mentee_prefs, mentor_prefs, capacities


@settings(max_examples=300, deadline=None)
@given(markets())
def test_the_matching_is_stable_respects_capacity_and_pairs_only_mutually_acceptable(market: tuple) -> None:
    mentee_prefs, mentor_prefs, capacities = market
    result = stable_match(mentee_prefs, mentor_prefs, capacities)
    assert blocking_pairs(result, mentee_prefs, mentor_prefs, capacities) == []
    for mentor, capacity in capacities.items():
        assert len(result.mentees_of(mentor)) <= capacity
    for mentee, mentor in result.pairs.items():
        assert mentor in mentee_prefs[mentee] and mentee in mentor_prefs[mentor]
    assert set(result.pairs) | set(result.unmatched) == set(mentee_prefs)
    assert not set(result.pairs) & set(result.unmatched)


def test_a_known_market_gives_the_mentee_optimal_answer() -> None:
    mentee_prefs = {1: [10, 20], 2: [10, 20], 3: [10]}
    mentor_prefs = {10: [3, 2, 1], 20: [1, 2]}
    result = stable_match(mentee_prefs, mentor_prefs, {10: 1, 20: 1})
    assert result.pairs == {3: 10, 1: 20} and result.unmatched == (2,)


def test_blocking_pairs_finds_an_unstable_matching() -> None:
    from kapstone.community.matching import Matching

    unstable = Matching(pairs={1: 20}, unmatched=())
    assert blocking_pairs(unstable, {1: [10, 20]}, {10: [1], 20: [1]}, {10: 1, 20: 1}) == [(1, 10)]
