"""The demo tells the truth (issue #11 item 8): Rowan's PHQ-9 and GAD-7 follow the course dates.
Every score before the first dose is the untreated baseline: none falls by a minimal important
change (5 PHQ-9 points, Löwe 2004) before dosing starts, and none is recorded between the course
start and the first dose as an improvement. (Before, the PHQ-9 fell from 18 to 6 before the first
dose.) Marlowe's completed course shows the rest: the fall comes after the doses."""

from __future__ import annotations

import pytest
from django.utils import timezone

from kapstone.care.models import Course, DoseRecord
from kapstone.clients.models import Client
from kapstone.measures.hooks import dosing_marker_dates
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


@pytest.fixture
def marlowe() -> Client:
    load_demo()
    return Client.objects.get(organization__slug=DEMO_SLUG, given_name="Marlowe")


def test_a_completed_course_shows_the_fall_after_dosing(marlowe: Client) -> None:
    """The second demo client's chart is what KAP outcome monitoring looks like: a moderately severe
    baseline before the first dose, six doses inside the measured period, and the fall after them."""
    course = Course.objects.get(client=marlowe)
    assert (course.protocol_key, course.status) == ("sublingual_kap_series", "completed")
    doses = list(DoseRecord.objects.filter(session__client=marlowe).order_by("given_at"))
    assert len(doses) == 6 and all(d.level == "ok" and d.session.status == "completed" for d in doses)
    phq9 = list(Response.objects.filter(client=marlowe, instrument_id="phq9").order_by("administered_at"))
    first_dose, last_dose = doses[0].given_at, doses[-1].given_at
    before = [r.total for r in phq9 if r.administered_at < first_dose]
    after = [r for r in phq9 if r.administered_at > last_dose]
    assert len(before) >= 4 and all(total is not None and total >= 15 for total in before), before
    assert after and after[-1].total is not None and after[-1].total <= 9
    assert all(phq9[0].administered_at < d.given_at < phq9[-1].administered_at for d in doses)
    # The chart's dosing markers are the six dosing days, inside the charted period.
    assert dosing_marker_dates(marlowe) == sorted({timezone.localtime(d.given_at).date() for d in doses})
    gad7 = list(Response.objects.filter(client=marlowe, instrument_id="gad7").order_by("administered_at"))
    assert gad7[0].total is not None and gad7[-1].total is not None and gad7[-1].total < gad7[0].total
