"""The FHIR Observation export streams in constant memory: the peak Python allocation while a
client's bundle is written does not grow with the number of responses (tracemalloc)."""

from __future__ import annotations

import json
import tracemalloc
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tests.conftest import signed_in_client

from kapstone.measures.instruments import get_instrument
from kapstone.measures.models import Response
from kapstone.measures.scoring import score

pytestmark = pytest.mark.django_db
START = datetime(2024, 1, 1, tzinfo=UTC)


def _responses(world: Any, client: Any, count: int) -> None:
    instrument = get_instrument("phq9")
    answers = {f"phq9_{i}": i % 4 for i in range(1, 10)}
    result = score(instrument, answers).to_dict()
    Response.objects.bulk_create(
        Response(
            organization=world.org_a, client=client, instrument_id="phq9",
            instrument_version=instrument.version,
            answers=answers, result=result, total=result["total"], band=result["band"] or "",
            administered_at=START + timedelta(hours=n), source="clinician",
        )
        for n in range(count)
    )  # fmt: skip


def _peak_while_streaming(http: Any, client_id: int) -> tuple[int, int]:
    """(peak bytes allocated while the body is produced, bytes of body) — the body is not kept."""
    reply = http.get(f"/api/fhir/Patient/{client_id}/Observation")
    assert reply.status_code == 200 and reply.streaming
    size = 0
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        for chunk in reply.streaming_content:
            size += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, size


def test_the_observation_bundle_streams_in_constant_memory(world: Any) -> None:
    from kapstone.clients.models import CareTeamMember, Client

    small = world.clients["rowan"]
    big = Client.objects.create(organization=world.org_a, given_name="Big", family_name="Export")
    CareTeamMember.objects.create(client=big, user=world.users["theo"], team_role="therapist")
    _responses(world, small, 600)
    _responses(world, big, 6000)
    http = signed_in_client(world.users["theo"])
    small_peak, small_size = _peak_while_streaming(http, small.pk)
    big_peak, big_size = _peak_while_streaming(http, big.pk)
    assert big_size > 9 * small_size  # ten times the data went out ...
    assert big_peak < 1.5 * small_peak  # ... in the same memory (one chunk of rows at a time)
    assert big_peak < 8 * 1024 * 1024


def test_the_streamed_bundle_is_complete_json(world: Any) -> None:
    _responses(world, world.clients["rowan"], 250)
    reply = signed_in_client(world.users["theo"]).get(
        f"/api/fhir/Patient/{world.clients['rowan'].pk}/Observation"
    )
    bundle = json.loads(b"".join(reply.streaming_content))
    assert bundle["resourceType"] == "Bundle"
    assert sum(1 for e in bundle["entry"] if e["resource"]["code"]["coding"][0]["code"] == "44261-6") == 250


# Session + user + memberships (3); the client, read through the access scope (1); the responses, in
# one query when they fit in a chunk (1); the export's one audit row, which names their count (2).
# Past a chunk: their count (1) and the chunked read (1) besides.
EXPORT_QUERIES = {5: 7, 600: 9}


@pytest.mark.parametrize("history", [5, 600])
def test_the_export_takes_a_constant_number_of_queries_and_writes_one_audit_row(
    world: Any, history: int
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kapstone.audit.models import AuditEvent
    from query_counts import plus_audit_lock

    rowan = world.clients["rowan"]
    _responses(world, rowan, history)
    http = signed_in_client(world.users["theo"])
    http.get("/measures/caseload/")  # the session's first request settles its own writes
    newest = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    with CaptureQueriesContext(connection) as queries:
        reply = http.get(f"/api/fhir/Patient/{rowan.pk}/Observation")
        bundle = json.loads(b"".join(reply.streaming_content))
    assert reply.status_code == 200 and len(bundle["entry"]) >= history
    assert len(queries.captured_queries) == plus_audit_lock(EXPORT_QUERIES[history]), "\n".join(
        q["sql"][:100] for q in queries.captured_queries
    )
    # One row says who read which client's Observations and how many responses they came from.
    rows = list(AuditEvent.objects.filter(id__gt=newest).values("action", "client_id", "outcome", "detail"))
    assert rows == [
        {
            "action": "fhir.read",
            "client_id": rowan.pk,
            "outcome": "success",
            "detail": {"resource": "Observation", "responses": history},
        }
    ]
