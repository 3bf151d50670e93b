"""Psychotherapy-note bodies are stored encrypted (T23); these pin the behaviour a clinician and an
operator notice. The at-rest drill on a real database file is
tests/security/test_t23_encryption_at_rest.py."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from notes_helpers import actor

from kapstone.notes import services
from kapstone.notes.models import PsychotherapyNote
from kapstone.notes.psychvault import load_ring, read_body
from kapstone.notes.sealing import KeyMissing, SealingError, Tampered, new_key_line, parse_ring

SECRET = "Encryption canary: the client spoke about the orchard."


@pytest.fixture
def key_file(settings, tmp_path, monkeypatch):
    monkeypatch.delenv("KAPSTONE_PSYCHNOTE_KEYS", raising=False)
    settings.KAPSTONE_PSYCHNOTE_KEY_FILE = tmp_path / "keys" / "psychnote-keys"
    return settings.KAPSTONE_PSYCHNOTE_KEY_FILE


def write(world, body=SECRET):
    return services.psychnote_create(actor(world, "theo"), world.clients["rowan"], body)


def test_the_stored_row_holds_no_plaintext_and_the_author_reads_the_text(world, as_user, key_file):
    note = write(world)
    stored = PsychotherapyNote.objects.filter(pk=note.pk).values().get()
    assert SECRET.encode() not in b"".join(
        bytes(v) if isinstance(v, (bytes, memoryview)) else str(v).encode() for v in stored.values()
    )
    assert stored["key_id"] == load_ring().active_id
    assert key_file.exists() and key_file.stat().st_mode & 0o077 == 0
    page = as_user("theo").get(f"/notes/psychotherapy/{note.pk}/")
    assert page.status_code == 200 and SECRET in page.content.decode()


def test_without_the_key_the_page_says_which_key_is_missing_and_shows_no_text(world, as_user, key_file):
    note = write(world)
    key_file.unlink()
    page = as_user("theo").get(f"/notes/psychotherapy/{note.pk}/")
    text = page.content.decode()
    assert page.status_code == 503 and "This note cannot be opened" in text and str(key_file) in text
    assert SECRET not in text


def test_a_ring_without_the_notes_key_names_that_key(world, key_file, monkeypatch):
    note = write(world)
    monkeypatch.setenv("KAPSTONE_PSYCHNOTE_KEYS", new_key_line())
    with pytest.raises(KeyMissing, match=note.key_id):
        read_body(PsychotherapyNote.objects.get(pk=note.pk))


def test_a_ciphertext_moved_to_another_row_does_not_open(world, key_file):
    first, second = write(world, "first note text"), write(world, "second note text")
    PsychotherapyNote.objects.filter(pk=second.pk).update(
        key_id=first.key_id, wrapped_key=first.wrapped_key, ciphertext=first.ciphertext
    )
    with pytest.raises(Tampered):
        read_body(PsychotherapyNote.objects.get(pk=second.pk))


def test_rotation_rewraps_every_key_and_keeps_the_old_key_for_older_backups(world, key_file, capsys):
    notes = [write(world, f"note {n}") for n in range(3)]
    old = load_ring().active_id
    call_command("psychnotes", "rotate-key")
    ring = load_ring()
    assert ring.active_id != old and old in ring.keys
    assert set(PsychotherapyNote.objects.values_list("key_id", flat=True)) == {ring.active_id}
    assert [read_body(PsychotherapyNote.objects.get(pk=n.pk)) for n in notes] == [
        "note 0",
        "note 1",
        "note 2",
    ]
    assert "3 note data key(s) re-wrapped" in capsys.readouterr().out


def test_keys_from_the_environment_rotate_by_adding_a_key_then_rewrap(world, key_file, monkeypatch):
    first = new_key_line()
    monkeypatch.setenv("KAPSTONE_PSYCHNOTE_KEYS", first)
    note = write(world)
    assert not key_file.exists()  # the variable wins; no file is made
    with pytest.raises(CommandError, match="add a new key there"):
        call_command("psychnotes", "rotate-key")
    second = new_key_line()
    monkeypatch.setenv("KAPSTONE_PSYCHNOTE_KEYS", f"{first},{second}")
    call_command("psychnotes", "rewrap")
    row = PsychotherapyNote.objects.get(pk=note.pk)
    assert row.key_id == second.split()[0] and read_body(row) == SECRET


def test_a_damaged_key_file_refuses_to_write_and_keeps_the_typed_text(world, as_user, key_file):
    write(world)
    key_file.write_text("k1 not-base64!!\n")
    with pytest.raises(ValidationError, match="not valid base64"):
        write(world)
    theo, rowan = as_user("theo"), world.clients["rowan"]
    response = theo.post(f"/notes/clients/{rowan.pk}/psychotherapy/new/", {"body": "typed and kept"})
    assert response.status_code == 400 and "typed and kept" in response.content.decode()
    assert PsychotherapyNote.objects.count() == 1


def test_status_lists_keys_in_use_and_fails_when_one_is_missing(world, key_file, monkeypatch, capsys):
    note = write(world)
    call_command("psychnotes", "status")
    assert f"{note.key_id}: 1 note(s)" in capsys.readouterr().out
    monkeypatch.setenv("KAPSTONE_PSYCHNOTE_KEYS", new_key_line())
    with pytest.raises(CommandError, match="1 psychotherapy note"):
        call_command("psychnotes", "status")


KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="  # 32 bytes 0..31 (a fixture, never used)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "holds no key"),
        ("k1 AAAA", "must be 32 bytes"),
        (f"k1 {KEY}\nk1 {KEY}", "appears twice"),
        ("k1", "is not"),
    ],
)
def test_a_malformed_key_ring_is_refused_with_its_reason(text, message):
    with pytest.raises(SealingError, match=message):
        parse_ring(text, source="t")


def test_the_last_key_of_the_ring_is_the_active_one():
    ring = parse_ring(f"# comment\nold {KEY}\n\nnew:{KEY.replace('A', 'B', 1)}", source="t")
    assert ring.active_id == "new" and set(ring.keys) == {"old", "new"}


@pytest.mark.django_db(transaction=True)
def test_compact_runs_outside_a_transaction_on_either_database(world, key_file, capsys):
    write(world)
    call_command("psychnotes", "compact")
    assert "Compacted" in capsys.readouterr().out
    assert read_body(PsychotherapyNote.objects.get()) == SECRET
