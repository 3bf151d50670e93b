"""The reflective journal: private to its author, shared with their supervisor on request (and
taken back), never the admin's; a warning before an entry that seems to name a client is saved."""

from __future__ import annotations

from typing import Any

import pytest
from training_support import actor, published_cohort

from kapstone.audit.models import AuditEvent
from kapstone.core.contract import NotYours, Refused, Stale
from kapstone.training import journal, selectors
from kapstone.training.models import JournalEntry

pytestmark = pytest.mark.django_db


def _entry(world: Any, **extra: Any) -> JournalEntry:
    return journal.journal_write(
        actor(world, "toby"), title="After week one", body="I noticed my pace.", **extra
    )


def test_an_entry_is_its_authors_only_until_shared_and_again_after_unsharing(world: Any) -> None:
    published_cohort(world)
    entry = _entry(world)
    sam, avery = actor(world, "sam"), actor(world, "avery", "org_admin")
    assert list(selectors.journal_scoped(actor(world, "toby"))) == [entry]
    for other in (sam, avery, actor(world, "theo"), actor(world, "olive")):
        with pytest.raises(NotYours):
            selectors.journal_get(other, entry.pk)
    journal.journal_share(actor(world, "toby"), entry=entry, share=True)
    assert selectors.journal_get(sam, entry.pk) == entry
    with pytest.raises(NotYours):
        selectors.journal_get(avery, entry.pk)
    comment = journal.journal_comment(sam, entry=entry, body="Good noticing.")
    assert comment.author == world.users["sam"]
    journal.journal_share(actor(world, "toby"), entry=entry, share=False)
    with pytest.raises(NotYours):
        selectors.journal_get(sam, entry.pk)
    with pytest.raises(NotYours):
        journal.journal_comment(sam, entry=entry, body="Still here?")
    assert (
        AuditEvent.objects.filter(
            action="training.journal", outcome="denied", actor_id=world.users["sam"].pk
        ).count()
        == 3
    )


def test_only_the_author_shares_or_edits_and_a_stale_edit_is_refused(world: Any) -> None:
    published_cohort(world)
    entry = _entry(world)
    with pytest.raises(NotYours):
        journal.journal_share(actor(world, "sam"), entry=entry, share=True)
    toby = actor(world, "toby")
    journal.journal_edit(toby, entry=entry, version=1, title="After week one", body="Revised.")
    with pytest.raises(Stale):
        journal.journal_edit(toby, entry=entry, version=1, title="After week one", body="Lost update?")
    entry.refresh_from_db()
    assert entry.body == "Revised." and entry.version == 2


def test_sharing_needs_a_supervisor(world: Any) -> None:
    entry = _entry(world)  # Toby has no cohort yet
    with pytest.raises(Refused, match="no supervisor"):
        journal.journal_share(actor(world, "toby"), entry=entry, share=True)


def test_an_entry_that_seems_to_name_a_client_is_held_until_the_author_confirms(world: Any) -> None:
    toby = actor(world, "toby")
    with pytest.raises(Refused) as caught:
        journal.journal_write(toby, title="Session", body="Rowan cried during the session.")
    assert caught.value.code == "names-client" and "Rowan" in caught.value.reason
    assert not JournalEntry.objects.exists()
    # Harper is Tamsin's client, not on Toby's caseload: no warning.
    journal.journal_write(toby, title="Reading", body="Harper's book on ethics.")
    journal.journal_write(
        toby, title="Session", body="Rowan of the hills (a poem).", confirmed_no_client=True
    )
    assert JournalEntry.objects.count() == 2


def test_journal_text_never_reaches_the_audit_log_or_the_api(world: Any, as_user: Any) -> None:
    published_cohort(world)
    entry = journal.journal_write(
        actor(world, "toby"), title="Zephyr-title", body="Quillwort reflection text."
    )
    journal.journal_share(actor(world, "toby"), entry=entry, share=True)
    journal.journal_comment(actor(world, "sam"), entry=entry, body="Marigold comment.")
    stored = " ".join(
        str(row) for row in AuditEvent.objects.values_list("detail", "object_type", "object_id")
    )
    for secret in ("Zephyr", "Quillwort", "Marigold"):
        assert secret not in stored
    schema = as_user("avery").get("/api/openapi.json").content.decode()
    assert "journal" not in schema.lower()
    export = b"".join(as_user("avery").get("/audit/export.csv").streaming_content).decode()
    assert "Quillwort" not in export and "Zephyr" not in export
