"""A dosing-room entry is found, checked and written in one transaction, and its htmx answer (the
form, the new rows, the charts and what is due) is drawn after COMMIT: on SQLite the writer lock is
free again while the answer renders, so the next clinician's entry does not wait for it (issue #18:
an htmx vitals post held the lock for its whole answer, about twice its write).

Real commits (transaction=True): the order of BEGIN, the write, COMMIT and the answer's reads is the
point."""

from __future__ import annotations

from typing import Any

import pytest
from care_helpers import dosed
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapstone.audit.models import AuditEvent
from kapstone.care.models import VitalReading
from readiness_helpers import Ready

pytestmark = pytest.mark.django_db(transaction=True)
READING = {"systolic": 128, "diastolic": 82, "heart_rate": 76, "spo2": 97, "respiratory_rate": 15}


def _verb(sql: str) -> str:
    return sql.split()[0].upper()


def test_an_htmx_vitals_entry_commits_before_its_answer_reads_the_board(
    world: Any, as_user: Any, ready: Ready
) -> None:
    session = dosed(world)
    theo = as_user("theo")
    theo.get(reverse("care:dosing", kwargs={"pk": session.pk}))  # the session's first request settles
    with CaptureQueriesContext(connection) as queries:
        reply = theo.post(
            reverse("care:vitals", kwargs={"pk": session.pk}),
            {**READING, "idempotency_key": "after-commit"},
            HTTP_HX_REQUEST="true",
        )
    assert reply.status_code == 200
    assert "Vitals saved at" in reply.content.decode()
    row = VitalReading.objects.get(session=session, idempotency_key="after-commit")
    assert (row.systolic, row.spo2) == (128, 97)
    assert AuditEvent.objects.filter(action="dosing.vitals", object_id=str(row.pk)).count() == 1

    sql = [q["sql"] for q in queries.captured_queries]
    insert = next(i for i, s in enumerate(sql) if s.startswith('INSERT INTO "care_vitalreading"'))
    commit = next(i for i in range(insert, len(sql)) if _verb(sql[i]) == "COMMIT")
    board_reads = [i for i, s in enumerate(sql) if i > insert and 'FROM "care_vitalreading"' in s]
    assert board_reads, "the answer redraws the charts from the session's readings"
    assert all(i > commit for i in board_reads), "\n".join(s[:90] for s in sql)
    if connection.vendor == "sqlite":  # the check and the write: one BEGIN IMMEDIATE, one COMMIT
        verbs = [_verb(s) for s in sql]
        assert verbs.count("BEGIN") == 1 and verbs.count("COMMIT") == 1
        lookup = next(i for i, s in enumerate(sql) if 'FROM "care_caresession"' in s)
        assert verbs.index("BEGIN") < lookup < insert, "the session is found inside the write's transaction"


def test_a_refused_htmx_entry_keeps_what_was_typed_and_writes_nothing(
    world: Any, as_user: Any, ready: Ready
) -> None:
    session = dosed(world)
    theo = as_user("theo")
    reply = theo.post(
        reverse("care:vitals", kwargs={"pk": session.pk}),
        {**READING, "spo2": 170, "idempotency_key": "refused"},
        HTTP_HX_REQUEST="true",
    )
    assert reply.status_code == 422
    assert 'value="170"' in reply.content.decode()
    assert not VitalReading.objects.filter(session=session, idempotency_key="refused").exists()
