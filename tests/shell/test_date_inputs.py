"""Date and time inputs follow the organization's format, zone and clock, not the browser's locale
(issue #12 item 1): text inputs with a hint, read in the person's zone, refusals that name the
field by its label and keep what was typed."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.utils import timezone

from kapstone.clients.models import Client
from kapstone.core import localtime
from kapstone.core.datefields import LocalDateField, LocalDateTimeField, LocalTimeField

SRC = Path(__file__).resolve().parents[2] / "src" / "kapstone"
BROWSER_PICKERS = re.compile(r"DateInput|DateTimeInput|TimeInput|type=\"(?:date|time)\"|datetime-local")


class _Visit(forms.Form):
    day = LocalDateField(label="Visit day")
    moment = LocalDateTimeField(label="Dose given at", required=False)
    starts = LocalTimeField(label="Start time", required=False)


def _bound(data: dict[str, str], zone: str = "America/Denver", clock: str = localtime.H24) -> _Visit:
    token = localtime._clock.set(clock)
    try:
        with timezone.override(ZoneInfo(zone)):
            form = _Visit(data)
            form.is_valid()
            return form
    finally:
        localtime._clock.reset(token)


def test_no_form_or_template_uses_the_browsers_own_date_or_time_picker() -> None:
    offenders = [
        f"{path.relative_to(SRC)}:{number}"
        for path in sorted(SRC.rglob("*"))
        if path.suffix in {".py", ".html"} and "migrations" not in path.parts and path.name != "datefields.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if BROWSER_PICKERS.search(line)
    ]
    assert offenders == []


def test_a_time_is_read_in_the_persons_zone_on_their_clock() -> None:
    form = _bound({"day": "2 Dec 2026", "moment": "2 Dec 2026, 2:30 pm", "starts": "9:05 am"}, clock="12h")
    assert form.errors == {}
    assert form.cleaned_data["day"] == date(2026, 12, 2)
    assert form.cleaned_data["moment"] == datetime(2026, 12, 2, 21, 30, tzinfo=UTC)  # 14:30 MST
    assert form.cleaned_data["starts"] == time(9, 5)

    on_24 = _bound({"day": "02 december 2026", "moment": "2 Dec 2026 14:30"})
    assert on_24.cleaned_data["moment"] == datetime(2026, 12, 2, 21, 30, tzinfo=UTC)
    assert on_24.cleaned_data["day"] == date(2026, 12, 2)


def test_iso_stays_accepted_for_scripts_and_means_a_24_hour_time() -> None:
    form = _bound({"day": "2026-12-02", "moment": "2026-12-02T10:00"}, clock="12h")
    assert form.errors == {}
    assert form.cleaned_data["moment"] == datetime(2026, 12, 2, 17, 0, tzinfo=UTC)
    with_offset = _bound({"day": "2026-12-02", "moment": "2026-12-02 10:00:00+00:00"})
    assert with_offset.cleaned_data["moment"] == datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def test_a_refusal_names_the_field_by_its_label_and_says_how_to_type_it() -> None:
    form = _bound({"day": "12/02/2026", "moment": "2 Dec 2026, 2:30", "starts": "25:00"}, clock="12h")
    assert form.errors["day"] == [
        "Visit day — Enter a valid date. “12/02/2026” cannot be read. "
        "Type the date as day, month, year: 2 Dec 2026."
    ]
    assert form.errors["moment"] == [
        "Dose given at — Enter a valid date/time. “2:30” needs am or pm. "
        "Type the date and time as 2 Dec 2026, 2:30 pm (America/Denver time)."
    ]
    assert form.errors["starts"][0].startswith("Start time — Enter a valid time. “25:00” cannot be read.")


def test_the_input_shows_a_stored_moment_the_one_way_with_its_hint() -> None:
    moment = datetime(2026, 12, 2, 21, 30, tzinfo=UTC)
    token = localtime._clock.set(localtime.H12)
    try:
        with timezone.override(ZoneInfo("America/Denver")):
            html = str(
                _Visit(initial={"day": date(2026, 12, 2), "moment": moment})["moment"].as_field_group()
            )
            day_html = str(_Visit(initial={"day": date(2026, 12, 2)})["day"])
    finally:
        localtime._clock.reset(token)
    assert 'type="text"' in html and 'value="2 Dec 2026, 2:30 pm"' in html
    assert "2 Dec 2026, 2:30 pm (America/Denver time)" in html and "aria-describedby" in html
    assert 'value="2 Dec 2026"' in day_html


@pytest.mark.django_db
def test_a_date_of_birth_is_typed_the_clinics_way_and_a_bad_one_is_kept_and_named(
    world: Any, as_user: Any
) -> None:
    theo = as_user("theo")
    page = theo.get("/clients/new/").content.decode()
    assert 'name="date_of_birth"' in page and 'type="date"' not in page
    assert "Type the date as day, month, year: 2 Dec 2026." in page

    refused = theo.post(
        "/clients/new/", {"given_name": "Quinn", "family_name": "Madeup", "date_of_birth": "04/01/1990"}
    )
    assert refused.status_code == 200
    body = refused.content.decode()
    assert "Date of birth — Enter a valid date." in body and 'value="04/01/1990"' in body
    assert not Client.objects.filter(given_name="Quinn").exists()

    theo.post(
        "/clients/new/", {"given_name": "Quinn", "family_name": "Madeup", "date_of_birth": "1 Apr 1990"}
    )
    assert Client.objects.get(given_name="Quinn").date_of_birth == date(1990, 4, 1)
