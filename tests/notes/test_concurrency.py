"""Nothing lost: a stale draft save is refused with both versions, never silently overwritten.

The 50-writer race (security.md 4.3 / T10) runs on real concurrent connections:
- SQLite: in a subprocess against a FILE database (WAL, IMMEDIATE transactions, as in production);
  the in-process test database is in memory and cannot show concurrent writers.
- PostgreSQL (when DATABASE_URL is set and the suite runs on it): in-process threads on the test
  database, in a transactional test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from notes_concurrency import race_http, race_naive, race_versioned
from notes_helpers import DAP, actor, draft, editor_post

from kapstone.core.contract import Stale as StaleEdit
from kapstone.notes import services
from kapstone.notes.models import ProgressNote

WRITERS = 50
PROBE = Path(__file__).with_name("notes_concurrency.py")


def _assert_nothing_lost(figures: dict[str, Any]) -> None:
    assert figures["errors"] == 0 and figures["missing"] == 0, figures
    assert (figures["attempts"], figures["accepted"], figures["rejected"], figures["lost"]) == (
        WRITERS,
        1,
        WRITERS - 1,
        0,
    ), figures
    assert figures["winner_stored"], figures


def _report(battery: Any, label: str, figures: dict[str, Any]) -> None:
    battery(
        "T10",
        f"{label}: {figures['attempts']} concurrent edits of one version: accepted {figures['accepted']}, "
        f"refused {figures['rejected']}, acknowledged and lost {figures['lost']}, errors {figures['errors']}"
        + (f", statuses {figures['statuses']}" if "statuses" in figures else ""),
    )


# --- One stale save, step by step -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_stale_service_save_raises_staleedit_with_the_current_version_and_writes_nothing(world):
    note = draft(world)
    theo = actor(world, "theo")
    services.draft_save(theo, note, DAP, expected_version=1)
    with pytest.raises(StaleEdit) as caught:
        services.draft_save(theo, note, {"data": "from an old tab"}, expected_version=1)
    assert caught.value.current.version == 2 and caught.value.current.sections == DAP
    assert caught.value.attempted["data"] == "from an old tab"
    stored = ProgressNote.objects.get(pk=note.pk)
    assert (stored.version, stored.sections) == (2, DAP)


@pytest.mark.django_db
def test_a_stale_form_save_is_409_with_both_versions_and_the_users_text_kept(world, as_user):
    note = draft(world)
    theo_tab_1, theo_tab_2 = as_user("theo"), as_user("theo")
    assert theo_tab_1.post(f"/notes/{note.pk}/edit/", editor_post(note, DAP, version=1)).status_code == 302
    mine = {"data": "Typed in the second tab, from version 1.", "assessment": "mine", "plan": "mine too"}
    response = theo_tab_2.post(f"/notes/{note.pk}/edit/", editor_post(note, mine, version=1))
    assert response.status_code == 409
    body = response.content.decode()
    assert "The saved version (version 2)" in body
    assert DAP["data"] in body  # the saved text, shown ...
    assert mine["data"] in body  # ... and the person's own, kept in the form
    assert 'name="version" value="2"' in body  # saving again is now a deliberate choice
    assert ProgressNote.objects.get(pk=note.pk).sections == DAP  # nothing overwritten
    # After reading both, the person saves their merge: accepted, at version 3.
    merged = {**DAP, "plan": "merged plan"}
    assert theo_tab_2.post(f"/notes/{note.pk}/edit/", editor_post(note, merged, version=2)).status_code == 302
    assert ProgressNote.objects.get(pk=note.pk).sections == merged


@pytest.mark.django_db
def test_htmx_autosave_saves_quietly_and_reports_a_conflict_without_overwriting(world, as_user):
    note = draft(world)
    theo = as_user("theo")
    saved = theo.post(
        f"/notes/{note.pk}/edit/", editor_post(note, DAP, version=1), headers={"HX-Request": "true"}
    )
    assert saved.status_code == 200
    assert "Draft saved automatically" in saved.content.decode() and 'value="2"' in saved.content.decode()
    stale = theo.post(
        f"/notes/{note.pk}/edit/",
        editor_post(note, {"data": "old"}, version=1),
        headers={"HX-Request": "true"},
    )
    assert "Not saved automatically" in stale.content.decode()
    assert ProgressNote.objects.get(pk=note.pk).sections == DAP


# --- Fifty writers at once --------------------------------------------------------------------------------


def test_fifty_concurrent_edits_on_a_file_sqlite_database_lose_nothing(cli, tmp_path, battery):
    env = cli.env(tmp_path)  # a fresh var/ directory: its own file database, never DATABASE_URL
    result = cli.python(PROBE.read_text(), env=env, args=[str(WRITERS)])
    line = next(line for line in result.stdout.splitlines() if line.startswith("RESULT "))
    figures = json.loads(line.removeprefix("RESULT "))
    assert figures["database"]["vendor"] == "sqlite" and figures["database"]["journal"] == "wal"
    assert Path(figures["database"]["file"]).is_file()

    _report(battery, "SQLite file, versioned save", figures["versioned"])
    _assert_nothing_lost(figures["versioned"])

    _report(battery, "SQLite file, through the editor page", figures["http"])
    _assert_nothing_lost(figures["http"])
    assert (
        figures["http"]["statuses"] == {"302": 1, "409": WRITERS - 1} and figures["http"]["status_5xx"] == 0
    )
    assert figures["http"]["rejected_with_their_text_kept"] == WRITERS - 1

    # The control: last-write-wins acknowledges every edit and keeps one (the measurement can see loss).
    _report(battery, "SQLite file, naive save() (control)", figures["naive"])
    assert figures["naive"]["accepted"] == WRITERS and figures["naive"]["lost"] == WRITERS - 1


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_edits_on_postgresql_lose_nothing(world, battery):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (set DATABASE_URL); SQLite runs on a file database in the test above")
    from tests.conftest import signed_in_client

    theo = actor(world, "theo")
    versioned = race_versioned(theo, draft(world).pk, WRITERS)
    _report(battery, "PostgreSQL, versioned save", versioned)
    _assert_nothing_lost(versioned)

    http = race_http(lambda: signed_in_client(world.users["theo"]), draft(world).pk, WRITERS)
    _report(battery, "PostgreSQL, through the editor page", http)
    _assert_nothing_lost(http)
    assert (
        http["statuses"] == {"302": 1, "409": WRITERS - 1}
        and http["rejected_with_their_text_kept"] == WRITERS - 1
    )

    naive = race_naive(draft(world).pk, WRITERS)
    _report(battery, "PostgreSQL, naive save() (control)", naive)
    assert naive["accepted"] == WRITERS and naive["lost"] == WRITERS - 1
