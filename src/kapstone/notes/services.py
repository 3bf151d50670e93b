"""Note writes. One transaction each, audited inside it. Note text never goes into the audit log.

Nothing lost: a draft save names the version it read and is an ``UPDATE ... WHERE version = ?``;
when no row matches, nobody's text is overwritten — ``StaleNoteEdit`` carries the saved note and
the text that was refused, so the page can show both. A signed note is refused by ``NoteLocked``
here and, below the ORM, by the database trigger of migration 0002.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from kapstone.access.policy import allows
from kapstone.access.scoping import deny
from kapstone.accounts.models import Membership, Role, User
from kapstone.audit.models import Outcome
from kapstone.audit.services import record
from kapstone.clients.models import Client
from kapstone.clients.selectors import clients_scoped
from kapstone.core.actor import Actor
from kapstone.core.contract import Stale
from kapstone.notes import hashing
from kapstone.notes.definitions import MAX_SECTION_CHARS, UnknownTemplateError, get_template
from kapstone.notes.models import Addendum, ProgressNote, PsychNoteGrant, PsychotherapyNote
from kapstone.notes.psychvault import seal_into
from kapstone.notes.returns import returns_answer
from kapstone.notes.sealing import SealingError
from kapstone.notes.selectors import may_cosign

MAX_ADDENDUM_CHARS = 20_000
MAX_PSYCHNOTE_CHARS = 50_000


class NoteLocked(Exception):
    """The note is signed: its content can no longer change (add an addendum instead)."""

    def __init__(self, note: ProgressNote, message: str = "") -> None:
        super().__init__(
            message or "This note is signed and can no longer be changed. Add an addendum instead."
        )
        self.note = note


class StaleNoteEdit(Stale):
    """Someone saved the draft since this editor read it; nothing was written. The contract's
    ``Stale`` (409, both versions) with the refused text as well: ``attempted``."""

    def __init__(self, current: ProgressNote, attempted: Mapping[str, str], *, submitted: int) -> None:
        super().__init__(
            current_version=current.version,
            submitted_version=submitted,
            current=current,
            message="This note was saved by someone else (or in another tab) since you opened it.",
        )
        self.attempted = dict(attempted)


# --- helpers ---------------------------------------------------------------------------------------------


def _require_client(actor: Actor, action: str, client_id: int) -> None:
    if not clients_scoped(actor, action).filter(pk=client_id).exists():
        raise deny(actor, action, object_type="client", object_id=client_id, client_id=client_id)


def _require_author(actor: Actor, action: str, note: ProgressNote) -> None:
    if note.author_id != actor.user_id:
        raise deny(actor, action, object_type="progress_note", object_id=note.pk, client_id=note.client_id)
    _require_client(actor, action, note.client_id)


def signs_as_trainee(actor: Actor) -> bool:
    """A trainee's note needs a supervisor's co-sign (unless they also practise independently here)."""
    return Role.TRAINEE in actor.roles and not actor.has_role(Role.THERAPIST, Role.PRESCRIBER)


def _audit(actor: Actor, action: str, note: ProgressNote, **detail: object) -> None:
    record(
        actor, action, object_type="progress_note", object_id=note.pk, client_id=note.client_id, detail=detail
    )


def _refused(actor: Actor, action: str, note: ProgressNote, reason: str, **detail: object) -> None:
    """A refused write is audited too (outside the rolled-back transaction)."""
    record(
        actor,
        action,
        outcome=Outcome.FAILURE,
        object_type="progress_note",
        object_id=note.pk,
        client_id=note.client_id,
        detail={"reason": reason, **detail},
    )


def _clean_sections(note: ProgressNote, sections: Mapping[str, object]) -> dict[str, str]:
    template = get_template(note.template_id, note.template_version)
    cleaned = template.clean(sections)
    too_long = template.too_long(cleaned)
    if too_long:
        raise ValidationError(
            {s.key: f"Keep this section under {MAX_SECTION_CHARS:,} characters." for s in too_long}
        )
    return cleaned


# --- progress notes ------------------------------------------------------------------------------------


def draft_create(
    actor: Actor,
    client: Client,
    template_id: str,
    *,
    session: object | None = None,
    sections: Mapping[str, object] | None = None,
) -> ProgressNote:
    """A new draft from the newest version of a template, authored by the actor."""
    if actor.user is None or actor.organization is None or not allows(actor, "note.write"):
        raise deny(actor, "note.write", object_type="client", object_id=client.pk, client_id=client.pk)
    _require_client(actor, "note.write", client.pk)
    try:
        template = get_template(template_id)
    except UnknownTemplateError:
        raise ValidationError({"template": "Choose one of the note templates."}) from None
    session_id = getattr(session, "pk", None)
    if session is not None and getattr(session, "client_id", None) != client.pk:
        raise ValidationError({"session": "That session belongs to another client."})
    now = timezone.now()
    note = ProgressNote(
        organization_id=client.organization_id,
        client=client,
        session_id=session_id,
        template_id=template.id,
        template_version=template.version,
        author=actor.user,
        sections=template.clean(sections or {}),
        cosign_required=signs_as_trainee(actor),
        created_at=now,
        updated_at=now,
    )
    with transaction.atomic():
        note.save()
        _audit(actor, "note.create", note, template=f"{template.id}@{template.version}")
    return note


def draft_save(
    actor: Actor, note: ProgressNote, sections: Mapping[str, object], *, expected_version: int
) -> ProgressNote:
    """Save the author's draft read at ``expected_version``.

    Raises ``StaleNoteEdit`` (with the saved note and the refused text) when someone saved in
    between, ``NoteLocked`` when the note is signed. Returns the note as stored now.
    """
    _require_author(actor, "note.write", note)
    cleaned = _clean_sections(note, sections)
    try:
        with transaction.atomic():
            updated = ProgressNote.objects.filter(
                pk=note.pk, version=expected_version, status=ProgressNote.Status.DRAFT
            ).update(sections=cleaned, version=expected_version + 1, updated_at=timezone.now())
            if not updated:
                current = ProgressNote.objects.get(pk=note.pk)
                if not current.is_draft:
                    raise NoteLocked(current)
                raise StaleNoteEdit(current, cleaned, submitted=expected_version)
            _audit(actor, "note.write", note, version=expected_version + 1)
    except NoteLocked:
        _refused(actor, "note.write", note, "signed")
        raise
    except StaleNoteEdit as exc:
        _refused(actor, "note.write", note, "stale", expected=expected_version, current=exc.current_version)
        raise
    return ProgressNote.objects.get(pk=note.pk)


def _hash_of(note: ProgressNote) -> str:
    assert note.signed_at is not None and note.signed_by_id is not None
    return hashing.note_hash(
        note_id=note.pk,
        organization_id=note.organization_id,
        client_id=note.client_id,
        session_id=note.session_id,
        template_id=note.template_id,
        template_version=note.template_version,
        author_id=note.author_id,
        signed_by_id=note.signed_by_id,
        signed_at=note.signed_at,
        sections=note.sections,
    )


def note_sign(
    actor: Actor,
    note: ProgressNote,
    *,
    expected_version: int,
    sections: Mapping[str, object] | None = None,
) -> ProgressNote:
    """Sign the author's draft, saving ``sections`` first when given (that save stands even if
    the signing is then refused, e.g. for an empty required section: the text is never lost).

    The content hash covers the sections, template, author, client, session and signing time. A
    trainee's note becomes "pending co-sign"; anyone else's is signed.
    """
    _require_author(actor, "note.sign", note)
    if sections is not None:
        note = draft_save(actor, note, sections, expected_version=expected_version)
        expected_version = note.version
    try:
        with transaction.atomic():
            current = ProgressNote.objects.get(pk=note.pk)
            if not current.is_draft:
                raise NoteLocked(current, "This note is already signed.")
            if current.version != expected_version:
                raise StaleNoteEdit(current, current.sections, submitted=expected_version)
            template = get_template(current.template_id, current.template_version)
            missing = template.missing(current.sections)
            if missing:
                raise ValidationError(
                    {s.key: f"{s.label} is needed before the note can be signed." for s in missing}
                )
            trainee = signs_as_trainee(actor)
            current.signed_at = timezone.now()
            current.signed_by_id = actor.user_id
            digest = _hash_of(current)
            status = ProgressNote.Status.PENDING_COSIGN if trainee else ProgressNote.Status.SIGNED
            updated = ProgressNote.objects.filter(
                pk=current.pk, version=expected_version, status=ProgressNote.Status.DRAFT
            ).update(
                status=status,
                signed_at=current.signed_at,
                signed_by_id=actor.user_id,
                content_hash=digest,
                cosign_required=trainee,
                version=expected_version + 1,
                updated_at=current.signed_at,
            )
            if not updated:  # someone saved or signed in between: nothing was signed
                raise StaleNoteEdit(
                    ProgressNote.objects.get(pk=note.pk), current.sections, submitted=expected_version
                )
            _audit(actor, "note.sign", current, content_hash=digest, status=status)
    except NoteLocked:
        _refused(actor, "note.sign", note, "signed")
        raise
    except StaleNoteEdit as exc:
        _refused(actor, "note.sign", note, "stale", expected=expected_version, current=exc.current_version)
        raise
    return ProgressNote.objects.get(pk=note.pk)


def note_cosign(actor: Actor, note: ProgressNote) -> ProgressNote:
    """A supervisor on the client's care team co-signs a trainee's signed note, once."""
    _require_client(actor, "note.cosign", note.client_id)
    if not may_cosign(actor, note):
        raise deny(
            actor, "note.cosign", object_type="progress_note", object_id=note.pk, client_id=note.client_id
        )
    now = timezone.now()
    with transaction.atomic():
        updated = ProgressNote.objects.filter(
            pk=note.pk, status=ProgressNote.Status.PENDING_COSIGN, cosigned_at__isnull=True
        ).update(status=ProgressNote.Status.SIGNED, cosigned_by_id=actor.user_id, cosigned_at=now)
        if not updated:
            current = ProgressNote.objects.get(pk=note.pk)
            raise NoteLocked(
                current,
                "This note was already co-signed."
                if current.cosigned_at
                else "This note is not waiting for a co-sign.",
            )
        _audit(actor, "note.cosign", note)
    return ProgressNote.objects.get(pk=note.pk)


def addendum_add(actor: Actor, note: ProgressNote, text: str) -> Addendum:
    """Append a dated, attributed addendum to a signed note; the note itself is untouched."""
    if actor.user is None:
        raise deny(
            actor, "note.addendum", object_type="progress_note", object_id=note.pk, client_id=note.client_id
        )
    _require_client(actor, "note.addendum", note.client_id)
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise ValidationError({"text": "Write the addendum: what is added or corrected, and why."})
    if len(text) > MAX_ADDENDUM_CHARS:
        raise ValidationError({"text": f"Keep an addendum under {MAX_ADDENDUM_CHARS:,} characters."})
    with transaction.atomic():
        current = ProgressNote.objects.get(pk=note.pk)
        if not current.is_signed:
            raise ValidationError("A draft has no addenda: edit the draft itself.")
        created_at = timezone.now()
        digest = hashing.addendum_hash(
            note_id=current.pk,
            note_hash=current.content_hash,
            author_id=actor.user.pk,
            text=text,
            created_at=created_at,
        )
        addendum = Addendum.objects.create(
            note=current, author=actor.user, text=text, created_at=created_at, content_hash=digest
        )
        record(
            actor,
            "note.addendum",
            object_type="addendum",
            object_id=addendum.pk,
            client_id=current.client_id,
            detail={"note_id": current.pk, "content_hash": digest},
        )
        returns_answer(actor, current)  # the author's addendum answers a supervisor's return
    return addendum


def note_problems(note: ProgressNote) -> list[str]:
    """What does not match its hash, read fresh from the database (empty: intact)."""
    stored = ProgressNote.objects.get(pk=note.pk)
    if not stored.is_signed or not stored.content_hash or stored.signed_by_id is None:
        return ["the note is not signed"]
    problems = []
    if _hash_of(stored) != stored.content_hash:
        problems.append("the note's content does not match its signed hash")
    for addendum in stored.addenda.order_by("pk"):
        expected = hashing.addendum_hash(
            note_id=stored.pk,
            note_hash=stored.content_hash,
            author_id=addendum.author_id,
            text=addendum.text,
            created_at=addendum.created_at,
        )
        if expected != addendum.content_hash:
            problems.append(f"addendum {addendum.pk} does not match its hash")
    return problems


def note_verify(note: ProgressNote) -> bool:
    """Recompute the signed note's hash (and its addenda's) from the stored rows."""
    return not note_problems(note)


# --- psychotherapy notes ---------------------------------------------------------------------------------


def psychnote_create(
    actor: Actor, client: Client, body: str, *, session: object | None = None
) -> PsychotherapyNote:
    if actor.user is None or actor.organization is None or not allows(actor, "psychnote.write"):
        raise deny(actor, "psychnote.write", object_type="client", object_id=client.pk, client_id=client.pk)
    _require_client(actor, "psychnote.write", client.pk)
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise ValidationError({"body": "Write the note."})
    if len(body) > MAX_PSYCHNOTE_CHARS:
        raise ValidationError({"body": f"Keep a note under {MAX_PSYCHNOTE_CHARS:,} characters."})
    if session is not None and getattr(session, "client_id", None) != client.pk:
        raise ValidationError({"session": "That session belongs to another client."})
    with transaction.atomic():
        note = PsychotherapyNote(
            organization_id=client.organization_id,
            client=client,
            session_id=getattr(session, "pk", None),
            author=actor.user,
            created_at=timezone.now(),
        )
        try:
            seal_into(note, body)  # encrypted before it reaches the database (T23)
        except SealingError as exc:
            raise ValidationError({"body": f"The note was not saved: {exc}"}) from exc
        note.save(force_insert=True)
        record(
            actor,
            "psychnote.create",
            object_type="psychotherapy_note",
            object_id=note.pk,
            client_id=client.pk,
        )
    return note


def supervisors_for_grants(actor: Actor) -> list[User]:
    """Active supervisors of the actor's organization (whom a grant can name), not the actor."""
    return list(
        User.objects.filter(
            memberships__organization_id=actor.organization_id or -1,
            memberships__role=Role.SUPERVISOR,
            memberships__is_active=True,
            is_active=True,
        )
        .exclude(pk=actor.user_id or -1)
        .distinct()
        .order_by("full_name", "pk")
    )


def psychnote_grant(
    actor: Actor, supervisor: User, *, note: PsychotherapyNote | None = None
) -> PsychNoteGrant:
    """The author lets one supervisor read one of their notes (or all of them) for training."""
    mine = note is None or (note.author_id == actor.user_id and note.organization_id == actor.organization_id)
    if actor.user is None or actor.organization is None or not allows(actor, "psychnote.grant") or not mine:
        # the note's client stays out of the row: a psychotherapy note is not part of the record
        raise deny(actor, "psychnote.grant", object_type="psychotherapy_note" if note else "psychnote_grant",
                   object_id=note.pk if note else "")  # fmt: skip
    is_supervisor = Membership.objects.filter(
        user=supervisor, organization=actor.organization, role=Role.SUPERVISOR, is_active=True
    ).exists()
    if supervisor.pk == actor.user_id or not is_supervisor or not supervisor.is_active:
        raise ValidationError({"supervisor": "Choose an active supervisor of this organization."})
    active = PsychNoteGrant.objects.filter(
        granted_by_id=actor.user_id, supervisor=supervisor, note=note, revoked_at__isnull=True
    )
    if active.exists():
        raise ValidationError({"supervisor": "That supervisor already holds this grant."})
    with transaction.atomic():
        grant = PsychNoteGrant.objects.create(
            organization=actor.organization, granted_by=actor.user, supervisor=supervisor, note=note
        )
        record(
            actor,
            "psychnote.grant",
            object_type="psychnote_grant",
            object_id=grant.pk,
            client_id=note.client_id if note else None,
            detail={
                "supervisor_id": supervisor.pk,
                "note_id": note.pk if note else "all",
                "reason": grant.reason,
            },
        )
    return grant


def psychnote_revoke(actor: Actor, grant: PsychNoteGrant) -> PsychNoteGrant:
    if grant.granted_by_id != actor.user_id:
        raise deny(actor, "psychnote.revoke", object_type="psychnote_grant", object_id=grant.pk)
    with transaction.atomic():
        updated = PsychNoteGrant.objects.filter(pk=grant.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if updated:
            record(
                actor,
                "psychnote.revoke",
                object_type="psychnote_grant",
                object_id=grant.pk,
                detail={"supervisor_id": grant.supervisor_id},
            )
    return PsychNoteGrant.objects.get(pk=grant.pk)
