"""The demo tells the truth (issue #11 item 8): Rowan's PHQ-9 and GAD-7 follow the course dates.
Every score before the first dose is the untreated baseline: none falls by a minimal important
change (5 PHQ-9 points, Löwe 2004) before dosing starts, and none is recorded between the course
start and the first dose as an improvement. (Before, the PHQ-9 fell from 18 to 6 before the first
dose.)"""

from __future__ import annotations

import pytest

from kapstone.care.models import DoseRecord
from kapstone.clients.models import Client
from kapstone.measures.models import Response
from kapstone.tooling.demo import DEMO_SLUG, load_demo

pytestmark = pytest.mark.django_db

PHQ9_MCID = 5  # clinical.md §4.1 [I-PHQ-i]
GAD7_MCID = 4  # clinical.md §4.2 [I-GAD-d]


@pytest.fixture
def rowan() -> Client:
    load_demo()
    return Client.objects.get(organization__slug=DEMO_SLUG, given_name="Rowan")


@pytest.mark.parametrize(("instrument", "mcid"), [("phq9", PHQ9_MCID), ("gad7", GAD7_MCID)])
def test_no_improvement_before_the_first_dose(rowan: Client, instrument: str, mcid: int) -> None:
    first_dose = DoseRecord.objects.filter(session__client=rowan).order_by("given_at").first()
    assert first_dose is not None
    before = list(
        Response.objects.filter(
            client=rowan, instrument_id=instrument, administered_at__lt=first_dose.given_at
        )
        .order_by("administered_at")
        .values_list("total", flat=True)
    )
    assert len(before) >= 4  # a baseline the chart can show
    baseline = before[0]
    assert all(score is not None and baseline - score < mcid for score in before), before
    assert max(before) - min(before) < mcid  # flat: no trend before dosing starts


def test_the_baseline_is_the_depression_the_course_treats(rowan: Client) -> None:
    first_dose = DoseRecord.objects.filter(session__client=rowan).order_by("given_at").first()
    assert first_dose is not None
    latest = (
        Response.objects.filter(client=rowan, instrument_id="phq9", administered_at__lt=first_dose.given_at)
        .order_by("-administered_at")
        .first()
    )
    assert latest is not None and latest.total is not None and latest.total >= 15  # moderately severe
