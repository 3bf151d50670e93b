"""One hash chain per organization (issue #18): each organization's rows link only to each other,
a break or a deleted tail is named with its organization, rows written before the change still
verify as the legacy chain, old single-head checkpoints still verify, and on PostgreSQL an append
for one organization never waits for another organization's open transaction."""

from __future__ import annotations

import base64
import io
import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, OperationalError, connection, transaction
from django.db.migrations.loader import MigrationLoader

from kapstone.audit import checkpoint as cp
from kapstone.audit.models import AuditEvent
from kapstone.audit.services import GENESIS, HASHED_FIELDS, compute_hash, record, verify_chain
from kapstone.core.actor import Actor

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _instance_dir(settings, tmp_path, monkeypatch):
    monkeypatch.delenv("KAPSTONE_AUDIT_CHECKPOINT_KEY_FILE", raising=False)
    settings.VAR_DIR = tmp_path


def actor_of(org: Any) -> Actor:
    return Actor(user=None, organization=org, request_id="test-chains")


def write(org: Any, count: int = 1, action: str = "test.event") -> list[AuditEvent]:
    return [record(actor_of(org), action, object_type="thing", object_id=i) for i in range(count)]


def drop_triggers() -> None:
    """What someone with raw database access could do. Rolled back with the test's transaction."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER audit_event_no_change ON audit_auditevent")
        else:
            cursor.execute("DROP TRIGGER audit_event_no_update")
            cursor.execute("DROP TRIGGER audit_event_no_delete")


def verify(path: Path | None = None) -> str:
    out = io.StringIO()
    args = ["--checkpoint", str(path)] if path else []
    call_command("audit", "verify", *args, stdout=out)
    return out.getvalue()


def checkpoint_file(tmp_path: Path, name: str = "checkpoint.json") -> Path:
    path = tmp_path / name
    call_command("audit", "checkpoint", "--out", str(path), stdout=io.StringIO())
    return path


def legacy_rows(count: int) -> list[AuditEvent]:
    """Rows as the single global chain wrote them before migration 0003: chain NULL, linked to the
    newest row of the whole table, hashed without a chain."""
    made = []
    for i in range(count):
        legacy = AuditEvent.objects.filter(chain__isnull=True)
        prev = legacy.order_by("-id").values_list("hash", flat=True).first() or GENESIS
        values: dict[str, Any] = {name: None for name in HASHED_FIELDS}
        values.update(
            at=datetime(2026, 11, 1, 9, 0, tzinfo=UTC) + timedelta(minutes=i),
            actor_email="",
            role="",
            action="legacy.event",
            object_type="thing",
            object_id=str(i),
            outcome="success",
            request_id="before-0003",
            detail={"n": i},
            organization_id=None if i % 2 else 41,
        )
        made.append(AuditEvent.objects.create(prev_hash=prev, hash=compute_hash(prev, values), **values))
    return made


# --- Independent chains ----------------------------------------------------------------------------------


def test_each_organization_has_its_own_chain_linked_only_within_it(world):
    a1, b1, a2, none1, b2, a3 = (
        *write(world.org_a),
        *write(world.org_b),
        *write(world.org_a),
        *write(None),
        *write(world.org_b),
        *write(world.org_a),
    )
    assert [r.chain for r in (a1, a2, a3)] == [world.org_a.pk] * 3
    assert [r.chain for r in (b1, b2)] == [world.org_b.pk] * 2
    assert none1.chain == 0  # events without an organization have a chain of their own
    first = AuditEvent.objects.filter(pk__in=[a1.pk, b1.pk, none1.pk]).values_list("prev_hash", flat=True)
    assert set(first) == {GENESIS}
    assert (a2.prev_hash, a3.prev_hash, b2.prev_hash) == (a1.hash, a2.hash, b1.hash)
    report = verify_chain()
    assert report.ok and report.checked == AuditEvent.objects.count() and report.chains == 3
    assert verify().strip() == f"Audit chain intact: {report.checked} events verified."


def test_an_edit_in_one_organizations_chain_is_named_with_that_organization(world):
    write(world.org_a, 3)
    b_rows = write(world.org_b, 3)
    write(world.org_a, 2)
    drop_triggers()
    AuditEvent.objects.filter(pk=b_rows[1].pk).update(action="edited")
    report = verify_chain()
    assert report.first_broken_id == b_rows[1].pk
    assert [(b.chain, b.event_id) for b in report.breaks] == [(world.org_b.pk, b_rows[1].pk)]
    with pytest.raises(CommandError) as excinfo:
        verify()
    assert str(excinfo.value).startswith(
        f"Audit chain BROKEN at event {b_rows[1].pk}: row content does not match its hash "
        f"(the row was edited), in organization {world.org_b.pk}'s chain."
    )


def test_breaks_in_two_chains_are_both_named(world):
    a_rows = write(world.org_a, 3)
    b_rows = write(world.org_b, 3)
    drop_triggers()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id IN (%s, %s)", [a_rows[1].pk, b_rows[0].pk])
    with pytest.raises(CommandError) as excinfo:
        verify()
    message = str(excinfo.value)
    assert message.startswith(f"Audit chain BROKEN at event {a_rows[2].pk}: link to the previous row")
    assert f"Also broken: organization {world.org_b.pk}'s chain at event {b_rows[1].pk}." in message


def test_a_row_moved_into_another_organizations_chain_is_caught(world):
    a_rows = write(world.org_a, 2)
    drop_triggers()
    # Re-filed under organization B with its hash recomputed: B's chain does not link to it, and
    # A's chain is left with a gap.
    row = AuditEvent.objects.get(pk=a_rows[1].pk)
    row.chain = world.org_b.pk
    values = {name: getattr(row, name) for name in HASHED_FIELDS} | {"chain": row.chain}
    forged = compute_hash(GENESIS, values)  # as the first row of B's chain
    AuditEvent.objects.filter(pk=row.pk).update(chain=row.chain, prev_hash=GENESIS, hash=forged)
    report = verify_chain()
    assert not report.ok
    assert report.breaks[0].reason == "row is filed in another organization's chain than its own"


# --- Checkpoints over every chain's head ----------------------------------------------------------------


def test_a_checkpoint_names_every_chains_head_under_a_signed_merkle_root(world, tmp_path):
    write(world.org_a, 3)
    write(world.org_b, 2)
    path = checkpoint_file(tmp_path)  # its own row goes to chain 0 (the command acts as the system)
    data = json.loads(path.read_text())
    assert data["kind"] == "kapstone.audit_checkpoint/2"
    heads = {h["chain"]: (h["id"], h["hash"]) for h in data["heads"]}
    for chain in (world.org_a.pk, world.org_b.pk, 0):
        newest = AuditEvent.objects.filter(chain=chain).order_by("-id").first()
        assert heads[chain] == (newest.pk, newest.hash)
    assert [h["chain"] for h in data["heads"]] == sorted(heads)
    assert data["merkle_root"] == cp.merkle_root(list(reversed(data["heads"])))  # order-free
    for index, head in enumerate(data["heads"]):  # each head can be proved alone against the root
        proof = cp.inclusion_proof(data["heads"], head["chain"])
        assert cp.verify_inclusion(head, index, len(data["heads"]), proof, data["merkle_root"])
        forged = head | {"hash": "f" * 64}
        assert not cp.verify_inclusion(forged, index, len(data["heads"]), proof, data["merkle_root"])
    write(world.org_b, 2)
    assert "including every event up to the checkpoint's heads (3 chain(s))" in verify(path)


def test_deleting_the_newest_rows_of_one_organization_is_caught_and_named(world, tmp_path, battery):
    write(world.org_a, 3)
    b_rows = write(world.org_b, 4)
    path = checkpoint_file(tmp_path)
    write(world.org_a, 2)  # other organizations go on writing after the checkpoint
    drop_triggers()
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM audit_auditevent WHERE chain = %s AND id > %s", [world.org_b.pk, b_rows[1].pk]
        )
    assert verify_chain().ok  # each chain alone is still valid: only the checkpoint can see it
    with pytest.raises(CommandError) as excinfo:
        verify(path)
    message = str(excinfo.value)
    assert message == (
        f"Rows are missing from organization {world.org_b.pk}'s chain: the checkpoint of "
        f"{json.loads(path.read_text())['signed_at']} names event {b_rows[3].pk} as its head, which no "
        f"longer exists (the newest rows were deleted; newest left: {b_rows[1].pk})."
    )
    assert f"organization {world.org_a.pk}" not in message
    battery(
        "T7",
        "deletion of one organization's newest rows (2 of 4) while another writes on: detected with a "
        "signed checkpoint of every chain's head and the organization named 1/1 (by the chains alone 0/1)",
    )


def test_a_rebuilt_tail_of_one_organization_is_caught(world, tmp_path):
    b_rows = write(world.org_b, 4)
    path = checkpoint_file(tmp_path)
    drop_triggers()
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM audit_auditevent WHERE chain = %s AND id > %s", [world.org_b.pk, b_rows[0].pk]
        )
    write(world.org_b, 5)  # the chain goes on, valid, past the old head's id
    assert verify_chain().ok
    with pytest.raises(CommandError, match=f"organization {world.org_b.pk}'s chain"):
        verify(path)


def test_a_checkpoint_whose_heads_were_edited_is_rejected(world, tmp_path):
    write(world.org_a, 2)
    write(world.org_b, 2)
    path = checkpoint_file(tmp_path)
    data = json.loads(path.read_text())
    dropped = data | {"heads": data["heads"][1:]}  # one organization's head left out of the file
    forged = data | {"heads": [h | {"id": h["id"] - 1} for h in data["heads"]]}  # older heads claimed
    for edited in (dropped, forged):
        path.write_text(json.dumps(edited))
        with pytest.raises(CommandError, match="its heads do not match its signed Merkle root"):
            verify(path)


def test_the_admins_checkpoint_carries_only_their_organizations_head_with_its_proof(world, as_user, tmp_path):
    write(world.org_b, 2)
    write(None, 1)
    response = as_user("avery").get("/audit/checkpoint.json")
    assert response.status_code == 200
    data = json.loads(response.content)
    (head,) = data["heads"]  # org B's and the system's heads (their activity) stay out of the file
    own = AuditEvent.objects.filter(chain=world.org_a.pk).order_by("-id").first()
    assert own.action == "audit.checkpoint" and own.actor_id == world.users["avery"].pk
    assert (data["scope"], head["chain"], head["id"], head["hash"]) == (
        world.org_a.pk,
        world.org_a.pk,
        own.pk,
        own.hash,
    )
    assert data["head_id"] == own.pk and data["tree_size"] == 3
    others = AuditEvent.objects.exclude(chain=world.org_a.pk).values_list("hash", flat=True)
    assert others and not any(other in response.content.decode() for other in others)
    path = tmp_path / "exported.json"
    path.write_bytes(response.content)
    assert f"including every event up to the checkpoint's head of organization {world.org_a.pk}" in verify(
        path
    )
    moved = data | {"heads": [head | {"chain": world.org_b.pk}]}  # claimed for another organization
    path.write_text(json.dumps(moved))
    with pytest.raises(CommandError, match="do not match its signed Merkle root"):
        verify(path)
    path.write_bytes(response.content)
    drop_triggers()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [own.pk])
    with pytest.raises(CommandError, match=f"Rows are missing from organization {world.org_a.pk}'s chain"):
        verify(path)


# --- Rows written before per-organization chains ---------------------------------------------------------


def test_rows_written_before_the_migration_still_verify_as_the_legacy_chain(world, tmp_path):
    old = legacy_rows(4)
    assert {r.chain for r in old} == {None}
    write(world.org_a, 2)
    write(world.org_b, 1)
    report = verify_chain()
    assert report.ok and report.chains == 3
    path = checkpoint_file(tmp_path)
    legacy = [h for h in json.loads(path.read_text())["heads"] if h["chain"] is None]
    assert legacy == [{"chain": None, "id": old[-1].pk, "hash": old[-1].hash}]
    assert "Audit chain intact" in verify(path)
    drop_triggers()
    AuditEvent.objects.filter(pk=old[1].pk).update(detail={"n": 99})
    with pytest.raises(CommandError, match=rf"BROKEN at event {old[1].pk}: .*in the legacy chain"):
        verify()


def v1_checkpoint(head: AuditEvent) -> dict[str, Any]:
    """A single-head checkpoint as Kapstone signed them before per-organization chains."""
    key = cp.signing_key()
    payload = {
        "kind": "kapstone.audit_checkpoint/1",
        "site": "https://kapstone.test.example",
        "head_id": head.pk,
        "head_hash": head.hash,
        "signed_at": "2026-11-01T10:00:00+00:00",
        "public_key": cp._public_b64(key.public_key()),
    }
    return payload | {"signature": base64.b64encode(key.sign(cp._canonical(payload))).decode("ascii")}


def test_an_old_single_head_checkpoint_still_verifies_and_still_catches_a_deleted_tail(world, tmp_path):
    old = legacy_rows(5)
    path = tmp_path / "v1.json"
    path.write_text(json.dumps(v1_checkpoint(old[-1])))
    write(world.org_a, 2)
    assert "Audit chain intact" in verify(path)
    drop_triggers()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id >= %s", [old[3].pk])
    write(world.org_a, 1)
    with pytest.raises(CommandError, match=rf"Rows are missing from the legacy chain.*event {old[4].pk}"):
        verify(path)


# --- Migration 0003 keeps the append-only triggers ----------------------------------------------------


@pytest.mark.django_db(transaction=True)  # SQLite's schema editor runs outside a transaction
def test_migration_0003_adds_the_column_in_place_without_rebuilding_the_table():
    loader = MigrationLoader(connection)
    migration = loader.get_migration("audit", "0003_per_organization_chains")
    state = loader.project_state(("audit", "0002_append_only_triggers"))
    with connection.schema_editor(collect_sql=True, atomic=False) as editor:
        migration.apply(state, editor, collect_sql=True)
    sql = " ".join(editor.collected_sql).lower()
    assert "alter table" in sql and "add column" in sql and "create index" in sql
    assert "create table" not in sql and "drop table" not in sql  # a rebuild would drop the triggers


def test_after_migration_0003_the_append_only_triggers_still_refuse_changes(world):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger"
                " WHERE tgrelid = 'audit_auditevent'::regclass AND NOT tgisinternal"
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_auditevent'"
            )
        triggers = {row[0] for row in cursor.fetchall()}
    assert triggers >= (
        {"audit_event_no_change", "audit_event_no_truncate"}
        if connection.vendor == "postgresql"
        else {"audit_event_no_update", "audit_event_no_delete"}
    )
    row = write(world.org_a)[0]
    for statement in (
        "UPDATE audit_auditevent SET chain = 7 WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [row.pk])
    assert AuditEvent.objects.get(pk=row.pk).chain == world.org_a.pk


# --- PostgreSQL: one lock per chain -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_on_postgres_one_organizations_open_append_does_not_hold_up_another(world):
    if connection.vendor != "postgresql":
        pytest.skip("the advisory locks are PostgreSQL's; SQLite has one writer")
    held, release = threading.Event(), threading.Event()
    failure: list[BaseException] = []

    def hold_org_a_chain() -> None:
        try:
            with transaction.atomic():  # its own connection: organization A's chain lock, held open
                record(actor_of(world.org_a), "test.held_open")
                held.set()
                release.wait(timeout=60)
        except BaseException as exc:  # reported to the test thread below
            failure.append(exc)
            held.set()
        finally:
            connection.close()

    holder = threading.Thread(target=hold_org_a_chain)
    holder.start()
    try:
        assert held.wait(timeout=60) and not failure
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '10s'")  # a bound, not a timing assertion
            other = record(actor_of(world.org_b), "test.other_org")  # completes while A's is held
        with (
            pytest.raises(OperationalError, match="lock timeout"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("SET LOCAL lock_timeout = '200ms'")
            record(actor_of(world.org_a), "test.second_writer")  # A's second writer waits
    finally:
        release.set()
        holder.join(timeout=60)
    assert not failure
    after = record(actor_of(world.org_a), "test.after_release")
    held_row = AuditEvent.objects.get(action="test.held_open")
    assert other.prev_hash == GENESIS and other.chain == world.org_b.pk
    assert after.prev_hash == held_row.hash  # A's chain stayed linear
    assert not AuditEvent.objects.filter(action="test.second_writer").exists()
    assert verify_chain().ok


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 9])
def test_every_heads_inclusion_proof_checks_against_the_root_and_no_other_head_does(size):
    heads = [{"chain": None if i == 0 else i, "id": 10 * i + 1, "hash": f"{i:064x}"} for i in range(size)]
    root = cp.merkle_root(heads)
    for index, head in enumerate(heads):
        proof = cp.inclusion_proof(heads, head["chain"])
        assert cp.verify_inclusion(head, index, size, proof, root)
        for other in range(size):  # the same proof names no other leaf, nor the same leaf elsewhere
            if other != index:
                assert not cp.verify_inclusion(heads[other], index, size, proof, root)
                assert not cp.verify_inclusion(head, other, size, proof, root)
