"""Signed checkpoints of the audit chain's head (issue #17 item 5; security.md T7): deleting the
newest rows, which the chain alone cannot see, is caught by ``kapstone audit verify --checkpoint``."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from kapstone.audit.checkpoint import key_path, make_checkpoint
from kapstone.audit.models import AuditEvent
from kapstone.audit.services import compute_hash, record, verify_chain
from kapstone.core.actor import Actor

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _instance_dir(settings, tmp_path, monkeypatch):
    monkeypatch.delenv("KAPSTONE_AUDIT_CHECKPOINT_KEY_FILE", raising=False)
    settings.VAR_DIR = tmp_path


def events(world, count: int) -> list[AuditEvent]:
    actor = Actor(user=world.users["avery"], organization=world.org_a, roles=frozenset({"org_admin"}))
    return [record(actor, "test.event", object_type="thing", object_id=i) for i in range(count)]


def drop_triggers() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER audit_event_no_change ON audit_auditevent")
        else:
            cursor.execute("DROP TRIGGER audit_event_no_update")
            cursor.execute("DROP TRIGGER audit_event_no_delete")


def checkpoint_file(tmp_path) -> object:
    path = tmp_path / "checkpoint.json"
    call_command("audit", "checkpoint", "--out", str(path), stdout=io.StringIO())
    return path


def verify(path) -> str:
    out = io.StringIO()
    call_command("audit", "verify", "--checkpoint", str(path), stdout=out)
    return out.getvalue()


def test_a_checkpoint_is_signed_by_a_key_kept_outside_the_database_and_verifies(world, tmp_path):
    events(world, 5)
    path = checkpoint_file(tmp_path)
    data = json.loads(path.read_text())
    newest = AuditEvent.objects.order_by("-id").first()
    assert newest.action == "audit.checkpoint"  # the checkpoint covers the row recording it
    assert (data["head_id"], data["head_hash"]) == (newest.pk, newest.hash)
    assert key_path().exists() and key_path().stat().st_mode & 0o077 == 0
    events(world, 3)  # the log goes on after the checkpoint
    assert "including every event up to the checkpoint's head" in verify(path)
    assert "(3 since)" in verify(path)


def test_deleting_the_newest_rows_is_caught_only_with_a_checkpoint(world, tmp_path, battery):
    made = events(world, 8)
    path = checkpoint_file(tmp_path)
    drop_triggers()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id > %s", [made[4].pk])
    assert verify_chain().ok  # the chain alone cannot see it: what is left is a valid chain
    with pytest.raises(
        CommandError,
        match=rf"Rows are missing from organization {world.org_a.pk}'s chain: the checkpoint .*"
        "the newest rows were deleted",
    ):
        verify(path)
    battery(
        "T7",
        "deletion of the newest rows (4 of 9): detected with a signed checkpoint 1/1, by the chain alone 0/1",
    )


def test_deleting_the_newest_rows_then_appending_again_is_still_caught(world, tmp_path):
    made = events(world, 6)
    path = checkpoint_file(tmp_path)
    drop_triggers()
    with connection.cursor() as cursor:  # a forged tail: delete, then re-chain rows with the same ids
        cursor.execute("DELETE FROM audit_auditevent WHERE id > %s", [made[2].pk])
    events(world, 6)
    assert verify_chain().ok
    with pytest.raises(CommandError, match=r"(no longer exists|is not the row the checkpoint)"):
        verify(path)


@pytest.mark.parametrize("field", ["head_id", "head_hash", "signed_at"])
def test_an_edited_checkpoint_is_rejected(world, tmp_path, field):
    events(world, 3)
    path = checkpoint_file(tmp_path)
    data = json.loads(path.read_text())
    data[field] = (
        1 if field == "head_id" else ("0" * 64 if field == "head_hash" else "2020-01-01T00:00:00+00:00")
    )
    path.write_text(json.dumps(data))
    with pytest.raises(CommandError, match="signature does not verify"):
        verify(path)


def test_a_checkpoint_signed_by_another_key_is_rejected(world, tmp_path, settings):
    events(world, 2)
    foreign = make_checkpoint()  # signed by the key in tmp_path/keys
    key_path().unlink()  # this instance now has a different key
    make_checkpoint()
    path = tmp_path / "foreign.json"
    path.write_text(json.dumps(foreign))
    with pytest.raises(CommandError, match="signed by another key"):
        verify(path)


def test_the_chain_is_still_checked_with_a_checkpoint(world, tmp_path):
    made = events(world, 4)
    path = checkpoint_file(tmp_path)
    drop_triggers()
    AuditEvent.objects.filter(pk=made[1].pk).update(action="edited")
    with pytest.raises(CommandError, match=f"BROKEN at event {made[1].pk}"):
        verify(path)
    assert compute_hash  # the chain recipe is unchanged (imported from services)


def test_the_admin_downloads_a_checkpoint_and_others_get_404(world, as_user):
    events(world, 2)
    response = as_user("avery").get("/audit/checkpoint.json")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    row = AuditEvent.objects.get(pk=data["head_id"])
    assert row.action == "audit.checkpoint" and row.actor_id == world.users["avery"].pk
    for name in ("theo", "olive"):
        assert as_user(name).get("/audit/checkpoint.json").status_code == 404


def test_a_scheduled_job_can_mail_the_checkpoint(world, tmp_path):
    from django.core import mail

    events(world, 2)
    call_command("audit", "checkpoint", "--mail", "offsite@test.example", stdout=io.StringIO())
    (message,) = mail.outbox
    assert message.to == ["offsite@test.example"]
    name, content, _ = message.attachments[0]
    path = tmp_path / name
    path.write_text(content)
    assert "including every event up to the checkpoint's head" in verify(path)
