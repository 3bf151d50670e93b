"""Screening that guides (issue #12 item 5, first part): each missing fact named in words and linked
to the form field that supplies it; citations behind a disclosure."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from tests.clients.intake_helpers import give_birthday, record_measures, save_intake

from kapstone.core.labels import fact_field

pytestmark = pytest.mark.django_db


def test_each_fact_knows_its_form_field() -> None:
    assert fact_field("history.seizure") == ("intake:edit", "id_seizure")
    assert fact_field("allergies.ketamine") == ("intake:edit", "id_allergy_ketamine")
    assert fact_field("age_years") == ("clients:edit", "id_date_of_birth")
    assert fact_field("bp_systolic") == ("intake:edit", "id_bp_systolic")


def test_a_missing_fact_links_to_the_field_that_supplies_it(world: Any, as_user: Any) -> None:
    from tests.clients.intake_helpers import actor

    from kapstone.screening.services import screening_run

    give_birthday(world)
    save_intake(world, seizure=None)
    record_measures(world)
    rowan = world.clients["rowan"]
    evaluation = screening_run(actor(world, "theo"), rowan)
    url = reverse("screening:evaluation", kwargs={"pk": rowan.pk, "eid": evaluation.pk})
    html = as_user("theo").get(url).content.decode()
    edit = reverse("intake:edit", args=[rowan.pk])
    assert f'Missing: <a href="{edit}#id_seizure">Seizures</a>' in html
    assert "<summary>Sources (" in html and "history.seizure" not in html
    field = as_user("theo").get(edit).content.decode()
    assert 'id="id_seizure"' in field  # the anchor lands on the question


def test_submitting_an_incomplete_screening_warns_what_the_prescriber_will_see(
    world: Any, as_user: Any
) -> None:
    from tests.clients.intake_helpers import actor

    from kapstone.screening.services import screening_run

    give_birthday(world)
    save_intake(world, seizure=None)
    record_measures(world)
    rowan = world.clients["rowan"]
    evaluation = screening_run(actor(world, "theo"), rowan)
    url = reverse("screening:evaluation", kwargs={"pk": rowan.pk, "eid": evaluation.pk})
    html = as_user("theo").get(url).content.decode()
    assert 'id="incomplete-warning"' in html and "cannot clear the client on them" in html

    save_intake(world, seizure=False)
    complete = screening_run(actor(world, "theo"), rowan)
    url = reverse("screening:evaluation", kwargs={"pk": rowan.pk, "eid": complete.pk})
    assert 'id="incomplete-warning"' not in as_user("theo").get(url).content.decode()


def test_the_prescriber_is_offered_only_the_decisions_that_are_possible(world: Any, as_user: Any) -> None:
    from tests.clients.intake_helpers import actor

    from kapstone.screening.services import screening_run, screening_submit

    give_birthday(world)
    save_intake(world, seizure=None)
    record_measures(world)
    rowan = world.clients["rowan"]
    evaluation = screening_run(actor(world, "theo"), rowan)
    screening_submit(actor(world, "theo"), evaluation, note="Seizure history to be asked at the next visit.")
    html = as_user("priya").get(reverse("screening:decide", kwargs={"pk": rowan.pk, "eid": evaluation.pk}))
    page = html.content.decode()
    assert 'value="declined"' in page and 'value="cleared"' not in page
    assert 'value="cleared_with_conditions"' not in page and "Clearing is not possible" in page
