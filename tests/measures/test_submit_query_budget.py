"""Recording a questionnaire costs the same number of queries whatever the client's history: the
write path of make bench's "submit PHQ-9", pinned."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from measures_helpers import actor, phq9, phq9_post

from kapstone.measures.models import Response
from kapstone.measures.services import response_submit
from query_counts import plus_audit_lock, request_transaction

pytestmark = pytest.mark.django_db

# Session + user + memberships (3); the client, found once in the actor's scope: the write's one
# authorization, its read covered by the response's audit row (1); the clinic settings, read once for
# the form and the scoring (1); the service's own atomic (2); the response and its audit row (3); the
# measure schedule, the client's course, the outcome state and its update (4). On SQLite the
# request's own transaction around it (request_transaction). 40 earlier responses or 2: the same. (A
# client's first score, or one that changes the cohort counts, adds the state's insert or the cohort
# row's update: a constant too.) (Issue #18: it was 18 with two audit rows, the client's read audited
# apart, the scope checked again by the service and the settings read twice.)
SUBMIT_QUERIES = 14


@pytest.mark.parametrize("history", [2, 40])
def test_recording_a_phq9_takes_a_constant_number_of_queries(world: Any, as_user: Any, history: int) -> None:
    rowan = world.clients["rowan"]
    for _ in range(history):  # the same score each time: the cohort counts are settled
        response_submit(actor(world, "theo"), rowan, "phq9", phq9(base=1))
    theo = as_user("theo")
    theo.get("/measures/caseload/")  # the session's first request settles its own writes
    with CaptureQueriesContext(connection) as queries:
        reply = theo.post(f"/measures/clients/{rowan.pk}/record/phq9/", phq9_post(base=1))
    assert reply.status_code == 302
    assert Response.objects.filter(client=rowan).count() == history + 1
    assert len(queries.captured_queries) == plus_audit_lock(SUBMIT_QUERIES) + request_transaction(), (
        "\n".join(q["sql"][:100] for q in queries.captured_queries)
    )
