"""A fresh vitals form's fields are drawn once and reused (issue #18: drawing them was ~20 ms of every
htmx vitals answer). The reused markup is the markup the template draws in place, for every symptom
list, zone and language it is keyed by; a form with what was typed is always drawn in place."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest
from care_helpers import dosed
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from kapstone.care.forms import VitalsForm
from kapstone.care.services import protocol_of
from kapstone.care.views import room
from readiness_helpers import Ready

pytestmark = pytest.mark.django_db
READING = {"systolic": 128, "diastolic": 82, "heart_rate": 76, "spo2": 97, "respiratory_rate": 15}


def _protocol(*symptoms: tuple[str, str]) -> Any:
    """What VitalsForm reads of a protocol: its hypertensive-emergency symptom list."""
    listed = [SimpleNamespace(id=i, label=label) for i, label in symptoms]
    return SimpleNamespace(hypertensive_emergency=SimpleNamespace(symptoms=listed))


def _drawn_in_place(protocol: Any) -> str:
    return render_to_string(room.VITALS_FIELDS, {"vitals_form": VitalsForm(protocol=protocol)})


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    room._FRESH_VITALS.clear()


def test_the_reused_fields_are_the_fields_drawn_in_place_for_each_symptom_list() -> None:
    one = _protocol(("headache", "Severe headache"), ("chest_pain", "Chest pain"))
    two = _protocol(("vision", "Blurred vision"))
    first = room.fresh_vitals_fields(VitalsForm(protocol=one))
    assert room.fresh_vitals_fields(VitalsForm(protocol=two)) == _drawn_in_place(two)
    again = room.fresh_vitals_fields(VitalsForm(protocol=one))  # from the cache
    assert first == again == _drawn_in_place(one)
    assert "Chest pain" in again and "Blurred vision" not in again


def test_the_reused_fields_follow_the_persons_zone() -> None:
    protocol = _protocol(("headache", "Severe headache"))
    with timezone.override("America/New_York"):
        new_york = room.fresh_vitals_fields(VitalsForm(protocol=protocol))
        assert new_york == _drawn_in_place(protocol)
    with timezone.override("Europe/Berlin"):
        berlin = room.fresh_vitals_fields(VitalsForm(protocol=protocol))
        assert berlin == _drawn_in_place(protocol)
    assert "America/New_York" in new_york and "Europe/Berlin" in berlin


def test_a_form_with_what_was_typed_is_drawn_in_place() -> None:
    protocol = _protocol(("headache", "Severe headache"))
    bound = VitalsForm({"systolic": "400"}, protocol=protocol)
    assert room.fresh_vitals_fields(bound) == ""
    assert room._FRESH_VITALS == {}


def _form(html: str) -> str:
    """The vitals form of an answer, without what differs between any two answers (the CSRF token,
    the form's fresh key, the saved message's time)."""
    found = re.search(r'<form id="entry-vitals".*?</form>', html, re.S)
    assert found is not None, html[:500]
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "csrf", found.group(0))
    text = re.sub(r'name="idempotency_key" value="[^"]+"', "key", text)
    return re.sub(r"Vitals saved at \d\d:\d\d", "saved", text)


def test_the_htmx_answer_shows_the_same_fresh_form_as_the_template_draws(
    world: Any, as_user: Any, ready: Ready, monkeypatch: Any
) -> None:
    session = dosed(world)
    theo = as_user("theo")
    vitals = reverse("care:vitals", kwargs={"pk": session.pk})
    hx = {"HTTP_HX_REQUEST": "true"}
    reused = [theo.post(vitals, {**READING, "idempotency_key": f"r{n}"}, **hx) for n in range(2)]
    assert len(room._FRESH_VITALS) == 1  # drawn once, reused by the second answer
    monkeypatch.setattr(room, "fresh_vitals_fields", lambda form: "")  # every form drawn in place
    in_place = theo.post(vitals, {**READING, "idempotency_key": "p"}, **hx)
    assert [r.status_code for r in (*reused, in_place)] == [200, 200, 200]
    expected = _form(in_place.content.decode())
    assert all(_form(r.content.decode()) == expected for r in reused)
    assert 'name="systolic"' in expected and 'value="128"' not in expected  # fresh: nothing typed
    assert protocol_of(session.course).hypertensive_emergency.symptoms[0].label in expected
