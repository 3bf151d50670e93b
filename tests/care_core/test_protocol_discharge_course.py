"""check_discharge, check_interval and next_step."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from care_core_helpers import IDS, T0

from kapstone.care.protocol_core import (
    CourseState,
    InvalidInput,
    Protocol,
    check_discharge,
    check_interval,
    next_step,
)

H = timedelta(hours=1)
M = timedelta(minutes=1)


def all_true(protocol: Protocol) -> dict[str, bool | None]:
    return {i.id: True for i in protocol.discharge.items}


# --- discharge -----------------------------------------------------------------------------


@pytest.mark.parametrize("protocol_id", IDS)
def test_discharge_blocked_before_min_observation(registry: Any, protocol_id: str) -> None:
    protocol = registry.get(protocol_id)
    minimum = float(protocol.discharge.min_observation_minutes.value)
    early = check_discharge(protocol, T0, T0 + timedelta(minutes=minimum - 1), all_true(protocol))
    assert not early.ready and early.earliest_allowed_at == T0 + timedelta(minutes=minimum)
    assert [i.id for i in early.blocking] == ["min_observation"]
    assert early.earliest_allowed_at.strftime("%Y-%m-%d %H:%M") in early.rationale
    on_time = check_discharge(protocol, T0, T0 + timedelta(minutes=minimum), all_true(protocol))
    assert on_time.ready and on_time.blocking == () and on_time.rationale.startswith("ready for discharge")
    assert on_time.observed_minutes == minimum and on_time.min_observation_minutes == minimum
    assert on_time.to_dict()["ready"] is True


def test_spravato_two_hours(spravato: Protocol) -> None:
    minimum = spravato.discharge.min_observation_minutes
    assert minimum.value == 120 and minimum.provenance.sources == ("L1", "L2")
    assert not minimum.provenance.clinic_setting
    result = check_discharge(spravato, T0, T0 + 119 * M, all_true(spravato))
    assert "discharge not before 2026-03-02 12:00 UTC" in result.items[0].message


@pytest.mark.parametrize("protocol_id", IDS)
def test_each_discharge_item_required(registry: Any, protocol_id: str) -> None:
    protocol = registry.get(protocol_id)
    later = T0 + 4 * H
    for checklist_item in protocol.discharge.items:
        for value, words in ((None, "missing"), (False, "not met"), ("yes", "expected true or false")):
            checklist: dict[str, Any] = {**all_true(protocol), checklist_item.id: value}
            result = check_discharge(protocol, T0, later, checklist)
            assert not result.ready and [i.id for i in result.blocking] == [checklist_item.id]
            assert words in result.blocking[0].message
        absent = {k: v for k, v in all_true(protocol).items() if k != checklist_item.id}
        assert not check_discharge(protocol, T0, later, absent).ready


def test_unknown_discharge_item_blocks(spravato: Protocol) -> None:
    result = check_discharge(spravato, T0, T0 + 3 * H, {**all_true(spravato), "escrot_present": True})
    assert not result.ready and [i.id for i in result.blocking] == ["escrot_present"]


@pytest.mark.parametrize(
    ("protocol_id", "text"),
    [
        ("esketamine_spravato", "no driving until the next day, after restful sleep"),
        ("im_kap", "no driving until the next day, after restful sleep"),
    ],
)
def test_no_driving_text(registry: Any, protocol_id: str, text: str) -> None:
    protocol = registry.get(protocol_id)
    assert check_discharge(protocol, T0, T0 + 3 * H, all_true(protocol)).no_driving == text


def test_no_driving_hours(spravato: Protocol) -> None:
    from kapstone.care.protocol_core.protocol import Provenance, Value

    hours = Value(24, Provenance(("X14",), True, "clinic choice"), "discharge.no_driving.hours")
    rule = replace(spravato.discharge.no_driving, rule="hours", hours=hours)
    protocol = replace(spravato, discharge=replace(spravato.discharge, no_driving=rule))
    assert check_discharge(protocol, T0, T0 + 3 * H, all_true(protocol)).no_driving == (
        "no driving for 24 h after the dose"
    )


@pytest.mark.parametrize(
    ("dose", "now", "field"),
    [
        (T0.replace(tzinfo=None), T0, "dose_time"),
        (T0, T0.replace(tzinfo=None), "now"),
        (T0, T0 - M, "now"),
    ],
)
def test_discharge_bad_times(spravato: Protocol, dose: Any, now: Any, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_discharge(spravato, dose, now, all_true(spravato))
    assert caught.value.field == field


# --- interval ------------------------------------------------------------------------------

INTERVAL_CASES: list[tuple[str, float, int | None, str]] = [
    ("sublingual_kap_series", 72, None, "ok"),
    ("sublingual_kap_series", 71.9, None, "needs_justification"),
    ("im_kap", 72, 2, "ok"),
    ("im_kap", 24, 2, "needs_justification"),
    ("iv_induction_series", 48, 3, "ok"),
    ("iv_induction_series", 47.5, 3, "needs_justification"),
    ("esketamine_spravato", 48, None, "ok"),
    ("esketamine_spravato", 47, 5, "needs_justification"),
    ("esketamine_spravato", 100, 8, "ok"),
    ("esketamine_spravato", 100, 9, "needs_justification"),
    ("esketamine_spravato", 120, 13, "ok"),
    ("esketamine_spravato", -1, 2, "hard_stop"),
]


@pytest.mark.parametrize(("protocol_id", "hours", "dose_number", "level"), INTERVAL_CASES)
def test_check_interval(
    registry: Any, protocol_id: str, hours: float, dose_number: int | None, level: str
) -> None:
    protocol = registry.get(protocol_id)
    result = check_interval(protocol, T0 - timedelta(hours=hours), T0, dose_number=dose_number)
    assert result.level == level and result.ok is (level == "ok")
    assert result.hours_since == pytest.approx(hours)
    assert result.earliest_at == T0 - timedelta(hours=hours) + timedelta(hours=result.min_interval_hours)
    assert result.protocol_id == protocol_id and result.rationale
    if level == "needs_justification":
        assert "earliest" in result.rationale and "justification" in result.rationale


def test_interval_names_stage_and_source(spravato: Protocol) -> None:
    result = check_interval(spravato, T0 - 50 * H, T0, dose_number=3)
    assert result.stage == "induction" and result.limit == "course.stages[0].min_interval_hours"
    assert result.clinic_setting and result.sources == ("L10",)
    assert "twice weekly" in result.rationale
    no_stage = check_interval(spravato, T0 - 50 * H, T0)
    assert no_stage.stage is None and no_stage.limit == "course.min_interval_hours"


def test_first_session_has_no_interval(spravato: Protocol) -> None:
    result = check_interval(spravato, None, T0)
    assert result.ok and result.earliest_at is None and result.hours_since is None


def test_interval_hard_stop_level(sublingual: Protocol) -> None:
    limit = replace(sublingual.course.min_interval_hours, level="hard_stop")
    protocol = replace(sublingual, course=replace(sublingual.course, min_interval_hours=limit))
    assert check_interval(protocol, T0 - 10 * H, T0).level == "hard_stop"


@pytest.mark.parametrize(
    ("last", "proposed", "field"),
    [
        (T0.replace(tzinfo=None), T0, "last_dosing_at"),
        (T0, T0.replace(tzinfo=None), "proposed_at"),
    ],
)
def test_interval_needs_aware_times(spravato: Protocol, last: Any, proposed: Any, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_interval(spravato, last, proposed)
    assert caught.value.field == field


# --- next_step -----------------------------------------------------------------------------


def test_preparation_required(sublingual: Protocol) -> None:
    step = next_step(sublingual, CourseState(now=T0, preparation_sessions_done=1))
    assert step.code == "preparation_required"
    assert step.text == "preparation session required before the first dose (1 of 2 done)"
    assert "clinic setting" in step.rationale and step.protocol_id == "sublingual_kap_series"


def test_first_dose_may_be_scheduled(sublingual: Protocol) -> None:
    step = next_step(sublingual, CourseState(now=T0, preparation_sessions_done=2))
    assert step.code == "dosing_session" and step.text.startswith("dosing session 1 of 6 may be scheduled")
    assert step.earliest_at is None


def test_integration_due_after_dose(sublingual: Protocol) -> None:
    state = CourseState(now=T0 + 10 * H, preparation_sessions_done=2, dosing_sessions=(T0,))
    step = next_step(sublingual, state)
    assert step.code == "integration_due" and step.due_by == T0 + 72 * H and not step.overdue
    assert step.text == (
        "integration session due within 72 h of the dosing session on 2026-03-02 10:00 UTC "
        "(by 2026-03-05 10:00 UTC)"
    )
    late = next_step(sublingual, replace(state, now=T0 + 73 * H))
    assert late.overdue and late.text.endswith(": overdue")


def test_next_dose_after_integration(sublingual: Protocol) -> None:
    state = CourseState(
        now=T0 + 30 * H,
        preparation_sessions_done=2,
        dosing_sessions=(T0,),
        integration_sessions=(T0 + 24 * H,),
    )
    step = next_step(sublingual, state)
    assert step.code == "dosing_session" and step.earliest_at == T0 + 72 * H
    assert step.text.startswith("dosing session 2 of 6 may be given from 2026-03-05 10:00 UTC")


def test_outstanding_integration_listed(sublingual: Protocol) -> None:
    state = CourseState(
        now=T0 + 200 * H,
        preparation_sessions_done=2,
        dosing_sessions=(T0, T0 + 168 * H),
        integration_sessions=(T0 + 170 * H,),
    )
    step = next_step(sublingual, state)
    assert step.code == "dosing_session"
    assert step.outstanding == (
        "no integration session was recorded after the dosing session on 2026-03-02 10:00 UTC",
    )


def test_course_complete(iv: Protocol) -> None:
    sessions = tuple(T0 + i * 84 * H for i in range(6))
    integrations = tuple(s + 24 * H for s in sessions)
    step = next_step(
        iv,
        CourseState(
            now=T0 + 600 * H,
            preparation_sessions_done=1,
            dosing_sessions=sessions,
            integration_sessions=integrations,
        ),
    )
    assert step.code == "course_complete" and step.text.startswith("course complete: 6 of 6")


def test_spravato_stage_review_and_open_ended(spravato: Protocol) -> None:
    sessions = tuple(T0 + i * 84 * H for i in range(8))
    integrations = tuple(s + 24 * H for s in sessions)
    state = CourseState(
        now=T0 + 700 * H,
        preparation_sessions_done=1,
        dosing_sessions=sessions,
        integration_sessions=integrations,
    )
    step = next_step(spravato, state)
    assert step.code == "stage_review"
    assert step.text.startswith("End of induction: check for evidence of therapeutic benefit")
    assert "dosing session 9 (Maintenance, weeks 5-8: once weekly)" in step.text
    assert step.earliest_at == sessions[-1] + 120 * H
    mid = next_step(
        spravato, replace(state, dosing_sessions=sessions[:3], integration_sessions=integrations[:3])
    )
    assert (
        mid.code == "dosing_session" and "dosing session 4 (Induction, weeks 1-4: twice weekly)" in mid.text
    )


def test_integration_not_required_when_protocol_says_so(sublingual: Protocol) -> None:
    protocol = replace(sublingual, phases=replace(sublingual.phases, integration_after_each_dose=False))
    step = next_step(protocol, CourseState(now=T0, preparation_sessions_done=2, dosing_sessions=(T0,)))
    assert step.code == "dosing_session"


@pytest.mark.parametrize(
    ("state", "field"),
    [
        (CourseState(now=T0.replace(tzinfo=None)), "now"),
        (CourseState(now=T0, dosing_sessions=(T0.replace(tzinfo=None),)), "dosing_sessions[0]"),
        (CourseState(now=T0, integration_sessions=(T0, T0.replace(tzinfo=None))), "integration_sessions[1]"),
        (CourseState(now=T0, preparation_sessions_done=-1), "preparation_sessions_done"),
        (CourseState(now=T0, preparation_sessions_done=True), "preparation_sessions_done"),
    ],
)
def test_next_step_bad_input(sublingual: Protocol, state: CourseState, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        next_step(sublingual, state)
    assert caught.value.field == field
