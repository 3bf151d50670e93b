"""The demo cohort: fictional, made once, with a little history for the first trainee."""

from __future__ import annotations

from typing import Any

import pytest

from kapstone.training.demo import COHORT_NAME, seed_training_demo
from kapstone.training.models import CompetencyAssessment, JournalEntry, QuizAttempt

pytestmark = pytest.mark.django_db


def test_the_demo_cohort_is_made_once_with_history(world: Any) -> None:
    cohort = seed_training_demo(world.org_a)
    assert cohort is not None and cohort.name == COHORT_NAME
    assert seed_training_demo(world.org_a) == cohort
    enrollment = cohort.enrollments.get()
    assert enrollment.trainee == world.users["toby"] and enrollment.supervisor == world.users["sam"]
    assert enrollment.lessons_done.count() == 2
    assert [a.status for a in QuizAttempt.objects.order_by("number")][0] == "failed"
    assert QuizAttempt.objects.count() == 2
    assert QuizAttempt.objects.get(number=2).status in ("passed", "pending")  # pending: a short answer drawn
    assert CompetencyAssessment.objects.count() == 1
    assert JournalEntry.objects.get().shared_with == world.users["sam"]
    assert seed_training_demo(world.org_b) is None  # no admin there
