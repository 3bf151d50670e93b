"""A signed note cannot change by any road: form, API, service, raw ORM and the database itself.

Roads tried (security.md T9): the editor form (GET and POST), the sign form again, the API (PUT,
sign, DELETE), the services, ``QuerySet.update()``, ``Model.save()``, ``delete()``, raw SQL; and on
addenda ``update()``, ``save()``, ``delete()``. The hash verifies, and a tamper made after lifting
the trigger is caught by ``note_verify``. There is no Django admin in this project.
"""

from __future__ import annotations

import contextlib
import importlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from notes_helpers import DAP, actor, draft, editor_post, signed_note

from kapstone.notes import hashing, services
from kapstone.notes.models import Addendum, ProgressNote

pytestmark = pytest.mark.django_db

TRIGGERS = importlib.import_module("kapstone.notes.migrations.0002_signed_note_triggers")


def snapshot(note: ProgressNote) -> dict[str, Any]:
    return ProgressNote.objects.filter(pk=note.pk).values().get()


@contextlib.contextmanager
def refused_by_the_database() -> Iterator[None]:
    """The statement fails in the database (SQLite: IntegrityError from RAISE(ABORT); PostgreSQL:
    IntegrityError from the trigger's restrict_violation). A savepoint keeps the test usable."""
    with pytest.raises(DatabaseError) as caught, transaction.atomic():
        yield
    message = str(caught.value)
    assert "signed notes are immutable" in message or "addenda are append-only" in message, message


@contextlib.contextmanager
def triggers_lifted() -> Iterator[None]:
    """Drop the note triggers (as an attacker with DDL rights could), restoring them afterwards."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks pending: ALTER may run
            cursor.execute("ALTER TABLE notes_progressnote DISABLE TRIGGER USER")
            cursor.execute("ALTER TABLE notes_addendum DISABLE TRIGGER USER")
        else:
            for sql in TRIGGERS.SQLITE_REVERSE:
                cursor.execute(sql)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("ALTER TABLE notes_progressnote ENABLE TRIGGER USER")
                cursor.execute("ALTER TABLE notes_addendum ENABLE TRIGGER USER")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            else:
                for sql in TRIGGERS.SQLITE:
                    cursor.execute(sql)


# --- Through the pages ------------------------------------------------------------------------------------


def test_the_editor_refuses_a_signed_note_with_409_and_keeps_what_was_typed(world, as_user):
    note = signed_note(world)
    before = snapshot(note)
    theo = as_user("theo")
    assert theo.get(f"/notes/{note.pk}/edit/").status_code == 409
    attempt = {"data": "Rewritten history.", "assessment": "x", "plan": "y"}
    for action in ("save", "sign"):
        response = theo.post(
            f"/notes/{note.pk}/edit/", editor_post(note, attempt, version=note.version, action=action)
        )
        assert response.status_code == 409
        body = response.content.decode()
        assert "This note is signed and can no longer be changed. Add an addendum instead." in body
        assert "Rewritten history." in body  # shown back, to copy into an addendum: nothing lost
    assert theo.post(f"/notes/{note.pk}/sign/", {"version": note.version}).status_code == 409
    assert snapshot(note) == before


def test_people_who_are_not_the_author_get_404_not_a_way_in(world, as_user):
    note = signed_note(world)
    before = snapshot(note)
    for name in ("priya", "sam", "toby", "tamsin", "avery", "olive"):
        http = as_user(name)
        data = editor_post(note, {"data": "x"}, version=note.version)
        assert http.post(f"/notes/{note.pk}/edit/", data).status_code == 404, name
        assert http.post(f"/notes/{note.pk}/sign/", {"version": note.version}).status_code == 404, name
    assert snapshot(note) == before


# --- Through the API --------------------------------------------------------------------------------------


def test_the_api_refuses_every_change_to_a_signed_note(world, as_user):
    note = signed_note(world)
    before = snapshot(note)
    theo = as_user("theo")
    etag = theo.get(f"/api/notes/{note.pk}")["ETag"]
    body = json.dumps({"sections": {"data": "Rewritten", "assessment": "x", "plan": "y"}})
    put = theo.put(f"/api/notes/{note.pk}", body, content_type="application/json", headers={"If-Match": etag})
    assert put.status_code == 409 and "Add an addendum" in json.loads(put.content)["detail"]
    assert theo.post(f"/api/notes/{note.pk}/sign", headers={"If-Match": etag}).status_code == 409
    assert theo.delete(f"/api/notes/{note.pk}").status_code == 405
    assert (
        theo.patch(
            f"/api/notes/{note.pk}", body, content_type="application/json", headers={"If-Match": etag}
        ).status_code
        == 405
    )
    assert snapshot(note) == before


# --- Through the services ---------------------------------------------------------------------------------


def test_the_services_raise_for_a_signed_note(world):
    note = signed_note(world)
    before = snapshot(note)
    theo = actor(world, "theo")
    with pytest.raises(services.NoteLocked):
        services.draft_save(theo, note, {"data": "changed"}, expected_version=note.version)
    with pytest.raises(services.NoteLocked):
        services.draft_save(theo, note, {"data": "changed"}, expected_version=note.version - 1)
    with pytest.raises(services.NoteLocked):
        services.note_sign(theo, note, expected_version=note.version)
    with pytest.raises(services.NoteLocked):
        services.note_cosign(actor(world, "sam"), note)  # not a trainee's: nothing to co-sign
    assert snapshot(note) == before


# --- Below the services: the ORM and SQL; the database refuses --------------------------------------------


def _orm_roads(world: Any) -> dict[str, Callable[[ProgressNote], object]]:
    def save_changed(note: ProgressNote) -> None:
        note.sections = {**note.sections, "plan": "changed by save()"}
        note.save()

    def raw_sql(note: ProgressNote) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE notes_progressnote SET content_hash = %s WHERE id = %s", ["0" * 64, note.pk]
            )

    tamsin = world.users["tamsin"]
    return {
        "update sections": lambda n: ProgressNote.objects.filter(pk=n.pk).update(sections={"data": "x"}),
        "update content_hash": lambda n: ProgressNote.objects.filter(pk=n.pk).update(content_hash="0" * 64),
        "update author": lambda n: ProgressNote.objects.filter(pk=n.pk).update(author=tamsin),
        "update signed_at": lambda n: ProgressNote.objects.filter(pk=n.pk).update(signed_at=timezone.now()),
        "unsign": lambda n: ProgressNote.objects.filter(pk=n.pk).update(
            status="draft", signed_at=None, signed_by=None, content_hash=""
        ),
        "update version": lambda n: ProgressNote.objects.filter(pk=n.pk).update(version=99),
        "bulk update of every row": lambda n: ProgressNote.objects.update(template_version="0"),
        "save() with a change": save_changed,
        "save() unchanged": lambda n: n.save(),
        "delete()": lambda n: ProgressNote.objects.filter(pk=n.pk).delete(),
        "raw SQL": raw_sql,
    }


ROADS = (
    "update sections",
    "update content_hash",
    "update author",
    "update signed_at",
    "unsign",
    "update version",
    "bulk update of every row",
    "save() with a change",
    "save() unchanged",
    "delete()",
    "raw SQL",
)


@pytest.mark.parametrize("road", ROADS)
@pytest.mark.parametrize("author", ["theo", "toby"])  # signed, and signed pending co-sign
def test_the_database_refuses_any_change_to_a_signed_note(world, road, author, battery):
    note = signed_note(world, author)
    before = snapshot(note)
    with refused_by_the_database():
        _orm_roads(world)[road](ProgressNote.objects.get(pk=note.pk))
    unchanged = snapshot(note) == before
    battery.tally(
        "T9", roads=1, changed=int(not unchanged), hash_mismatches=int(not services.note_verify(note))
    )
    assert unchanged
    assert services.note_verify(note)


def test_every_road_is_tried(world):
    assert set(_orm_roads(world)) == set(ROADS)


def test_the_cosign_stamp_can_be_set_once_and_nothing_else_with_it(world):
    note = signed_note(world, "toby")
    sam, tamsin = world.users["sam"], world.users["tamsin"]
    pending = ProgressNote.objects.filter(pk=note.pk)
    # The stamp together with any other change: refused.
    with refused_by_the_database():
        pending.update(status="signed", cosigned_by=sam, cosigned_at=timezone.now(), sections={"data": "x"})
    # Half a stamp: refused (the trigger, or the check constraint: either way the database says no).
    with pytest.raises(DatabaseError), transaction.atomic():
        pending.update(cosigned_by=sam)
    # The stamp alone, once: allowed (this is what note_cosign does).
    assert pending.update(status="signed", cosigned_by=sam, cosigned_at=timezone.now()) == 1
    stamped = snapshot(note)
    # Re-stamping, moving or removing it: refused.
    with refused_by_the_database():
        pending.update(cosigned_by=tamsin, cosigned_at=timezone.now())
    with refused_by_the_database():
        pending.update(status="pending_cosign", cosigned_by=None, cosigned_at=None)
    assert snapshot(note) == stamped
    assert services.note_verify(note)


def test_a_signed_but_not_a_trainees_note_takes_no_stamp(world):
    note = signed_note(world, "theo")
    with pytest.raises(DatabaseError), transaction.atomic():
        ProgressNote.objects.filter(pk=note.pk).update(
            cosigned_by=world.users["sam"], cosigned_at=timezone.now()
        )


def test_drafts_stay_editable_and_deletable_at_the_database_level(world):
    note = draft(world)
    assert ProgressNote.objects.filter(pk=note.pk).update(sections={"data": "fine"}) == 1
    ProgressNote.objects.filter(pk=note.pk).delete()
    assert not ProgressNote.objects.filter(pk=note.pk).exists()


def test_addenda_are_append_only_in_the_database(world):
    note = signed_note(world)
    addendum = services.addendum_add(actor(world, "theo"), note, "Late entry: client called on Friday.")
    rows = Addendum.objects.filter(pk=addendum.pk)
    with refused_by_the_database():
        rows.update(text="something else")
    with refused_by_the_database():
        addendum.text = "edited"
        addendum.save()
    with refused_by_the_database():
        rows.delete()
    assert Addendum.objects.get(pk=addendum.pk).text == "Late entry: client called on Friday."


# --- The hash ---------------------------------------------------------------------------------------------


def test_the_hash_is_sha256_of_the_canonical_signed_content(world):
    import hashlib
    from datetime import timedelta

    note = signed_note(world)
    base = dict(
        note_id=note.pk,
        organization_id=world.org_a.pk,
        client_id=world.clients["rowan"].pk,
        session_id=None,
        template_id="dap",
        template_version="1",
        author_id=world.users["theo"].pk,
        signed_by_id=world.users["theo"].pk,
        signed_at=note.signed_at,
        sections=DAP,
    )
    content = hashing.note_content(**base)
    assert (
        note.content_hash
        == hashlib.sha256(
            json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        ).hexdigest()
    )
    assert set(content) == {
        "kind",
        "note_id",
        "organization_id",
        "client_id",
        "session_id",
        "template",
        "author_id",
        "signed_by_id",
        "signed_at",
        "sections",
    }
    # Change any one of them and the hash changes.
    for change in (
        {"client_id": 0},
        {"session_id": 1},
        {"template_id": "soap"},
        {"template_version": "2"},
        {"author_id": 0},
        {"signed_at": note.signed_at + timedelta(microseconds=1)},
        {"sections": {**DAP, "plan": DAP["plan"] + " "}},
    ):
        assert hashing.note_hash(**{**base, **change}) != note.content_hash, change


def test_a_tamper_made_past_the_trigger_is_detected(world, as_user):
    note = signed_note(world)
    addendum = services.addendum_add(actor(world, "theo"), note, "An addendum.")
    assert services.note_verify(note)
    with triggers_lifted():
        ProgressNote.objects.filter(pk=note.pk).update(sections={**DAP, "assessment": "Quietly rewritten."})
    assert not services.note_verify(note)
    assert services.note_problems(note) == ["the note's content does not match its signed hash"]
    page = as_user("theo").get(f"/notes/{note.pk}/").content.decode()
    assert "does not match: the stored note differs from what was signed" in page
    with triggers_lifted():
        ProgressNote.objects.filter(pk=note.pk).update(sections=DAP)
        Addendum.objects.filter(pk=addendum.pk).update(text="A different addendum.")
    assert services.note_problems(note) == [f"addendum {addendum.pk} does not match its hash"]


# --- The triggers themselves ------------------------------------------------------------------------------


def test_the_trigger_covers_every_column_of_the_note():
    columns = {field.column for field in ProgressNote._meta.concrete_fields}
    assert set(TRIGGERS.UNCHANGED_ON_COSIGN) | set(TRIGGERS.COSIGN_STAMP) == columns, (
        "A new column on ProgressNote must be added to the SQLite trigger (a migration re-creating it)."
    )


def test_the_triggers_are_installed():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgrelid IN "
                "('notes_progressnote'::regclass, 'notes_addendum'::regclass)"
            )
            expected = {
                "notes_signed_guard",
                "notes_signed_no_truncate",
                "notes_addendum_no_change",
                "notes_addendum_no_truncate",
            }
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name LIKE 'notes_%'"
            )
            expected = {
                "notes_signed_no_update",
                "notes_signed_no_delete",
                "notes_addendum_no_update",
                "notes_addendum_no_delete",
            }
        assert {row[0] for row in cursor.fetchall()} == expected
