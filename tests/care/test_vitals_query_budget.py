"""Recording a vitals reading in the dosing room costs the same number of queries however many
readings the session already holds: make bench's "record vitals" path, pinned, for the plain form
post (a redirect) and for the htmx post (the form, and the new timeline row, the charts and what is
due, out of band)."""

from __future__ import annotations

from typing import Any

import pytest
from care_helpers import actor, dosed, record_vitals
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapstone.care.models import VitalReading
from query_counts import plus_audit_lock, request_transaction
from readiness_helpers import Ready

pytestmark = pytest.mark.django_db

READING = {"systolic": 128, "diastolic": 82, "heart_rate": 76, "spo2": 97, "respiratory_rate": 15}
# Plain: session + user + memberships (3); the session, found once in the actor's scope, not read
# again and not authorized again by the service, its read covered by the write's audit row, with the
# first dose's time that the entry's time is checked against in the same statement (1); the baseline
# reading and rating only when an alert rule compares a measured value with them (the shipped
# protocols compare MOAA/S alone, which vitals do not carry: 0); the service's atomic (2); the
# reading and its audit row (3). On SQLite the request's own transaction around it
# (request_transaction). The htmx answer sends only what changed (the new timeline row, the charts,
# what is due), from 3 more reads: doses, readings, ratings. 30 earlier readings or 1: the same.
# (Issue #10 item 5: it was 17 and 29, the session authorized twice and the room redrawn; issue #18:
# 12 and 15, the baseline read for no rule; then 10 and 13, the first dose read apart from the
# session.)
QUERIES = {"plain": 9, "htmx": 12}


@pytest.mark.parametrize("kind", ["plain", "htmx"])
@pytest.mark.parametrize("earlier", [1, 30])
def test_a_vitals_reading_takes_a_constant_number_of_queries(
    world: Any, as_user: Any, ready: Ready, kind: str, earlier: int
) -> None:
    session = dosed(world)
    for n in range(earlier):
        record_vitals(actor(world, "theo"), session, dict(READING), key=f"earlier-{n}")
    theo = as_user("theo")
    theo.get(reverse("care:dosing", kwargs={"pk": session.pk}))  # the session's first request settles
    headers = {"HTTP_HX_REQUEST": "true"} if kind == "htmx" else {}
    with CaptureQueriesContext(connection) as queries:
        reply = theo.post(
            reverse("care:vitals", kwargs={"pk": session.pk}),
            {**READING, "idempotency_key": "budget"},
            **headers,
        )
    assert reply.status_code == (200 if kind == "htmx" else 302)
    assert VitalReading.objects.filter(session=session, phase="post_dose").count() == earlier + 1
    assert len(queries.captured_queries) == plus_audit_lock(QUERIES[kind]) + request_transaction(), "\n".join(
        q["sql"][:100] for q in queries.captured_queries
    )
