"""The one shape of earned hours every app hands the practicum ledger: it refuses what the ledger
could not count, at the moment it is made."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kapstone.lib.hours import KINDS, EarnedHours

DAY = dt.date(2026, 11, 30)


@given(kind=st.sampled_from(KINDS), minutes=st.integers(min_value=0, max_value=10_000))
def test_every_kind_and_non_negative_duration_is_accepted(kind: str, minutes: int) -> None:
    hours = EarnedHours(source="training.lesson", source_id="1", kind=kind, minutes=minutes,
                        occurred_on=DAY, label="Lesson")  # fmt: skip
    assert (hours.kind, hours.minutes) == (kind, minutes)


@given(kind=st.text(max_size=30).filter(lambda k: k not in KINDS))
def test_an_unknown_kind_is_refused_naming_the_known_ones(kind: str) -> None:
    with pytest.raises(ValueError, match="unknown kind of hours") as refused:
        EarnedHours(source="x", source_id="1", kind=kind, minutes=60, occurred_on=DAY, label="x")
    assert "group_consultation" in str(refused.value)


def test_negative_minutes_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        EarnedHours(source="x", source_id="1", kind="didactic_live", minutes=-1, occurred_on=DAY, label="x")
