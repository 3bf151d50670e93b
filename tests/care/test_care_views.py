"""Care pages over HTTP: the dosing room's htmx entries, refusals with the field named, 409 on a stale
edit, idempotent retries, access, and the printable PDFs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from care_helpers import (
    GO_VITALS,
    actor,
    dosed,
    dosing_session,
    go_checklist,
    monitored,
    protocol,
    record_vitals,
    start_course,
    started,
)
from django.urls import reverse
from django.utils import timezone

from kapstone.care import pdf, selectors, services
from kapstone.care.models import Alert, CareSession, DoseRecord, VitalReading
from readiness_helpers import Ready

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name: str, pk: int) -> str:
    return reverse(f"care:{name}", kwargs={"pk": pk})


def vitals_post(**values: Any) -> dict[str, Any]:
    return {
        "systolic": 132,
        "diastolic": 84,
        "heart_rate": 76,
        "spo2": 98,
        "respiratory_rate": 14,
        "idempotency_key": "",
        **values,
    }


def test_client_page_shows_the_course_at_a_glance(world: Any, as_user: Any, ready: Ready) -> None:
    start_course(world)
    page = as_user("theo").get(reverse("clients:detail", kwargs={"pk": world.clients["rowan"].pk}))
    text = page.content.decode()
    assert page.status_code == 200 and "KAP course" in text
    assert "preparation session required before the first dose (0 of 2 done)" in text


def test_dosing_room_before_the_dose_shows_the_pre_dose_checklist(
    world: Any, as_user: Any, ready: Ready
) -> None:
    session = dosing_session(world, start_course(world))
    page = as_user("theo").get(url("dosing", session.pk))
    text = page.content.decode()
    assert page.status_code == 200 and "Pre-dose checklist" in text
    assert "Supportive touch agreed: hand on the shoulder" in text
    assert 'src="/static/kapstone/dosing.js"' in text and "<script>" not in text and 'style="' not in text


def test_no_go_over_http_names_what_is_missing(world: Any, as_user: Any, ready: Ready) -> None:
    session = dosing_session(world, start_course(world))
    response = as_user("theo").post(
        url("dosing_start", session.pk),
        {"version": session.version, "systolic": 120, "diastolic": 80, "heart_rate": 70, "spo2": 98},
    )
    text = response.content.decode()
    assert response.status_code == 200 and "NO GO" in text
    assert "time of last food not recorded" in text and "same-day medication review not recorded" in text
    session.refresh_from_db()
    assert session.status == "scheduled"


def test_go_over_http_starts_and_redirects_to_the_room(world: Any, as_user: Any, ready: Ready) -> None:
    session = dosing_session(world, start_course(world))
    checks = go_checklist()
    when = {
        k: getattr(checks, k).strftime("%Y-%m-%dT%H:%M")
        for k in ("planned_dose_at", "last_food_at", "last_liquid_at")
    }
    form = {
        **when,
        **GO_VITALS,
        "moaas": checks.moaas,
        "mood_result": checks.mood_result,
        "weight_kg": checks.weight_kg,
    }
    form.update(version=session.version, medications_reviewed="on", attest_escort_present="on")
    form.update(current_psychotic_symptoms="no", current_manic_symptoms="no")
    response = as_user("theo").post(url("dosing_start", session.pk), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    page = as_user("theo").get(response["Location"])
    assert "Give the dose" in page.content.decode()


def test_impossible_vitals_come_back_422_with_the_field_named_and_typed_values_kept(
    world: Any, as_user: Any, ready: Ready
) -> None:
    session = dosed(world)
    response = as_user("theo").post(url("vitals", session.pk), vitals_post(systolic=400), **HTMX)
    text = response.content.decode()
    assert response.status_code == 422
    assert "Systolic blood pressure 400 mmHg is impossible" in text
    assert re.search(r'name="systolic"[^>]*value="400"', text)
    assert not VitalReading.objects.filter(phase="post_dose").exists()


def test_quick_entry_saves_a_reading_in_one_line(world: Any, as_user: Any, ready: Ready) -> None:
    session = dosed(world)
    response = as_user("theo").post(
        url("vitals", session.pk), {"quick": "150/90 88 97 16", "idempotency_key": "q1"}, **HTMX
    )
    assert response.status_code == 200
    reading = VitalReading.objects.get(phase="post_dose")
    assert (
        reading.systolic,
        reading.diastolic,
        reading.heart_rate,
        reading.spo2,
        reading.respiratory_rate,
    ) == (
        150,
        90,
        88,
        97,
        16,
    )
    bad = as_user("theo").post(url("vitals", session.pk), {"quick": "150 over 90"}, **HTMX)
    assert bad.status_code == 422 and "Write BP as 150/90" in bad.content.decode()


def test_htmx_vitals_swap_the_form_and_update_timeline_chart_and_alerts(
    world: Any, as_user: Any, ready: Ready
) -> None:
    session = dosed(world)
    response = as_user("theo").post(
        url("vitals", session.pk), vitals_post(systolic=188, idempotency_key="a"), **HTMX
    )
    text = response.content.decode()
    reading = VitalReading.objects.get(phase="post_dose")
    alert = Alert.objects.get()
    assert response.status_code == 200
    assert text.lstrip().startswith("<form") and 'id="entry-vitals"' in text
    # Only what changed: the new timeline rows on top of the list (the reading and its alert), not
    # the whole timeline again; the charts, what is due and the alerts; not the status line.
    assert 'hx-swap-oob="afterbegin:#timeline-list"' in text and 'id="timeline"' not in text
    assert f'id="tl-vitals-{reading.pk}"' in text and f'id="tl-alert-{alert.pk}"' in text
    assert 'id="charts"' in text and "BP 188/84" in text and 'id="due"' in text
    assert 'id="alerts"' in text and "Systolic at or above 180 mmHg" in text
    assert 'id="status-line"' not in text
    assert "Vitals saved at" in text and "1 alert(s) opened" in text


def test_a_retried_vitals_post_after_a_dropped_connection_is_saved_once(
    world: Any, as_user: Any, ready: Ready
) -> None:
    session = dosed(world)
    http = as_user("theo")
    first = http.post(url("vitals", session.pk), vitals_post(idempotency_key="tablet-1"), **HTMX)
    retry = http.post(
        url("vitals", session.pk), vitals_post(idempotency_key="tablet-1"), HTTP_X_KAPSTONE_RETRY="1", **HTMX
    )
    assert first.status_code == retry.status_code == 200
    assert "(already saved)" in retry.content.decode()
    assert VitalReading.objects.filter(phase="post_dose").count() == 1


def test_plain_form_posts_work_without_javascript(world: Any, as_user: Any, ready: Ready) -> None:
    session = dosed(world)
    response = as_user("toby").post(url("vitals", session.pk), vitals_post())
    assert response.status_code == 302 and response["Location"] == url("dosing", session.pk)
    refused = as_user("toby").post(url("vitals", session.pk), vitals_post(spo2=30))
    assert (
        refused.status_code == 422
        and "Oxygen saturation (SpO2) 30 % is impossible" in refused.content.decode()
    )


def test_a_dose_in_the_wrong_unit_is_refused_over_http(world: Any, as_user: Any, ready: Ready) -> None:
    session = started(world)
    response = as_user("theo").post(
        url("dose", session.pk),
        {
            "amount_mg": "0.15",
            "unit": "g",
            "route": "sublingual",
            "tier": "psycholytic",
            "idempotency_key": "d",
        },
        **HTMX,
    )
    assert response.status_code == 422 and "dose unit must be mg" in response.content.decode()
    assert not DoseRecord.objects.exists()
    ok = as_user("theo").post(
        url("dose", session.pk),
        {
            "amount_mg": "150",
            "unit": "mg",
            "route": "sublingual",
            "tier": "psycholytic",
            "idempotency_key": "d",
        },
        **HTMX,
    )
    assert ok.status_code == 200 and ok["HX-Refresh"] == "true"


def test_alert_acknowledgement_needs_an_action(world: Any, as_user: Any, ready: Ready) -> None:
    session = dosed(world)
    record_vitals(actor(world, "theo"), session, vitals_post(systolic=192))
    alert = Alert.objects.get()
    http = as_user("priya")
    refused = http.post(url("alert_acknowledge", alert.pk), {"action_taken": ""}, **HTMX)
    assert refused.status_code == 422 and "the action is required" in refused.content.decode()
    done = http.post(
        url("alert_acknowledge", alert.pk),
        {"action_taken": "Labetalol per protocol; 160/92 at 10 min"},
        **HTMX,
    )
    assert done.status_code == 200 and "Alerts to acknowledge" not in done.content.decode()
    alert.refresh_from_db()
    assert alert.acknowledged_by == world.users["priya"] and alert.action_taken.startswith("Labetalol")
    assert (
        as_user("tamsin").post(url("alert_acknowledge", alert.pk), {"action_taken": "x"}).status_code == 404
    )


def test_discharge_over_http_blocked_then_allowed(world: Any, as_user: Any, ready: Ready) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        session = dosed(world, at=start)
    protocol_ = services.protocol_of(session.course)
    form = {f"item_{i.id}": "on" for i in protocol_.discharge.items}
    form |= {"left_with": "Ana (sister)", "aftercare_given": "on", "version": session.version}
    with time_machine.travel(start + timedelta(minutes=30), tick=False):
        early = as_user("theo").post(url("discharge", session.pk), form, **HTMX)
    assert early.status_code == 422 and "discharge not before" in early.content.decode()
    monitored(world, session, discharge_after=121)
    with time_machine.travel(start + timedelta(minutes=121), tick=False):
        done = as_user("theo").post(url("discharge", session.pk), form, **HTMX)
    assert done.status_code == 200 and done["HX-Redirect"] == url("dosing", session.pk)
    session.refresh_from_db()
    assert session.status == "completed"


def test_stale_preparation_edit_gets_409_with_both_versions(world: Any, as_user: Any) -> None:
    course = start_course(world)
    session = services.session_schedule(actor(world, "theo"), course, "preparation", timezone.now())
    services.preparation_record(
        actor(world, "toby"),
        session,
        entry=services.PreparationInput(intentions="Toby's words"),
        expected_version=1,
    )
    response = as_user("theo").post(
        url("session_edit", session.pk), {"intentions": "Theo's words", "version": 1}
    )
    text = response.content.decode()
    assert response.status_code == 409
    assert "Saved version (version 2)" in text and "Toby&#x27;s words" in text and "Theo&#x27;s words" in text


def test_stale_course_edit_gets_409(world: Any, as_user: Any) -> None:
    course = start_course(world)
    services.course_update(actor(world, "priya"), course, goals="Priya", expected_version=1)
    response = as_user("theo").post(
        url("course_edit", course.pk), {"status": "active", "goals": "Theo", "version": 1}
    )
    assert response.status_code == 409 and "Saved version (version 2)" in response.content.decode()


def test_scheduling_dosing_without_readiness_shows_what_is_missing(world: Any, as_user: Any) -> None:
    course = start_course(world)
    response = as_user("theo").post(
        url("session_new", course.pk),
        {
            "kind": "dosing",
            "scheduled_at": (timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
            "location": "clinic",
        },
    )
    text = response.content.decode()
    assert response.status_code == 200 and "Not ready for dosing" in text and "KAP consent not signed" in text
    assert not CareSession.objects.filter(kind="dosing").exists()


@pytest.mark.parametrize("who", ["tamsin", "olive", "avery"])
def test_not_on_the_care_team_gets_404_for_every_course_page(
    world: Any, as_user: Any, ready: Ready, who: str
) -> None:
    session = dosed(world)
    http = as_user(who)
    for name in ("course", "course_edit", "session_new", "course_pdf"):
        assert http.get(url(name, session.course_id)).status_code == 404, name
    for name in ("session", "dosing", "board", "session_pdf"):
        assert http.get(url(name, session.pk)).status_code == 404, name
    assert http.post(url("vitals", session.pk), vitals_post()).status_code == 404
    assert not VitalReading.objects.filter(phase="post_dose").exists()


def test_the_supervisor_reads_and_prints_but_does_not_record(world: Any, as_user: Any, ready: Ready) -> None:
    session = dosed(world)
    sam = as_user("sam")
    assert sam.get(url("session", session.pk)).status_code == 200
    assert sam.get(url("session_pdf", session.pk)).status_code == 200
    assert sam.get(url("dosing", session.pk)).status_code == 404
    assert sam.post(url("vitals", session.pk), vitals_post()).status_code == 404


def test_protocol_pages(world: Any, as_user: Any) -> None:
    base = protocol(world)
    listing = as_user("avery").get(reverse("care:protocols")).content.decode()
    assert "sublingual_kap_series" in listing and "Shipped template" in listing
    assert as_user("theo").get(url("protocol_new_version", base.pk)).status_code == 404
    text = base.text.replace('version = "1.0.0"', 'version = "2"', 1)
    saved = as_user("priya").post(
        url("protocol_new_version", base.pk), {"text": text, "note": "Clinic review"}
    )
    assert saved.status_code == 302
    bad = as_user("priya").post(url("protocol_new_version", base.pk), {"text": "format = 2", "note": "x"})
    assert bad.status_code == 200 and "format" in bad.content.decode()


def test_the_dosing_record_and_course_summary_print_as_pdf(world: Any, as_user: Any, ready: Ready) -> None:
    session = dosed(world)
    record_vitals(actor(world, "theo"), session, vitals_post(systolic=184))
    response = as_user("priya").get(url("session_pdf", session.pk))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    raw = pdf.dosing_record(selectors.dosing_board(session), compress=False)
    for expected in (
        b"Dosing session record - Rowan Fictional",
        b"150 mg",
        b"184/84",
        b"Systolic at or above 180",
        b"Pre-dose check",
        b"sublingual_kap_series 1.0.0",
    ):
        assert expected in raw, expected
    summary = pdf.course_summary(selectors.course_overview(session.course), compress=False)
    assert summary.startswith(b"%PDF") and b"Course summary - Rowan Fictional" in summary
    assert as_user("theo").get(url("course_pdf", session.course_id))["Content-Type"] == "application/pdf"


def test_kapstone_protocols_lists_the_templates(world: Any) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kapstone.cli", "protocols", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=_env(),
    )
    assert result.returncode == 0, result.stderr
    rows = {row["id"]: row for row in json.loads(result.stdout)}
    assert (
        rows["im_kap"]["route"] == "im" and rows["im_kap"]["version"] == "1.0.0" and rows["im_kap"]["sources"]
    )
    table = subprocess.run(
        [sys.executable, "-m", "kapstone.cli", "protocols"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=_env(),
    )
    assert "ROUTE" in table.stdout and "esketamine_spravato" in table.stdout and "shipped" in table.stdout


def _env() -> dict[str, str]:
    import os

    env = {
        k: v for k, v in os.environ.items() if not k.startswith("KAPSTONE_") and k != "DJANGO_SETTINGS_MODULE"
    }
    env["KAPSTONE_ENV"] = "test"
    return env


def test_the_dashboard_shows_live_dosing_sessions_to_the_care_team_only(
    world: Any, as_user: Any, ready: Ready
) -> None:
    session = dosed(world)
    record_vitals(actor(world, "theo"), session, vitals_post(systolic=190))
    text = as_user("theo").get(reverse("core:dashboard")).content.decode()
    assert "Dosing in progress" in text and "1 open alert(s)" in text and url("dosing", session.pk) in text
    sam = as_user("sam").get(reverse("core:dashboard")).content.decode()
    assert (
        "Dosing in progress" in sam and url("session", session.pk) in sam
    )  # the supervisor reads, not records
    assert "Rowan" not in as_user("tamsin").get(reverse("core:dashboard")).content.decode()


def test_the_supervisor_acknowledges_an_alert_from_the_session_page(
    world: Any, as_user: Any, ready: Ready
) -> None:
    session = dosed(world)
    record_vitals(actor(world, "theo"), session, vitals_post(systolic=190))
    alert = Alert.objects.get()
    sam = as_user("sam")
    page = sam.get(url("session", session.pk)).content.decode()
    assert "Alerts to acknowledge" in page and url("alert_acknowledge", alert.pk) in page
    refused = sam.post(url("alert_acknowledge", alert.pk), {"action_taken": ""})
    assert refused.status_code == 302 and refused["Location"] == url("session", session.pk)
    done = sam.post(url("alert_acknowledge", alert.pk), {"action_taken": "Present in the room; BP rechecked"})
    assert done.status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == world.users["sam"]
