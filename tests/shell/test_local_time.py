"""Local time and one format: the organization's zone, a person's override, labelled times, and
the 12-hour clock by setting (issue #12 item 3)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.utils import timezone

from kapstone.audit.models import AuditEvent
from kapstone.core import localtime

MOMENT = datetime(2026, 12, 2, 21, 33, 13, 213577, tzinfo=UTC)


def test_the_one_format_names_the_zone_in_24_and_12_hour_clocks() -> None:
    with timezone.override(ZoneInfo("America/Denver")):
        assert localtime.format_datetime(MOMENT, localtime.H24) == "2 Dec 2026, 14:33 MST"
        assert localtime.format_datetime(MOMENT, localtime.H12) == "2 Dec 2026, 2:33 pm MST"
        assert localtime.format_time(MOMENT.replace(hour=7), localtime.H12) == "12:33 am MST"
        assert localtime.format_date(MOMENT) == "2 Dec 2026"
    assert localtime.format_date(date(2027, 1, 5)) == "5 Jan 2027"
    assert localtime.format_datetime(None) == ""


def test_machine_exports_keep_iso_in_utc_whatever_the_zone() -> None:
    with timezone.override(ZoneInfo("Asia/Tokyo")):
        assert localtime.iso(MOMENT) == "2026-12-02T21:33:13.213577+00:00"


def test_a_zone_that_does_not_exist_is_refused_by_name() -> None:
    with pytest.raises(ValidationError, match="“Mars/Olympus” is not a time zone name"):
        localtime.validate_time_zone("Mars/Olympus")


def test_templates_render_raw_datetimes_in_the_one_format_too() -> None:
    """A value shown without a filter no longer reads 2026-12-02 21:33:13.213577+00:00."""
    with timezone.override(ZoneInfo("Europe/Berlin")):
        out = Template("{{ m }}|{{ m|when }}|{{ m|day }}|{{ m|clock }}").render(Context({"m": MOMENT}))
    assert out == "2 Dec 2026, 22:33 CET|2 Dec 2026, 22:33 CET|2 Dec 2026|22:33 CET"


@pytest.mark.django_db
def test_pages_show_times_in_the_organizations_zone_and_a_persons_override(world: Any, as_user: Any) -> None:
    world.org_a.time_zone, world.org_a.clock = "America/Denver", "12h"
    world.org_a.save()
    theo = as_user("theo")
    page = theo.get("/preferences/").content.decode()
    assert " MST</strong>" in page and ("am MST" in page or "pm MST" in page)

    response = theo.post("/preferences/", {"time_zone": "Europe/Berlin", "clock": "24h"})
    assert response.status_code == 302
    world.users["theo"].refresh_from_db()
    assert (world.users["theo"].time_zone, world.users["theo"].clock) == ("Europe/Berlin", "24h")
    page = theo.get("/preferences/").content.decode()
    assert " CET</strong>" in page and "am CET" not in page and "pm CET" not in page
    event = AuditEvent.objects.get(action="time_settings.edit")
    assert event.detail["after"] == {"time_zone": "Europe/Berlin", "clock": "24h"}

    # Blank again: back to the organization's zone.
    theo.post("/preferences/", {"time_zone": "", "clock": ""})
    assert " MST</strong>" in theo.get("/preferences/").content.decode()


@pytest.mark.django_db
def test_only_the_admin_sets_the_organizations_zone(world: Any, as_user: Any) -> None:
    denver = {"time_zone": "America/Denver", "clock": "12h"}
    response = as_user("avery").post("/organization/settings/", denver)
    assert response.status_code == 302
    world.org_a.refresh_from_db()
    assert (world.org_a.time_zone, world.org_a.clock) == ("America/Denver", "12h")

    for other in ("theo", "priya", "olive"):
        refused = as_user(other).post("/organization/settings/", {"time_zone": "Asia/Tokyo", "clock": "24h"})
        assert refused.status_code == 404
    world.org_a.refresh_from_db()
    world.org_b.refresh_from_db()
    assert world.org_a.time_zone == "America/Denver" and world.org_b.time_zone == "UTC"


@pytest.mark.django_db
def test_an_unknown_zone_is_refused_and_nothing_changes(world: Any, as_user: Any) -> None:
    response = as_user("avery").post("/organization/settings/", {"time_zone": "Mars/Olympus", "clock": "24h"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    world.org_a.refresh_from_db()
    assert world.org_a.time_zone == "UTC"


@pytest.mark.django_db
def test_the_portal_shows_the_clients_organization_zone(world: Any, as_user: Any) -> None:
    from kapstone.core.localtime import preferences_for

    world.org_a.time_zone = "America/Denver"
    world.org_a.save()
    record = world.users["rowan_portal"].client_record
    assert preferences_for(world.users["rowan_portal"], record.organization) == ("America/Denver", "24h")


@pytest.mark.django_db
def test_the_audit_export_keeps_iso_times_in_utc_whatever_the_admins_zone(world: Any, as_user: Any) -> None:
    import csv
    import io

    world.org_a.time_zone = "America/Denver"
    world.org_a.save()
    http = as_user("avery")
    http.get("/audit/")
    export = b"".join(http.get("/audit/export.csv").streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(export)))
    assert rows and all(row["at"].endswith("+00:00") and "T" in row["at"] for row in rows)
