"""check_pre_dose, the two items asked on the day: the minimum interval since the previous dosing
session (which dose of the course this is, and when the last one was given) and the current mental
state questions (psychosis / mania now). Anything not given, or given in a shape that cannot be
read, is a no-go; a yes to mania needs a prescriber's reason; a yes to psychosis is a no-go."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from care_core_helpers import IDS, T0
from hypothesis import given, settings
from hypothesis import strategies as st
from test_protocol_pre_dose import good, item

from kapstone.care.protocol_core import PreDoseChecklist, check_pre_dose

SUBLINGUAL_GAP_H = 72  # sublingual_kap_series.toml [course] min_interval_hours (clinic setting)


def _interval(registry: Any, protocol_id: str = "sublingual_kap_series", **change: Any) -> Any:
    protocol = registry.get(protocol_id)
    checklist: PreDoseChecklist = replace(good(protocol), **change)
    result = check_pre_dose(protocol, checklist)
    return result, item(result, "min_interval")


# --- the minimum interval ---------------------------------------------------------------------

# (why, changes to the good checklist, words in the no-go message)
INTERVAL_CANNOT_BE_CHECKED = [
    ("dose number missing", {"dose_number": None}, "which dose of the course this is was not given"),
    ("dose number zero", {"dose_number": 0}, "which dose of the course this is was not given"),
    ("dose number negative", {"dose_number": -2}, "which dose of the course this is was not given"),
    ("dose number a yes/no", {"dose_number": True}, "which dose of the course this is was not given"),
    ("dose number typed as text", {"dose_number": "2"}, "which dose of the course this is was not given"),
    ("second dose, previous time missing", {"dose_number": 2}, "dose 2, but the previous dose's time"),
    (
        "previous dose time without a timezone",
        {"dose_number": 2, "previous_dosing_at": (T0 - timedelta(days=10)).replace(tzinfo=None)},
        "previous_dosing_at must be timezone-aware",
    ),
    (
        "previous dose after the planned one",
        {"dose_number": 2, "previous_dosing_at": T0 + timedelta(hours=1)},
        "check the dates",
    ),
]


@pytest.mark.parametrize(
    ("change", "words"),
    [c[1:] for c in INTERVAL_CANNOT_BE_CHECKED],
    ids=[c[0] for c in INTERVAL_CANNOT_BE_CHECKED],
)
def test_an_interval_that_cannot_be_checked_is_a_no_go(
    registry: Any, change: dict[str, Any], words: str
) -> None:
    result, found = _interval(registry, **change)
    assert found.status == "no_go" and words in found.message, found.message
    assert (
        result.decision == "no_go"
        and "Minimum interval since the previous dosing session" in result.rationale
    )


def test_no_planned_time_means_the_interval_cannot_be_checked(registry: Any) -> None:
    result, found = _interval(
        registry,
        planned_dose_at=T0.replace(tzinfo=None),
        dose_number=2,
        previous_dosing_at=T0 - timedelta(days=7),
    )
    assert found.status == "no_go" and found.message == "no planned dose time: cannot check"
    assert item(result, "planned_dose_at").status == "no_go"


def test_a_second_dose_too_soon_needs_a_prescribers_reason_and_names_the_earliest_time(registry: Any) -> None:
    result, found = _interval(registry, dose_number=2, previous_dosing_at=T0 - timedelta(hours=24))
    assert found.status == "needs_justification", found.message
    assert "only 24 h after the dosing session" in found.message
    assert f"{SUBLINGUAL_GAP_H} h" in found.message and "earliest" in found.message
    assert found.clinic_setting and found.sources
    assert result.decision == "needs_justification"


@pytest.mark.parametrize("protocol_id", IDS)
def test_a_dose_a_fortnight_after_the_previous_one_keeps_the_interval(
    registry: Any, protocol_id: str
) -> None:
    result, found = _interval(
        registry, protocol_id, dose_number=2, previous_dosing_at=T0 - timedelta(days=14)
    )
    assert found.status == "ok" and "336 h after the dosing session" in found.message
    assert result.decision == "go", result.rationale


@settings(max_examples=80, deadline=None)
@given(hours=st.floats(min_value=0, max_value=400, allow_nan=False), number=st.integers(2, 12))
def test_the_interval_item_is_ok_exactly_when_the_gap_is_kept(
    registry: Any, hours: float, number: int
) -> None:
    _, found = _interval(registry, dose_number=number, previous_dosing_at=T0 - timedelta(hours=hours))
    kept = hours >= SUBLINGUAL_GAP_H
    assert (found.status == "ok") == kept, (hours, found.message)
    if not kept:
        assert found.status == "needs_justification"


# --- current mental state ---------------------------------------------------------------------

PSYCHOSIS = "current_psychotic_symptoms"
MANIA = "current_manic_symptoms"

# (why, answers, decision, {question: (status, words)})
STATE_CASES: list[tuple[str, dict[str, Any], str, dict[str, tuple[str, str]]]] = [
    (
        "both asked, none now",
        {PSYCHOSIS: False, MANIA: False},
        "go",
        {PSYCHOSIS: ("ok", "asked: none now"), MANIA: ("ok", "asked: none now")},
    ),
    (
        "nothing asked",
        {},
        "no_go",
        {PSYCHOSIS: ("no_go", "not asked today"), MANIA: ("no_go", "not asked today")},
    ),
    (
        "psychosis now",
        {PSYCHOSIS: True, MANIA: False},
        "no_go",
        {PSYCHOSIS: ("no_go", "current psychotic symptoms contraindicate a dose")},
    ),
    (
        "mania now",
        {PSYCHOSIS: False, MANIA: True},
        "needs_justification",
        {MANIA: ("needs_justification", "dose only if a prescriber documents why")},
    ),
    (
        "mania asked, psychosis left blank",
        {PSYCHOSIS: None, MANIA: False},
        "no_go",
        {PSYCHOSIS: ("no_go", "not asked today"), MANIA: ("ok", "asked: none now")},
    ),
    (
        "an answer that is not yes or no",
        {PSYCHOSIS: "no", MANIA: 0},
        "no_go",
        {
            PSYCHOSIS: ("no_go", "expected yes or no (got 'no')"),
            MANIA: ("no_go", "expected yes or no (got 0)"),
        },
    ),
]


@pytest.mark.parametrize(
    ("answers", "decision", "expected"), [c[1:] for c in STATE_CASES], ids=[c[0] for c in STATE_CASES]
)
def test_current_state_answers_decide_the_day(
    registry: Any, answers: dict[str, Any], decision: str, expected: dict[str, tuple[str, str]]
) -> None:
    protocol = registry.get("sublingual_kap_series")
    result = check_pre_dose(protocol, replace(good(protocol), current_state=answers))
    assert result.decision == decision, result.rationale
    for question, (status, words) in expected.items():
        found = item(result, question)
        assert found.status == status and words in found.message, found.message
        assert found.sources, "each current-state answer cites its sources"


def test_mania_with_a_missing_interval_is_still_a_no_go(registry: Any) -> None:
    protocol = registry.get("im_kap")
    checklist = replace(good(protocol), dose_number=3, current_state={PSYCHOSIS: False, MANIA: True})
    result = check_pre_dose(protocol, checklist)
    assert result.decision == "no_go"
    assert result.rationale.startswith("no go: ")
    assert "Manic or hypomanic symptoms now" in result.rationale
