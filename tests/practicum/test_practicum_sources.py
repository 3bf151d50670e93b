"""The derived-hours registry: another app's ``selectors.earned_hours`` is registered only if it
exists, and what it reports counts, shown with its source and not editable."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from practicum_helpers import actor, supervise

from kapstone.lib.hours import EarnedHours
from kapstone.practicum import selectors, sources

pytestmark = pytest.mark.django_db


def test_lesson_hours_from_another_app_count_under_their_topics(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def earned_hours(user: object) -> list[EarnedHours]:
        return [EarnedHours(source="training.lesson", source_id="7", kind="didactic_self_paced", minutes=300,
                            occurred_on=dt.date(2026, 1, 5), label="Lesson: ethics of touch",
                            topics=("co.ethics",))]  # fmt: skip

    source = sources._from_app("fakeapp", earned_hours)
    monkeypatch.setitem(sources._SOURCES, "fakeapp", source)
    supervise(world)
    view = selectors.ledger(actor(world, "toby"), world.users["toby"])
    report = next(r for r in view.reports if r.set_id == "colorado_natural_medicine_facilitator")
    ethics = next(v for v in report.verdicts if v.requirement_id == "co_ethics")
    assert ethics.message == "5 h of 25 h: 20 h missing"
    [derived] = view.derived
    assert derived.source_label == "Recorded in fakeapp" and derived.earned.label == "Lesson: ethics of touch"


def test_the_training_community_and_consultation_sources_are_registered_and_read(
    world: Any, _own_sources_only: dict[str, Any]
) -> None:
    """They exist now (each app exposes earned_hours), so the ledger reads them with its own."""
    assert {"training", "community", "consultation", "notes", "meetings"} <= set(_own_sources_only)
    sources._SOURCES.update(_own_sources_only)
    supervise(world)
    view = selectors.ledger(actor(world, "toby"), world.users["toby"])
    assert len(view.reports) == 3 and view.derived == []  # nothing recorded in them yet, and no error
