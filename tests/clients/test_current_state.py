"""Current psychosis or mania at intake (issue #11 item 4): facts distinct from lifetime history;
current psychotic symptoms contraindicate (cited), and not asking leaves the screening incomplete."""

from __future__ import annotations

import pytest
from tests.clients.intake_helpers import actor, ready_for_screening

from kapstone.screening.services import screening_run

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("fact", ["current_psychotic_symptoms", "current_manic_symptoms"])
def test_current_symptoms_at_intake_contraindicate(world, fact) -> None:
    ready_for_screening(world, **{fact: True})
    evaluation = screening_run(actor(world, "theo"), world.clients["rowan"])
    assert evaluation.outcome == "contraindicated"
    rule = next(r for r in evaluation.result["rules"] if r["id"] == fact)
    assert rule["outcome"] == "flagged" and "G8" in rule["source"]


def test_a_lifetime_history_without_current_symptoms_stays_a_judgement(world) -> None:
    ready_for_screening(world, psychosis=True, current_psychotic_symptoms=False)
    evaluation = screening_run(actor(world, "theo"), world.clients["rowan"])
    assert evaluation.outcome == "needs_prescriber_review"


def test_not_asked_is_insufficient_information(world) -> None:
    ready_for_screening(world, current_psychotic_symptoms=None)
    evaluation = screening_run(actor(world, "theo"), world.clients["rowan"])
    assert evaluation.outcome == "insufficient_information"
    assert "history.current_psychotic_symptoms" in evaluation.result["missing_facts"]
