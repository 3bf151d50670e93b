"""`one_transaction`: on SQLite a hot POST commits its audited read and its write together, and the
rules of an audit trail still hold: a refused request keeps its audited denial, a failed one keeps
nothing. On PostgreSQL it leaves the view alone (the audit chain's lock would be held longer).

These run with real commits (transaction=True), since what is kept after a rollback is the point.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404, HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from kapstone.access.decorators import one_transaction
from kapstone.accounts.models import Organization
from kapstone.audit.models import AuditEvent
from kapstone.measures.models import Response

pytestmark = pytest.mark.django_db(transaction=True)
SQLITE = connection.vendor == "sqlite"

PHQ9_ALL_ONES = {f"phq9_{i}": "1" for i in range(1, 9)} | {"phq9_9": "0"}  # total 8


def _view(raise_after_write: type[Exception] | None) -> Any:
    @one_transaction
    def view(request: Any) -> HttpResponse:
        Organization.objects.create(name="Fictional Rollback Clinic", slug="fictional-rollback")
        if raise_after_write is not None:
            raise raise_after_write("refused")
        return HttpResponse("ok")

    return view


@pytest.mark.parametrize(
    ("raised", "kept"),
    [
        (None, True),  # success: committed
        (Http404, True),  # a 404 commits what came before it (an audited denial) and is raised again
        (PermissionDenied, True),
        # anything else: a failure, rolled back whole (on PostgreSQL the view's own atomic blocks do)
        (ValueError, not SQLITE),
    ],
)
def test_what_a_post_keeps(world: Any, raised: type[Exception] | None, kept: bool) -> None:
    request = RequestFactory().post("/x/")
    view = _view(raised)
    if raised is None:
        assert view(request).status_code == 200
    else:
        with pytest.raises(raised):
            view(request)
    assert Organization.objects.filter(slug="fictional-rollback").exists() is kept


def test_only_a_post_on_sqlite_runs_in_one_transaction(world: Any) -> None:
    @one_transaction
    def view(request: Any) -> HttpResponse:
        return HttpResponse(str(connection.in_atomic_block))

    assert view(RequestFactory().get("/x/")).content == b"False"
    assert view(RequestFactory().post("/x/")).content == str(SQLITE).encode()


def test_recording_a_measure_commits_once_with_its_audit_row(world: Any, as_user: Any) -> None:
    rowan = world.clients["rowan"]
    theo = as_user("theo")
    theo.get("/measures/caseload/")  # the session's first request settles its own writes
    with CaptureQueriesContext(connection) as queries:
        reply = theo.post(f"/measures/clients/{rowan.pk}/record/phq9/", PHQ9_ALL_ONES)
    assert reply.status_code == 302
    stored = Response.objects.get(client=rowan)
    assert stored.total == 8
    actions = list(AuditEvent.objects.filter(client_id=rowan.pk).values_list("action", flat=True))
    # One row: the client was found in scope once, and the write's row records that read too.
    assert actions.count("measure.record") == 1 and actions[-1] == "measure.record"
    if SQLITE:  # one BEGIN IMMEDIATE, one COMMIT (on PostgreSQL the view runs as two transactions)
        statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
        assert statements.count("BEGIN") == 1 and statements.count("COMMIT") == 1


def test_a_post_for_someone_elses_client_is_a_404_whose_denial_stays_audited(
    world: Any, as_user: Any
) -> None:
    oona = world.clients["oona"]  # Olive's client, in the other organization
    before = AuditEvent.objects.count()
    reply = as_user("theo").post(f"/measures/clients/{oona.pk}/record/phq9/", PHQ9_ALL_ONES)
    assert reply.status_code == 404
    assert not Response.objects.filter(client=oona).exists()
    new = AuditEvent.objects.order_by("id")[before:]
    assert [(e.action, e.outcome, e.client_id) for e in new] == [("measure.record", "denied", oona.pk)]
