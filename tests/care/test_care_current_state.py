"""Current state, not only history (issue #11 item 4): current psychotic or manic symptoms are
asked at intake (screening facts, contraindicated) and at every pre-dose check, where current
psychotic symptoms are a no-go with their sources and current mania needs a prescriber's reason."""

from __future__ import annotations

from typing import Any

import pytest
from care_helpers import actor, dosing_session, go_checklist, start_course

from kapstone.care import services
from kapstone.care.protocol_core import default_registry
from kapstone.care.protocol_core.inputs import PreDoseChecklist
from readiness_helpers import Ready

pytestmark = pytest.mark.django_db


def _item(result: Any, ident: str) -> Any:
    return next(i for i in result.items if i.id == ident)


def test_current_psychotic_symptoms_are_a_no_go_with_sources(world: Any, ready: Ready) -> None:
    session = dosing_session(world, start_course(world))
    checklist = go_checklist(current_psychotic_symptoms=True)
    started = services.dosing_start(
        actor(world, "priya"),
        session,
        checks=checklist,
        expected_version=session.version,
        justification="Mild only",
    )
    assert not started.started and started.result.decision == "no_go"
    item = _item(started.result, "current_psychotic_symptoms")
    assert item.status == "no_go" and "contraindicate a dose" in item.message
    assert set(item.sources) == {"G8", "G7", "G1", "L1"}
    session.refresh_from_db()
    assert session.status == "scheduled"


def test_not_asking_is_a_no_go(world: Any, ready: Ready) -> None:
    session = dosing_session(world, start_course(world))
    started = services.dosing_start(
        actor(world, "theo"),
        session,
        checks=go_checklist(current_manic_symptoms=None),
        expected_version=session.version,
    )
    assert not started.started
    item = _item(started.result, "current_manic_symptoms")
    assert (item.status, item.message) == ("no_go", "not asked today")


def test_current_mania_needs_a_prescribers_reason(world: Any, ready: Ready) -> None:
    session = dosing_session(world, start_course(world))
    checklist = go_checklist(current_manic_symptoms=True)
    first = services.dosing_start(
        actor(world, "theo"), session, checks=checklist, expected_version=session.version
    )
    assert not first.started and first.result.decision == "needs_justification"
    assert _item(first.result, "current_manic_symptoms").status == "needs_justification"
    reason = "Brief elevated mood on a good day; psychiatrist reviewed, no mania."
    second = services.dosing_start(
        actor(world, "priya"),
        session,
        checks=checklist,
        expected_version=session.version,
        justification=reason,
    )
    assert second.started
    session.refresh_from_db()
    assert session.dosing.pre_dose_input["current_state"] == {
        "current_psychotic_symptoms": False,
        "current_manic_symptoms": True,
    }


def test_every_protocol_asks_the_current_state_questions() -> None:
    from datetime import UTC, datetime

    from kapstone.care.protocol_core import check_pre_dose

    for protocol_id in default_registry().ids():
        result = check_pre_dose(
            default_registry().get(protocol_id),
            PreDoseChecklist(planned_dose_at=datetime(2026, 3, 2, tzinfo=UTC)),
        )
        assert {"current_psychotic_symptoms", "current_manic_symptoms"} <= {i.id for i in result.items}
