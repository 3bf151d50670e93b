"""The audit trail: complete rows for the acts that matter, a hash chain that names the first tampered
row, database triggers that refuse changes, and an org admin's filtered, org-scoped view and export."""

from __future__ import annotations

import csv
import io
import time
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client as HttpClient
from django.utils import timezone

from kapstone.accounts.models import Membership, Role, TOTPDevice, User
from kapstone.audit.models import AuditEvent
from kapstone.audit.services import record, verify_chain
from kapstone.audit.views import EXPORT_COLUMNS
from kapstone.core.actor import Actor

pytestmark = pytest.mark.django_db

T0 = datetime.fromtimestamp(int(time.time()) // 30 * 30 + 10, tz=UTC)
IP = "203.0.113.7"  # TEST-NET-3: a documentation address


def the_event(response: object, **filters: object) -> AuditEvent:
    """The one event written by this response (matched through its X-Request-Id header)."""
    request_id = response["X-Request-Id"]  # type: ignore[index]
    return AuditEvent.objects.get(request_id=request_id, **filters)


# --- Completeness -----------------------------------------------------------------------------------


def test_sign_in_failed_sign_in_and_sign_out_are_audited_with_who_where_and_which_request(world):
    theo = world.users["theo"]
    secret = pyotp.random_base32()
    TOTPDevice.objects.create(user=theo, secret=secret, confirmed_at=timezone.now())
    http = HttpClient(REMOTE_ADDR=IP)

    failed = http.post("/accounts/sign-in/", {"email": "theo@test.example", "password": "nope nope nope"})
    event = the_event(failed, action="auth.sign_in")
    assert (event.outcome, event.actor_email, event.source_ip) == ("failure", "theo@test.example", IP)
    assert event.actor_id is None  # nobody is authenticated by a wrong password
    assert event.detail == {"reason": "credentials", "known_device": False}
    assert event.organization_id == world.org_a.pk  # Larkspur's admin sees the attempt on its member

    with time_machine.travel(T0, tick=False):
        http.post("/accounts/sign-in/", {"email": "theo@test.example", "password": world.password})
        done = http.post("/accounts/sign-in/verify/", {"code": pyotp.TOTP(secret).now()})
    event = the_event(done, action="auth.sign_in")
    assert event.outcome == "success"
    assert (event.actor_id, event.actor_email) == (theo.pk, "theo@test.example")
    assert (event.organization_id, event.role) == (world.org_a.pk, "therapist")
    assert event.source_ip == IP
    assert event.detail == {"method": "password+totp"}

    out = http.post("/accounts/sign-out/")
    event = the_event(out, action="auth.sign_out")
    assert (event.actor_id, event.organization_id, event.role, event.outcome, event.source_ip) == (
        theo.pk,
        world.org_a.pk,
        "therapist",
        "success",
        IP,
    )


def test_client_read_write_and_denied_access_are_audited_with_the_client(world, as_user):
    rowan = world.clients["rowan"]
    theo = as_user("theo")

    read = theo.get(f"/clients/{rowan.pk}/", REMOTE_ADDR=IP)
    event = the_event(read, action="client.view")  # the page's sections audit their own reads too
    assert event.outcome == "success"
    assert (event.actor_id, event.actor_email) == (world.users["theo"].pk, "theo@test.example")
    assert (event.organization_id, event.role) == (world.org_a.pk, "therapist")
    assert (event.object_type, event.object_id, event.client_id) == ("client", str(rowan.pk), rowan.pk)
    assert event.source_ip == IP

    form = theo.get(f"/clients/{rowan.pk}/edit/").context["form"]
    data = {**{k: v or "" for k, v in form.initial.items() if k in form.fields}, "pronouns": "ze/zir"}
    write = theo.post(f"/clients/{rowan.pk}/edit/", data, REMOTE_ADDR=IP)
    assert write.status_code == 302
    # The write's own event (the edit form's scoped read of the record is audited too).
    [event] = [e for e in AuditEvent.objects.filter(request_id=write["X-Request-Id"]) if "fields" in e.detail]
    assert event.action == "client.edit"
    assert (event.outcome, event.actor_id, event.organization_id, event.role) == (
        "success",
        world.users["theo"].pk,
        world.org_a.pk,
        "therapist",
    )
    assert (event.object_type, event.object_id, event.client_id) == ("client", str(rowan.pk), rowan.pk)
    assert event.detail == {"fields": ["pronouns"]}
    assert event.source_ip == IP

    denied = as_user("tamsin").get(f"/clients/{rowan.pk}/", REMOTE_ADDR=IP)
    assert denied.status_code == 404
    event = the_event(denied)
    assert (event.action, event.outcome) == ("client.view", "denied")
    assert (event.actor_id, event.organization_id, event.role) == (
        world.users["tamsin"].pk,
        world.org_a.pk,
        "therapist",
    )
    assert (event.object_id, event.client_id, event.source_ip) == (str(rowan.pk), rowan.pk, IP)


def test_a_client_reading_their_own_portal_is_audited_in_their_clinic(world, as_user):
    rowan = world.clients["rowan"]
    response = as_user("rowan_portal").get("/portal/")
    event = the_event(response)
    assert (event.action, event.actor_id, event.client_id) == (
        "portal.view",
        world.users["rowan_portal"].pk,
        rowan.pk,
    )
    assert event.organization_id == world.org_a.pk  # so Larkspur's admin sees it with Rowan's other events


def test_a_request_id_sent_by_a_client_never_becomes_ours_without_a_trusted_proxy(world, as_user):
    theo = as_user("theo")
    rowan = world.clients["rowan"]
    forged = theo.get(f"/clients/{rowan.pk}/", HTTP_X_REQUEST_ID="proxy-7f3a9c21")
    assert forged["X-Request-Id"] != "proxy-7f3a9c21"
    event = the_event(forged, action="client.view")
    assert event.request_id == forged["X-Request-Id"] and len(event.request_id) == 32
    assert "upstream_request_id" not in event.detail
    twice = theo.get(f"/clients/{rowan.pk}/", HTTP_X_REQUEST_ID="proxy-7f3a9c21")
    assert twice["X-Request-Id"] != forged["X-Request-Id"]  # a reused id cannot merge two requests


def test_behind_a_trusted_proxy_its_request_id_is_kept_beside_ours(world, as_user, settings):
    settings.KAPSTONE_BEHIND_PROXY = True
    theo = as_user("theo")
    rowan = world.clients["rowan"]
    kept = theo.get(f"/clients/{rowan.pk}/", HTTP_X_REQUEST_ID="proxy-7f3a9c21")
    event = the_event(kept, action="client.view")
    assert event.request_id == kept["X-Request-Id"] != "proxy-7f3a9c21"
    assert event.detail["upstream_request_id"] == "proxy-7f3a9c21"
    malformed = theo.get(f"/clients/{rowan.pk}/", HTTP_X_REQUEST_ID="evil\r\nInjected: 1")
    assert "upstream_request_id" not in the_event(malformed, action="client.view").detail


# --- The chain and the command ------------------------------------------------------------------------


def make_events(world: object, count: int = 6) -> list[AuditEvent]:
    actor = Actor(
        user=world.users["avery"],
        organization=world.org_a,
        roles=frozenset({"org_admin"}),  # type: ignore[attr-defined]
        request_id="test-chain-0001",
        source_ip="192.0.2.1",
    )
    return [
        record(actor, "test.event", object_type="thing", object_id=i, detail={"n": i}) for i in range(count)
    ]


def drop_append_only_triggers() -> None:
    """What someone with raw database access could do. Rolled back with the test's transaction."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER audit_event_no_change ON audit_auditevent")
        else:
            cursor.execute("DROP TRIGGER audit_event_no_update")
            cursor.execute("DROP TRIGGER audit_event_no_delete")


def verify_command() -> str:
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def test_the_chain_verifies_and_the_command_says_so(world, as_user):
    make_events(world)
    as_user("theo").get(f"/clients/{world.clients['rowan'].pk}/")
    count = AuditEvent.objects.count()
    report = verify_chain()
    assert report.ok
    assert report.checked == count
    assert verify_command().strip() == f"Audit chain intact: {count} events verified."


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("action", "client.list"),
        ("detail", {"n": 999}),
        ("actor_email", "someone@else.example"),
        ("outcome", "success"),
        ("client_id", 4242),
    ],
)
def test_an_edit_behind_the_apps_back_is_named_as_the_first_broken_link(world, column, value, battery):
    events = make_events(world)
    target = events[2]
    drop_append_only_triggers()
    with connection.cursor() as cursor:
        raw = '{"n": 999}' if column == "detail" else value
        if column == "outcome":
            AuditEvent.objects.filter(pk=target.pk).update(outcome="denied")  # triggers are gone
        else:
            cursor.execute(f"UPDATE audit_auditevent SET {column} = %s WHERE id = %s", [raw, target.pk])  # noqa: S608
    with pytest.raises(CommandError) as excinfo:
        verify_command()
    message = str(excinfo.value)
    detected = message.startswith(
        f"Audit chain BROKEN at event {target.pk}: row content does not match its hash"
    )
    battery.tally("T7", edits=1, detected=int(detected))
    assert detected
    assert "2 events before it verified." in message


def test_an_edit_that_recomputes_its_own_hash_breaks_the_next_link(world):
    from kapstone.audit.services import _row_values, compute_hash

    events = make_events(world)
    target = events[2]
    drop_append_only_triggers()
    AuditEvent.objects.filter(pk=target.pk).update(action="client.list")
    forged = AuditEvent.objects.get(pk=target.pk)
    AuditEvent.objects.filter(pk=target.pk).update(hash=compute_hash(forged.prev_hash, _row_values(forged)))
    report = verify_chain()
    assert report.first_broken_id == events[3].pk
    assert report.reason.startswith("link to the previous row is broken")


def test_deleting_a_middle_row_is_caught(world):
    events = make_events(world)
    drop_append_only_triggers()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[3].pk])
    with pytest.raises(
        CommandError, match=rf"BROKEN at event {events[4].pk}: link to the previous row is broken"
    ):
        verify_command()


def test_the_triggers_refuse_update_and_delete_through_the_orm(world, battery):
    events = make_events(world, 3)
    target = events[1]
    attempts = [
        lambda: AuditEvent.objects.filter(pk=target.pk).update(action="tampered"),
        lambda: AuditEvent.objects.filter(pk=target.pk).delete(),
        lambda: AuditEvent.objects.all().delete(),
        lambda: AuditEvent.objects.get(pk=target.pk).delete(),
    ]
    for attempt in attempts:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        row = AuditEvent.objects.get(pk=target.pk)
        row.action = "tampered"
        row.save()
    tried = len(attempts) + 1  # each raised above, or the test failed there
    battery(
        "T7", f"app-level tamper attempts (ORM update, delete, bulk delete, save): blocked {tried}/{tried}"
    )
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE audit_auditevent SET action = 'x' WHERE id = %s", [target.pk])
    assert AuditEvent.objects.count() == 3
    assert AuditEvent.objects.get(pk=target.pk).action == "test.event"
    assert verify_chain().ok


# --- The org admin's audit page ---------------------------------------------------------------------------


@pytest.fixture
def history(world, as_user):
    """Events on two days in two organizations."""
    rowan, harper, oona = (world.clients[k] for k in ("rowan", "harper", "oona"))
    with time_machine.travel(T0 - timedelta(days=3), tick=False):
        as_user("theo").get(f"/clients/{rowan.pk}/")
    with time_machine.travel(T0, tick=False):
        as_user("tamsin").get(f"/clients/{rowan.pk}/")  # denied
        as_user("tamsin").get(f"/clients/{harper.pk}/")
        as_user("olive").get(f"/clients/{oona.pk}/")  # Otherbrook
        as_user("olive").get(f"/clients/{rowan.pk}/")  # Otherbrook, denied
    olga = User.objects.create_user("olga@test.example", world.password, full_name="Olga Test")
    Membership.objects.create(user=olga, organization=world.org_b, role=Role.ORG_ADMIN)
    world.users["olga"] = olga
    return world


def listed(response: object) -> list[AuditEvent]:
    assert response.status_code == 200  # type: ignore[attr-defined]
    return list(response.context["page"].object_list)  # type: ignore[attr-defined]


def test_the_audit_page_filters_by_date_person_action_outcome_and_client(history, as_user):
    world = history
    rowan = world.clients["rowan"]
    avery = as_user("avery")

    everything = listed(avery.get("/audit/"))
    assert everything
    assert {e.organization_id for e in everything} == {world.org_a.pk}

    day = T0.date().isoformat()
    today = listed(avery.get("/audit/", {"date_from": day, "date_to": day, "action": "client.view"}))
    assert sorted(e.actor_email for e in today) == ["tamsin@test.example", "tamsin@test.example"]
    earlier = (T0 - timedelta(days=3)).date().isoformat()
    then = listed(avery.get("/audit/", {"date_from": earlier, "date_to": earlier}))
    # That day Theo opened Rowan's record (the page's sections audit their own reads beside it).
    assert ("theo@test.example", "client.view") in [(e.actor_email, e.action) for e in then]
    assert {e.actor_email for e in then} == {"theo@test.example"}

    tamsin = listed(avery.get("/audit/", {"actor_email": "TAMSIN"}))
    assert tamsin and {e.actor_email for e in tamsin} == {"tamsin@test.example"}

    denied = listed(avery.get("/audit/", {"outcome": "denied"}))
    assert [(e.actor_email, e.action, e.client_id) for e in denied] == [
        ("tamsin@test.example", "client.view", rowan.pk)
    ]

    about_rowan = listed(avery.get("/audit/", {"client_id": rowan.pk, "action": "client.", "sort": "oldest"}))
    assert [(e.actor_email, e.outcome) for e in about_rowan] == [
        ("theo@test.example", "success"),
        ("tamsin@test.example", "denied"),
    ]

    reads = listed(avery.get("/audit/", {"action": "client."}))
    assert {e.action for e in reads} == {"client.view"}
    assert all(e.action.startswith("client.") for e in reads)


def test_a_bad_filter_value_does_not_widen_the_other_filters(history, as_user):
    rowan = history.clients["rowan"]
    rows = listed(
        as_user("avery").get("/audit/", {"client_id": rowan.pk, "date_from": "not-a-date", "sort": "hash"})
    )
    assert rows
    assert {e.client_id for e in rows} == {rowan.pk}


def test_an_org_admin_never_sees_another_organizations_events(history, as_user):
    world = history
    rowan = world.clients["rowan"]
    avery_rows = listed(as_user("avery").get("/audit/"))
    assert "olive@test.example" not in {e.actor_email for e in avery_rows}
    assert not [e for e in avery_rows if e.organization_id == world.org_b.pk]

    olga = as_user("olga")
    olga_rows = listed(olga.get("/audit/"))
    assert {e.organization_id for e in olga_rows} == {world.org_b.pk}
    assert {e.actor_email for e in olga_rows} <= {"olive@test.example", "olga@test.example"}
    # Filtering on a Larkspur client shows Olga only her own member's (denied) attempt, nothing of Larkspur.
    rows = listed(olga.get("/audit/", {"client_id": rowan.pk}))
    assert [(e.actor_email, e.outcome) for e in rows] == [("olive@test.example", "denied")]
    export = b"".join(olga.get("/audit/export.csv").streaming_content).decode()
    assert "theo@test.example" not in export
    assert "tamsin@test.example" not in export


@pytest.mark.parametrize("name", ["theo", "tamsin", "priya", "sam", "toby", "olive"])
def test_staff_who_are_not_org_admins_get_404_on_the_audit_log_and_export(world, as_user, name):
    http = as_user(name)
    assert http.get("/audit/").status_code == 404
    assert http.get("/audit/export.csv").status_code == 404
    denied = AuditEvent.objects.filter(actor_id=world.users[name].pk, outcome="denied").order_by("id")
    assert [e.action for e in denied] == ["audit.view", "audit.export"]
    assert not AuditEvent.objects.filter(action="audit.export", outcome="success").exists()


def test_a_portal_client_gets_404_on_the_audit_log(world, as_user):
    assert as_user("rowan_portal").get("/audit/").status_code == 404


def test_the_csv_export_streams_with_a_header_and_neutralises_formula_cells(world, as_user):
    actor = Actor(user=None, organization=world.org_a, request_id="csv-test-0001", source_ip="192.0.2.9")
    for i, payload in enumerate(
        ('=HYPERLINK("http://evil.example","x")', "+SUM(1,2)", "-2+3", "@cmd", "\tTAB")
    ):
        record(actor, "test.csv", actor_email=payload, object_type="thing", object_id=f"={i}+1")
    record(actor, "test.csv", actor_email="plain@test.example", object_type="thing", object_id="7")
    other = Actor(user=None, organization=world.org_b, request_id="csv-test-0002")
    record(other, "test.csv", actor_email="otherbrook@test.example", object_id="8")

    response = as_user("avery").get("/audit/export.csv", {"action": "test.csv"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="kapstone-audit.csv"'
    assert response["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    body = [dict(zip(EXPORT_COLUMNS, row, strict=True)) for row in rows[1:]]
    assert len(body) == 6  # Otherbrook's row is not there
    emails = [r["actor_email"] for r in body]
    assert '\'=HYPERLINK("http://evil.example","x")' in emails
    assert {"'+SUM(1,2)", "'-2+3", "'@cmd", "'\tTAB", "plain@test.example"} <= set(emails)
    for row in body:
        for column, cell in row.items():
            assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r"), (column, cell)
    assert {r["object_id"] for r in body} == {"'=0+1", "'=1+1", "'=2+1", "'=3+1", "'=4+1", "7"}
    # The export itself is audited, with its filter.
    event = AuditEvent.objects.get(action="audit.export")
    assert (event.actor_id, event.organization_id, event.outcome) == (
        world.users["avery"].pk,
        world.org_a.pk,
        "success",
    )
    assert event.detail == {"filter": "action=test.csv"}
