"""The dosing room's requests do their work once (issue #10 item 5): a vitals post finds the session
once in the actor's scope and is audited once; its htmx answer carries only what changed; the
30-second poll answers 204 while nothing changed; a quick-entry line that would need a guess is
refused by the quick box, with what was typed kept."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from care_helpers import actor, dosed, record_vitals
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from kapstone.audit.models import AuditEvent
from kapstone.care.models import CareSession, VitalReading
from readiness_helpers import Ready

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
READING = {"systolic": 128, "diastolic": 82, "heart_rate": 76, "spo2": 97, "respiratory_rate": 15}


def url(name: str, pk: int) -> str:
    return reverse(f"care:{name}", kwargs={"pk": pk})


def _since(text: str) -> str:
    found = re.search(r'id="board-since" name="since" value="([^"]+)"', text)
    assert found is not None, text[:500]
    return found.group(1)


def test_a_vitals_post_is_authorized_once_and_audited_once(world: Any, as_user: Any, ready: Ready) -> None:
    session = dosed(world)
    http = as_user("theo")
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    reply = http.post(url("vitals", session.pk), {**READING, "idempotency_key": "k1"}, **HTMX)
    assert reply.status_code == 200
    written = list(AuditEvent.objects.filter(id__gt=last).values_list("action", "object_type", "client_id"))
    assert written == [("dosing.vitals", "vitalreading", session.client_id)]


@pytest.mark.parametrize("who", ["tamsin", "olive"])  # another therapist, another organization
def test_a_vitals_post_outside_the_care_team_is_a_404_and_its_denial_audited(
    world: Any, as_user: Any, ready: Ready, who: str
) -> None:
    session = dosed(world)
    reply = as_user(who).post(url("vitals", session.pk), {**READING, "idempotency_key": "k2"}, **HTMX)
    assert reply.status_code == 404
    assert not VitalReading.objects.filter(phase="post_dose").exists()
    denied = AuditEvent.objects.filter(outcome="denied", object_type="caresession", object_id=str(session.pk))
    assert denied.filter(actor_id=world.users[who].pk, client_id=session.client_id).count() == 1


def test_quick_entry_that_would_need_a_guess_is_refused_by_the_quick_box(
    world: Any, as_user: Any, ready: Ready
) -> None:
    session = dosed(world)
    http = as_user("theo")
    typed = {"quick": "150/90 9", "idempotency_key": "q9"}
    for headers in (HTMX, {}):
        reply = http.post(url("vitals", session.pk), typed, **headers)
        text = reply.content.decode()
        assert reply.status_code == 422
        assert "9 stands in the place of the heart rate" in text
        assert re.search(r'name="quick" value="150/90 9"[^>]*aria-invalid="true"', text)
    assert not VitalReading.objects.filter(phase="post_dose").exists()


def test_the_poll_answers_204_while_nothing_changed_and_else_only_what_changed(
    world: Any, as_user: Any, ready: Ready
) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        session = dosed(world, at=start)
        http = as_user("theo")
        room = http.get(url("dosing", session.pk)).content.decode()
        since = _since(room)
        assert 'hx-include="#board-since"' in room
        quiet = http.get(url("board", session.pk), {"since": since})
        assert quiet.status_code == 204 and quiet.content == b""
        record_vitals(actor(world, "toby"), session, READING)  # another tablet
        changed = http.get(url("board", session.pk), {"since": since})
        text = changed.content.decode()
        assert changed.status_code == 200
        assert 'id="timeline"' in text and "BP 128/82" in text and 'id="charts"' in text
        assert 'id="alerts"' not in text and 'id="status-line"' not in text
        since = _since(text)
        assert http.get(url("board", session.pk), {"since": since}).status_code == 204
    with time_machine.travel(start + timedelta(minutes=3), tick=False):  # time alone moved the clock
        later = http.get(url("board", session.pk), {"since": since})
        text = later.content.decode()
        assert later.status_code == 200 and "3 min" in text and 'id="status-line"' in text
        assert 'id="timeline"' not in text and 'id="charts"' not in text


def test_a_poll_without_a_known_stamp_gets_the_whole_board(world: Any, as_user: Any, ready: Ready) -> None:
    session = dosed(world)
    for since in ("", "not-a-stamp", "1.2.3"):
        text = as_user("theo").get(url("board", session.pk), {"since": since}).content.decode()
        assert all(f'id="{part}"' in text for part in ("timeline", "charts", "alerts", "status-line", "due"))


def test_a_change_of_the_session_itself_reloads_the_room(world: Any, as_user: Any, ready: Ready) -> None:
    session = dosed(world)
    http = as_user("theo")
    since = _since(http.get(url("dosing", session.pk)).content.decode())
    CareSession.objects.filter(pk=session.pk).update(version=F("version") + 1)  # e.g. discharged elsewhere
    reply = http.get(url("board", session.pk), {"since": since})
    assert reply.status_code == 204 and reply["HX-Refresh"] == "true"


def test_a_quiet_poll_writes_no_audit_row_and_one_that_shows_the_board_writes_one(
    world: Any, as_user: Any, ready: Ready
) -> None:
    session = dosed(world)
    http = as_user("theo")
    with time_machine.travel(timezone.now(), tick=False):
        since = _since(http.get(url("dosing", session.pk)).content.decode())
        last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
        assert http.get(url("board", session.pk), {"since": since}).status_code == 204
        assert not AuditEvent.objects.filter(id__gt=last).exists()
        assert http.get(url("board", session.pk)).status_code == 200
    shown = AuditEvent.objects.filter(id__gt=last)
    assert list(shown.values_list("action", "object_type", "client_id")) == [
        ("dosing.record", "caresession", session.client_id)
    ]


def test_an_acknowledged_alert_changes_its_timeline_row_and_the_alerts_only(
    world: Any, as_user: Any, ready: Ready
) -> None:
    session = dosed(world)
    _, alerts, _ = record_vitals(actor(world, "theo"), session, READING | {"systolic": 192})
    reply = as_user("priya").post(
        reverse("care:alert_acknowledge", kwargs={"pk": alerts[0].pk}),
        {"action_taken": "Rechecked at 5 min: 170/95; prescriber told."},
        **HTMX,
    )
    text = reply.content.decode()
    assert reply.status_code == 200 and text.lstrip().startswith('<section id="alerts"')
    assert f'<li id="tl-alert-{alerts[0].pk}" class="tl tl-alert alert-done" hx-swap-oob="true">' in text
    assert "acknowledged by" in text and 'id="timeline"' not in text and 'id="charts"' not in text


def test_the_htmx_answer_charts_every_reading_as_a_titled_point(
    world: Any, as_user: Any, ready: Ready
) -> None:
    session = dosed(world)
    record_vitals(actor(world, "theo"), session, {**READING, "systolic": 131}, key="earlier")
    reply = as_user("theo").post(url("vitals", session.pk), {**READING, "idempotency_key": "k3"}, **HTMX)
    page = reply.content.decode()
    point = r'<circle class="point s-sbp" cx="\d+\.\d" cy="\d+\.\d" r="4\.5">'
    points = re.findall(point + r"<title>Systolic (\d+) at [^<]+</title></circle>", page)
    assert sorted(points) == ["122", "128", "131"]  # the pre-dose baseline, the earlier and the new one
    assert page.count('<circle class="point s-spo2"') == 3 and 'id="charts"' in page


def test_a_vitals_post_timed_before_the_first_dose_is_refused_by_the_time_field(
    world: Any, as_user: Any, ready: Ready
) -> None:
    """The first dose's time comes with the session's lookup (issue #18); the rule is the same."""
    session = dosed(world)
    before = (timezone.now() - timedelta(hours=2)).replace(microsecond=0).isoformat()
    reply = as_user("theo").post(
        url("vitals", session.pk), {**READING, "taken_at": before, "idempotency_key": "early"}, **HTMX
    )
    assert reply.status_code == 422
    assert "is before the first dose at" in reply.content.decode()
    assert not VitalReading.objects.filter(session=session, phase="post_dose").exists()
