"""The reflective journal's writes. An entry is its author's; shared, its author's supervisor may
read and comment; nobody else (not the org admin, not the API, not an export) ever reads it.

Journal text is a training record, never a clinical record: a client identifier does not belong in
it. ``names_in`` looks for the names of the clients on the author's care teams; the author is warned
and must confirm before an entry that seems to name one is saved.
"""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone

from kapstone.audit.services import record
from kapstone.clients.models import CareTeamMember
from kapstone.core.actor import Actor
from kapstone.core.contract import Refused
from kapstone.training.guard import Denied, atomic_service
from kapstone.training.models import Enrollment, JournalComment, JournalEntry
from kapstone.training.selectors import oid, uid

MAX_BODY = 50_000


def names_in(author_id: int, *texts: str) -> list[str]:
    """Names of clients on the author's care teams that appear as whole words in ``texts``."""

    text = "\n".join(texts)
    found = []
    rows = CareTeamMember.objects.filter(user_id=author_id).values_list(
        "client__given_name", "client__family_name", "client__preferred_name"
    )
    for names in rows:
        for name in names:
            name = (name or "").strip()
            if len(name) >= 3 and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.IGNORECASE):
                found.append(name)
    return sorted(set(found))


def _check(actor: Actor, title: str, body: str, session_ref: str, confirmed: bool) -> None:
    if not title.strip():
        raise Refused("Give the entry a title.", field="title")
    if not body.strip():
        raise Refused("Write something in the entry.", field="body")
    if len(body) > MAX_BODY:
        raise Refused(f"Keep an entry under {MAX_BODY} characters.", field="body")
    names = names_in(actor.user_id or 0, title, body, session_ref)
    if names and not confirmed:
        raise Refused(
            f"This entry seems to name a client of yours ({', '.join(names)}). A journal is a training "
            "record: describe the client without a name or other identifier, or confirm that these words "
            "do not refer to a client.",
            field="body",
            code="names-client",
        )


def _enrollment_of(actor: Actor) -> Enrollment | None:
    return (
        Enrollment.objects.filter(trainee=actor.user, cohort__organization_id=oid(actor))
        .order_by("-enrolled_at")
        .first()
    )


@atomic_service
def journal_write(
    actor: Actor,
    *,
    title: str,
    body: str,
    written_on: dt.date | None = None,
    lesson_id: str = "",
    session_ref: str = "",
    confirmed_no_client: bool = False,
) -> JournalEntry:
    _check(actor, title, body, session_ref, confirmed_no_client)
    entry = JournalEntry.objects.create(
        author_id=uid(actor),
        organization_id=oid(actor),
        enrollment=_enrollment_of(actor),
        title=title.strip()[:200],
        body=body,
        written_on=written_on or timezone.localdate(),
        lesson_id=lesson_id.strip()[:64],
        session_ref=session_ref.strip()[:120],
    )
    record(
        actor, "training.journal", object_type="journal_entry", object_id=entry.pk, detail={"event": "write"}
    )
    return entry


def _author(actor: Actor, entry: JournalEntry, event: str) -> None:
    if entry.author_id != actor.user_id:
        raise Denied(
            actor,
            "training.journal",
            object_type="journal_entry",
            object_id=entry.pk,
            detail={"event": event},
        )


@atomic_service
def journal_edit(
    actor: Actor,
    *,
    entry: JournalEntry,
    version: int | None,
    title: str,
    body: str,
    confirmed_no_client: bool = False,
) -> JournalEntry:
    _author(actor, entry, "edit")
    _check(actor, title, body, entry.session_ref, confirmed_no_client)
    entry.claim_version(version)
    entry.title, entry.body, entry.updated_at = title.strip()[:200], body, timezone.now()
    entry.save(update_fields=["title", "body", "updated_at"])
    record(
        actor, "training.journal", object_type="journal_entry", object_id=entry.pk, detail={"event": "edit"}
    )
    return entry


@atomic_service
def journal_share(actor: Actor, *, entry: JournalEntry, share: bool) -> JournalEntry:
    """Share the entry with the author's supervisor, or take it back (comments stay with the entry)."""
    _author(actor, entry, "share" if share else "unshare")
    if share:
        enrollment = entry.enrollment or _enrollment_of(actor)
        if enrollment is None or enrollment.supervisor_id is None:
            raise Refused("You have no supervisor in a cohort yet, so there is nobody to share with.")
        entry.shared_with_id, entry.shared_at = enrollment.supervisor_id, timezone.now()
    else:
        entry.shared_with, entry.shared_at = None, None
    entry.save(update_fields=["shared_with", "shared_at"])
    record(actor, "training.journal", object_type="journal_entry", object_id=entry.pk,
           detail={"event": "share" if share else "unshare", "with": entry.shared_with_id})  # fmt: skip
    return entry


@atomic_service
def journal_comment(actor: Actor, *, entry: JournalEntry, body: str) -> JournalComment:
    """The author, or the supervisor it is shared with, comments."""
    if actor.user_id not in (entry.author_id, entry.shared_with_id):
        raise Denied(
            actor,
            "training.journal",
            object_type="journal_entry",
            object_id=entry.pk,
            detail={"event": "comment"},
        )
    if not body.strip():
        raise Refused("Write a comment first.", field="body")
    comment = JournalComment.objects.create(entry=entry, author_id=uid(actor), body=body.strip()[:10_000])
    record(
        actor,
        "training.journal",
        object_type="journal_entry",
        object_id=entry.pk,
        detail={"event": "comment"},
    )
    return comment
