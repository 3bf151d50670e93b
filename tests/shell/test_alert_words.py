"""Alerts name their readings in words in the stored row, the printed PDFs and the mails (issue #12
item 3): "Respiratory rate 9 /min", never ``respiratory_rate 9``."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from tests.care.care_helpers import actor, started
from tests.readiness_helpers import make_ready

from kapstone.care import pdf, selectors
from kapstone.care.models import Alert
from kapstone.core.labels import internal_keys
from kapstone.measures.models import SafetyTask
from kapstone.measures.services import response_submit
from kapstone.measures.tasks import notify_safety_task

LOW = {"systolic": 128, "diastolic": 80, "heart_rate": 70, "spo2": 91, "respiratory_rate": 9}
_SHOWN = re.compile(rb"\(((?:\\.|[^\\)])*)\)\s*Tj")


def pdf_text(raw: bytes) -> str:
    """The text an uncompressed fpdf2 document draws: each ``(…) Tj`` string, unescaped."""
    parts = [re.sub(rb"\\(.)", rb"\1", found).decode("latin-1") for found in _SHOWN.findall(raw)]
    return " ".join(" ".join(parts).split())


def _raw_keys(text: str, *allowed: str) -> list[str]:
    return [key for key in internal_keys(text) if key not in allowed]


@pytest.mark.django_db
def test_the_stored_alert_and_both_pdfs_name_readings_in_words(world: Any, as_user: Any) -> None:
    make_ready(world)
    session = started(world)
    entered = as_user("theo").post(
        reverse("care:vitals", kwargs={"pk": session.pk}), LOW | {"idempotency_key": ""}
    )
    assert entered.status_code in (200, 302)

    stored = list(Alert.objects.filter(session=session).values_list("message", flat=True))
    assert stored and all(internal_keys(message) == [] for message in stored), stored
    assert any("Respiratory rate 9 /min" in message for message in stored), stored

    board = selectors.dosing_board(session)
    record = pdf_text(pdf.dosing_record(board, compress=False))
    protocol_id = board.protocol.id  # the protocol's versioned name, printed as its provenance
    assert "Respiratory rate 9 /min" in record and "Alerts" in record
    assert _raw_keys(record, protocol_id) == []

    summary = pdf_text(pdf.course_summary(selectors.course_overview(session.course), compress=False))
    assert "Course summary" in summary and _raw_keys(summary, protocol_id) == []


@pytest.mark.django_db
def test_an_old_alert_stored_with_raw_keys_prints_in_words(world: Any) -> None:
    make_ready(world)
    session = started(world)
    Alert.objects.create(session=session, code="low_spo2", severity="urgent", message="spo2 91 below 92")
    record = pdf_text(pdf.dosing_record(selectors.dosing_board(session), compress=False))
    assert "Oxygen saturation 91 %" in record or "SpO2 91 %" in record, record
    assert "spo2 91" not in record


@pytest.mark.django_db
def test_the_safety_flag_mail_reads_in_words(world: Any) -> None:
    theo = actor(world, "theo")
    answers = {f"phq9_{n}": 0 for n in range(1, 9)} | {"phq9_9": 2}
    response_submit(theo, world.clients["rowan"], "phq9", answers)
    task = SafetyTask.objects.get()
    mail.outbox.clear()
    assert notify_safety_task.call(task.pk) > 0
    for message in mail.outbox:
        assert _raw_keys(f"{message.subject}\n{message.body}") == [], message.body
