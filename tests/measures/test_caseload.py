"""The caseload: every client of mine, latest key scores with a trend, safety tasks, measures due."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from measures_helpers import actor, phq9

from kapstone.audit.models import AuditEvent
from kapstone.clients.models import CareTeamMember, Client
from kapstone.measures.models import MeasureSchedule, Response, SafetyTask
from kapstone.measures.selectors import caseload
from kapstone.measures.services import response_submit, schedule_create
from query_counts import AUDIT_LOCK_SQL, plus_audit_lock

pytestmark = pytest.mark.django_db

# Measured: session + user + memberships (3); clients, latest two responses per client and key
# instrument (one window query), open-task counts, due schedules (4); the audit row: previous hash
# and insert (2; in production BEGIN and COMMIT around them, here the test's own transaction).
# The side navigation's Dosing section: today's and live sessions (1, for whoever may record a dose).
# The same for 3 clients or 30.
CASELOAD_PAGE_QUERIES = 10


def _submit(world, client, instrument, answers, days_ago):
    when = timezone.now() - timedelta(days=days_ago)
    return response_submit(actor(world, "theo"), client, instrument, answers, administered_at=when)


def test_latest_scores_trend_safety_and_due_per_client(world, as_user):
    rowan = world.clients["rowan"]
    _submit(world, rowan, "phq9", phq9(base=2), 30)  # 16
    _submit(world, rowan, "phq9", phq9(base=1), 10)  # 8: down, better
    _submit(world, rowan, "gad7", {f"gad7_{i}": 1 for i in range(1, 8)}, 10)  # 7, no earlier score
    _submit(world, rowan, "phq9", phq9(base=1, item9=1), 1)  # 9: up, worse; opens a safety task
    schedule_create(actor(world, "theo"), rowan, "pcl5", kind="interval", interval_days=30)

    data = caseload(actor(world, "theo"))
    assert [i.id for i in data.instruments] == ["phq9", "gad7", "pcl5"]
    (row,) = data.rows
    assert row.client == rowan and row.open_tasks == 1 and row.due == ["PCL-5"]
    cell = row.cells["phq9"]
    assert (cell.total, cell.previous, cell.arrow, cell.trend) == (9, 8, "↑", "worse")
    assert (row.cells["gad7"].total, row.cells["gad7"].arrow) == (7, "")
    assert row.cells["pcl5"] is None

    page = as_user("sam").get("/measures/caseload/").content.decode()
    assert "Rowan Fictional" in page and "1 open" in page and "PCL-5" in page
    assert "up from 8, worse" in page
    assert AuditEvent.objects.filter(action="outcomes.caseload", actor_id=world.users["sam"].pk).exists()


def test_the_trend_follows_the_instruments_direction(world, settings):
    settings.KAPSTONE_CASELOAD_INSTRUMENTS = ("phq9", "who5", "nosuch")  # unknown ids are skipped
    rowan = world.clients["rowan"]
    _submit(world, rowan, "phq9", phq9(base=2), 20)
    _submit(world, rowan, "phq9", phq9(base=1), 10)  # lower: better for the PHQ-9
    _submit(world, rowan, "who5", {f"who5_{i}": 2 for i in range(1, 6)}, 20)
    _submit(world, rowan, "who5", {f"who5_{i}": 3 for i in range(1, 6)}, 10)  # higher: better for the WHO-5
    data = caseload(actor(world, "theo"))
    assert [i.id for i in data.instruments] == ["phq9", "who5"]
    cells = data.rows[0].cells
    assert (cells["phq9"].arrow, cells["phq9"].trend) == ("↓", "better")
    assert (cells["who5"].arrow, cells["who5"].trend) == ("↑", "better")


def test_only_my_clients_are_listed(world):
    assert [r.client for r in caseload(actor(world, "tamsin")).rows] == [world.clients["harper"]]
    assert [r.client for r in caseload(actor(world, "olive")).rows] == [world.clients["oona"]]
    assert caseload(actor(world, "avery")).rows == []


def _grow_caseload(world, count):
    """``count`` clients on Theo's team, each with three PHQ-9s, a GAD-7, a safety task and a due schedule."""
    theo = world.users["theo"]
    now = timezone.now()
    for n in range(count):
        client = Client.objects.create(
            organization=world.org_a, given_name=f"Client{n:02d}", family_name="Load"
        )
        CareTeamMember.objects.create(client=client, user=theo, team_role="therapist")
        for days, total in ((30, 15), (20, 10), (10, 12)):
            Response.objects.create(
                organization=world.org_a,
                client=client,
                instrument_id="phq9",
                instrument_version="1.0.0",
                answers={},
                result={},
                total=total,
                band="Moderate depression",
                administered_at=now - timedelta(days=days),
                source="clinician",
            )
        Response.objects.create(
            organization=world.org_a,
            client=client,
            instrument_id="gad7",
            instrument_version="1.0.0",
            answers={},
            result={},
            total=5,
            band="Mild anxiety",
            administered_at=now - timedelta(days=5),
            source="clinician",
        )
        SafetyTask.objects.create(
            organization=world.org_a,
            client=client,
            instrument_id="phq9",
            instrument_version="1.0.0",
            flag_id="phq9_item9",
            severity="safety",
            message="Item 9",
            source="clinician",
        )
        MeasureSchedule.objects.create(
            organization=world.org_a,
            client=client,
            instrument_id="gad7",
            kind="interval",
            interval_days=14,
            next_due_at=now - timedelta(days=1),
        )


@pytest.mark.parametrize("count", [3, 30])
def test_the_caseload_page_takes_a_constant_number_of_queries(
    world, as_user, django_assert_num_queries, count
):
    _grow_caseload(world, count)
    http = as_user("theo")
    http.get("/measures/caseload/")  # warm the session's idle-clock write out of the measurement
    with django_assert_num_queries(plus_audit_lock(CASELOAD_PAGE_QUERIES)):
        reply = http.get("/measures/caseload/")
    assert reply.status_code == 200
    page = reply.content.decode()
    assert page.count("1 open") == count and page.count("↑") == count


def test_the_selector_alone_is_four_queries_plus_the_audit_row(world):
    _grow_caseload(world, 12)
    theo = actor(world, "theo")
    with CaptureQueriesContext(connection) as queries:
        data = caseload(theo)
    assert len(data.rows) == 13  # and Rowan
    audit = [
        q
        for q in queries.captured_queries
        if "audit_auditevent" in q["sql"] or "SAVEPOINT" in q["sql"] or AUDIT_LOCK_SQL in q["sql"]
    ]
    assert len(queries.captured_queries) - len(audit) == 4


def test_the_org_admin_has_no_caseload_page(world, as_user):
    assert as_user("avery").get("/measures/caseload/").status_code == 404
    assert AuditEvent.objects.filter(action="outcomes.caseload", outcome="denied").exists()


# Session + user + memberships (3); client (1) and its read audit (2: previous hash, insert); responses,
# clinic settings, safety tasks, schedules, links (5); the dosing-session dates for the chart markers
# (1, from the care module's hook); the side navigation's Dosing section (1).
# The client header reads the open consent once for the touch fact and the readiness (core.memo).
CLIENT_PAGE_QUERIES = 23  # 10 of them the client header (readiness, intake, consent, course, tasks)


@pytest.mark.parametrize("count", [2, 40])
def test_the_client_measures_page_takes_a_constant_number_of_queries(
    world, as_user, django_assert_num_queries, count
):
    rowan = world.clients["rowan"]
    now = timezone.now()
    for n in range(count):
        for instrument in ("phq9", "gad7"):
            Response.objects.create(
                organization=world.org_a,
                client=rowan,
                instrument_id=instrument,
                instrument_version="1.0.0",
                answers={},
                result={"options": {}},
                total=n % 20,
                band="",
                administered_at=now - timedelta(days=n),
                source="clinician",
            )
    SafetyTask.objects.create(
        organization=world.org_a,
        client=rowan,
        instrument_id="phq9",
        instrument_version="1.0.0",
        flag_id="phq9_item9",
        severity="safety",
        message="Item 9",
        source="clinician",
    )
    http = as_user("theo")
    http.get("/dashboard/")
    with django_assert_num_queries(plus_audit_lock(CLIENT_PAGE_QUERIES)):
        reply = http.get(f"/measures/clients/{rowan.pk}/")
    assert reply.status_code == 200 and reply.content.decode().count('class="point"') == 2 * count
