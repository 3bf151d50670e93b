"""KAPSTONE_READ_AUDIT_COMMIT: with ``relaxed``, a transaction that writes only a read's audit row
commits without waiting for the disk (PostgreSQL synchronous_commit=off for that transaction, SQLite
synchronous=NORMAL for that commit); a clinical write, its audit row and a denial always commit
durably; ``durable`` (the default) relaxes nothing. The level is read back from the connection inside
each transaction, as the row is saved. Real commits (transaction=True): the test's own transaction
would otherwise hold every row.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.db import connection
from django.db.models.signals import post_save
from django.test import override_settings

from kapstone.audit import checkpoint as checkpoint_module
from kapstone.audit.models import AuditEvent
from kapstone.audit.services import verify_chain
from kapstone.measures.models import Response

pytestmark = pytest.mark.django_db(transaction=True)
SQLITE = connection.vendor == "sqlite"
PHQ9_ALL_ONES = {f"phq9_{i}": "1" for i in range(1, 9)} | {"phq9_9": "0"}


def _level() -> str:
    """The commit setting of the transaction now running: 'durable' or 'relaxed'."""
    assert connection.in_atomic_block, "read inside the transaction that commits the row"
    return _connection_level()


def _connection_level() -> str:
    """The connection's commit setting as it stands: 'durable' or 'relaxed'."""
    with connection.cursor() as cursor:
        if SQLITE:
            cursor.execute("PRAGMA synchronous")
            return "durable" if int(cursor.fetchone()[0]) >= 2 else "relaxed"
        cursor.execute("SHOW synchronous_commit")
        return "durable" if cursor.fetchone()[0] != "off" else "relaxed"


@pytest.fixture
def levels() -> Iterator[list[tuple[str, str, str]]]:
    """(model, action or '', commit setting) for every audit row and response saved."""
    seen: list[tuple[str, str, str]] = []

    def on_save(sender: type, instance: Any, **kwargs: Any) -> None:
        seen.append((sender.__name__, getattr(instance, "action", ""), _level()))

    post_save.connect(on_save, sender=AuditEvent, dispatch_uid="read-audit-commit")
    post_save.connect(on_save, sender=Response, dispatch_uid="read-audit-commit-response")
    yield seen
    post_save.disconnect(sender=AuditEvent, dispatch_uid="read-audit-commit")
    post_save.disconnect(sender=Response, dispatch_uid="read-audit-commit-response")


@override_settings(KAPSTONE_READ_AUDIT_COMMIT="relaxed")
def test_relaxed_relaxes_the_read_and_never_the_write(world: Any, as_user: Any, levels: list[Any]) -> None:
    rowan = world.clients["rowan"]
    theo = as_user("theo")
    theo.get("/measures/caseload/")  # the session's first request settles its own writes
    levels.clear()
    assert theo.get(f"/measures/clients/{rowan.pk}/").status_code == 200
    reads = [level for model, action, level in levels if model == "AuditEvent"]
    assert reads and set(reads) == {"relaxed"}
    assert _connection_level() == "durable"  # put back after the read's commit

    levels.clear()
    assert theo.post(f"/measures/clients/{rowan.pk}/record/phq9/", PHQ9_ALL_ONES).status_code == 302
    assert Response.objects.filter(client=rowan, total=8).exists()
    # The clinical row and the write's audit row commit durably; on PostgreSQL the view finds the
    # client in its own transaction first (a read-only one, which may be relaxed).
    writes = [(model, action, level) for model, action, level in levels if action != "measure.view"]
    assert ("Response", "", "durable") in writes
    assert ("AuditEvent", "measure.record", "durable") in writes
    assert _connection_level() == "durable"
    assert verify_chain().ok


def test_durable_by_default_relaxes_nothing(
    world: Any, as_user: Any, levels: list[Any], settings: Any
) -> None:
    assert settings.KAPSTONE_READ_AUDIT_COMMIT == "durable"
    rowan = world.clients["rowan"]
    theo = as_user("theo")
    assert theo.get(f"/measures/clients/{rowan.pk}/").status_code == 200
    assert theo.post(f"/measures/clients/{rowan.pk}/record/phq9/", PHQ9_ALL_ONES).status_code == 302
    assert levels and {level for _, _, level in levels} == {"durable"}


@override_settings(KAPSTONE_READ_AUDIT_COMMIT="relaxed")
def test_a_denial_stays_durable_in_relaxed_mode(world: Any, as_user: Any, levels: list[Any]) -> None:
    oona = world.clients["oona"]  # the other organization's client
    assert as_user("theo").get(f"/measures/clients/{oona.pk}/").status_code == 404
    denials = AuditEvent.objects.filter(client_id=oona.pk, outcome="denied")
    assert denials.count() == 1
    assert ("AuditEvent", denials.get().action, "durable") in levels
    assert all(level == "durable" for _, _, level in levels)


@override_settings(KAPSTONE_READ_AUDIT_COMMIT="relaxed")
def test_a_checkpoint_is_signed_inside_a_durable_transaction(
    world: Any, as_user: Any, tmp_path: Any, monkeypatch: Any
) -> None:
    """The file is only written after a durable commit that follows the heads it signs, so a read
    committed relaxed just before cannot be lost while a checkpoint vouches for it."""
    monkeypatch.setenv("KAPSTONE_AUDIT_CHECKPOINT_KEY_FILE", str(tmp_path / "key.pem"))
    as_user("theo").get(f"/measures/clients/{world.clients['rowan'].pk}/")  # a relaxed read row
    newest_read = AuditEvent.objects.order_by("-id").first()
    assert newest_read is not None
    make = checkpoint_module.make_checkpoint
    seen: list[str] = []

    def spying(scope: int | None = None) -> dict[str, Any]:
        seen.append(_level())  # fails unless inside a transaction
        return make(scope)

    monkeypatch.setattr("kapstone.audit.management.commands.audit.make_checkpoint", spying)
    out = tmp_path / "checkpoint.json"
    call_command("audit", "checkpoint", "--out", str(out))
    assert seen == ["durable"]
    signed = checkpoint_module.load(out)
    assert int(signed["head_id"]) > newest_read.pk  # it covers the relaxed read and its own row


@pytest.mark.django_db(transaction=False)  # rolled back: the append-only triggers come back
def test_a_lost_unsigned_tail_still_verifies(
    world: Any, as_user: Any, tmp_path: Any, monkeypatch: Any
) -> None:
    """What a power failure can take in relaxed mode: the newest read rows, a suffix of the log (the
    WAL is one sequence, and a durable commit flushes every earlier one). The chains without them
    still verify, and so does the last checkpoint, which only signed rows made durable before it."""
    monkeypatch.setenv("KAPSTONE_AUDIT_CHECKPOINT_KEY_FILE", str(tmp_path / "key.pem"))
    theo = as_user("theo")
    theo.get(f"/measures/clients/{world.clients['rowan'].pk}/")
    signed = tmp_path / "checkpoint.json"
    call_command("audit", "checkpoint", "--out", str(signed))
    last_signed = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    for _ in range(3):
        theo.get(f"/measures/clients/{world.clients['rowan'].pk}/")
    assert AuditEvent.objects.filter(id__gt=last_signed).count() >= 3
    with connection.cursor() as cursor:  # the rows the disk never got
        if SQLITE:
            cursor.execute("DROP TRIGGER audit_event_no_delete")
        else:
            cursor.execute("DROP TRIGGER audit_event_no_change ON audit_auditevent")
    AuditEvent.objects.filter(id__gt=last_signed).delete()
    assert verify_chain().ok
    out = io.StringIO()
    call_command("audit", "verify", "--checkpoint", str(signed), stdout=out)  # raises when broken
    assert "BROKEN" not in out.getvalue()


def test_kapstone_check_says_when_reads_are_relaxed(settings: Any) -> None:
    ids = {message.id for message in run_checks()}
    assert "kapstone.I001" not in ids
    settings.KAPSTONE_READ_AUDIT_COMMIT = "relaxed"
    assert "kapstone.I001" in {message.id for message in run_checks()}
