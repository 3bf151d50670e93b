"""Progress notes over the JSON API (mounted at /api/ by ``kapstone.api``). Thin: the same selectors
and services as the pages.

Conditional writes (security.md 4.3, RFC 9110 / RFC 6585): ``GET /api/notes/{id}`` answers an
``ETag`` naming the note's version; ``PUT`` (save the draft) and ``POST .../sign`` must send it back
in ``If-Match``. Without it: 428. With a stale one: 412, with the saved note and the refused text.
A signed note: 409 for any change; the only way to add to it is ``POST .../addenda``. There is no
DELETE. Psychotherapy notes have no API at all: they are never exported.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar, cast

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from ninja import Header, Router, Schema, Status
from pydantic import ConfigDict, Field

from kapstone.care.models import CareSession
from kapstone.clients.selectors import client_get
from kapstone.core.actor import Actor
from kapstone.core.contract import ErrorOut, Stale, validation_payload
from kapstone.notes import selectors, services
from kapstone.notes.models import Addendum, ProgressNote

router = Router(tags=["notes"])

_Written = TypeVar("_Written", ProgressNote, Addendum)
_ETAG = re.compile(r'^\s*(?:W/)?"?(\d{1,10})"?\s*$')


class TemplateRef(Schema):
    id: str
    version: str


class AddendumOut(Schema):
    id: int
    author: int
    text: str
    created_at: datetime
    content_hash: str


class NoteOut(Schema):
    id: int
    client_id: int
    session_id: int | None = None
    template: TemplateRef
    author: int
    status: str = Field(
        description="draft, pending_cosign (a trainee signed; a supervisor co-signs) or signed"
    )
    version: int = Field(description="also the ETag; send it as If-Match to save or sign")
    sections: dict[str, str]
    created_at: datetime
    updated_at: datetime
    signed_at: datetime | None = None
    signed_by: int | None = None
    content_hash: str = Field(description="SHA-256 of the signed content (empty for a draft)")
    verified: bool | None = Field(description="the stored note still matches its hash (null for a draft)")
    cosign_required: bool
    cosigned_by: int | None = None
    cosigned_at: datetime | None = None
    addenda: list[AddendumOut]


class NoteCreateIn(Schema):
    model_config = ConfigDict(extra="forbid")

    template: str = Field(description="note template id, e.g. dap or soap (its newest version)")
    session_id: int | None = None
    sections: dict[str, str] | None = None


class NoteSaveIn(Schema):
    model_config = ConfigDict(extra="forbid")

    sections: dict[str, str] = Field(description="text by section key; a key left out is saved empty")


class AddendumIn(Schema):
    model_config = ConfigDict(extra="forbid")

    text: str


class ConflictOut(ErrorOut):
    current: NoteOut = Field(description="the note as saved now")
    yours: dict[str, str] = Field(description="the text you sent, which was not saved")


def _actor(request: HttpRequest) -> Actor:
    return cast(Actor, request.auth)  # type: ignore[attr-defined]


def _addendum_out(addendum: Addendum) -> dict[str, Any]:
    return {
        "id": addendum.pk,
        "author": addendum.author_id,
        "text": addendum.text,
        "created_at": addendum.created_at,
        "content_hash": addendum.content_hash,
    }


def note_out(note: ProgressNote, *, with_addenda: bool = True) -> dict[str, Any]:
    return {
        "id": note.pk,
        "client_id": note.client_id,
        "session_id": note.session_id,
        "template": {"id": note.template_id, "version": note.template_version},
        "author": note.author_id,
        "status": note.status,
        "version": note.version,
        "sections": dict(note.sections or {}),
        "created_at": note.created_at,
        "updated_at": note.updated_at,
        "signed_at": note.signed_at,
        "signed_by": note.signed_by_id,
        "content_hash": note.content_hash,
        "verified": services.note_verify(note) if note.is_signed else None,
        "cosign_required": note.cosign_required,
        "cosigned_by": note.cosigned_by_id,
        "cosigned_at": note.cosigned_at,
        "addenda": [_addendum_out(a) for a in note.addenda.order_by("created_at", "pk")]
        if with_addenda
        else [],
    }


def _etag(note: ProgressNote) -> str:
    return f'"{note.version}"'


def _error(status: int, detail: str, field: str = "", code: str = "") -> Status[dict[str, Any]]:
    errors = [{"field": field, "reason": detail, "code": code}] if code else []
    return Status(status, {"detail": detail, "errors": errors})


def _precondition(if_match: str | None) -> int | Status[dict[str, Any]]:
    if not if_match:
        return _error(
            428, "Send If-Match with the note's ETag (its version) to change it.", "If-Match", "missing"
        )
    match = _ETAG.match(if_match)
    if match is None:
        return _error(412, 'If-Match must be the note\'s ETag, e.g. "3".', "If-Match", "invalid")
    return int(match.group(1))


def _answer(
    write: Callable[[], _Written],
    out: Callable[[_Written], dict[str, Any]],
    *,
    status: int = 200,
    response: HttpResponse | None = None,
) -> Status[dict[str, Any]]:
    """Run a note write and answer it: the one place the notes services' refusals become statuses
    (signed: 409; stale: 412 with both versions; invalid: 422 naming the field; not allowed: 404)."""
    try:
        written = write()
    except services.NoteLocked as exc:
        return _error(409, str(exc))
    except (services.StaleNoteEdit, Stale) as exc:  # the notes' own, or the contract's (issue #10)
        detail = f"{exc} Nothing was overwritten."
        if not isinstance(exc.current, ProgressNote):
            return _error(412, detail)
        yours = dict(getattr(exc, "attempted", None) or {})
        return Status(412, {"detail": detail, "errors": [], "current": note_out(exc.current), "yours": yours})
    except ValidationError as exc:
        return Status(422, validation_payload(exc))
    if response is not None and isinstance(written, ProgressNote):
        response["ETag"] = _etag(written)
    return Status(status, out(written))


@router.get("/clients/{client_id}/notes", response=list[NoteOut], url_name="client_notes")
def note_list(request: HttpRequest, client_id: int) -> list[dict[str, Any]]:
    """A client's progress notes, newest first: signed ones, and your own drafts."""
    actor = _actor(request)
    client = client_get(actor, client_id, action="note.view")
    return [note_out(n) for n in selectors.note_list(actor, client)]


@router.post("/clients/{client_id}/notes", response={201: NoteOut, 422: ErrorOut}, url_name="client_notes")
def note_create(
    request: HttpRequest, client_id: int, payload: NoteCreateIn, response: HttpResponse
) -> Status[dict[str, Any]]:
    """Start a draft from a template (you are its author)."""
    actor = _actor(request)
    client = client_get(actor, client_id, action="note.write")
    session = None
    if payload.session_id is not None:
        session = CareSession.objects.filter(pk=payload.session_id, client=client).first()
        if session is None:
            return _error(422, "No such session.", "session_id", "invalid")
    return _answer(
        lambda: services.draft_create(
            actor, client, payload.template, session=session, sections=payload.sections
        ),
        note_out,
        status=201,
        response=response,
    )


@router.get("/notes/{note_id}", response=NoteOut, url_name="note")
def note_get(request: HttpRequest, note_id: int, response: HttpResponse) -> dict[str, Any]:
    """One note (a draft only for its author), with its addenda and whether it matches its hash."""
    note = selectors.note_get(_actor(request), note_id)
    response["ETag"] = _etag(note)
    return note_out(note)


_CONDITIONAL = {200: NoteOut, 409: ErrorOut, 412: ConflictOut | ErrorOut, 422: ErrorOut, 428: ErrorOut}
_IF_MATCH = Header(None, alias="If-Match", description='the note\'s ETag (its version), e.g. "3"')  # type: ignore[type-arg]


@router.put("/notes/{note_id}", response=_CONDITIONAL, url_name="note")
def note_save(
    request: HttpRequest,
    note_id: int,
    payload: NoteSaveIn,
    response: HttpResponse,
    if_match: str | None = _IF_MATCH,
) -> Status[dict[str, Any]]:
    """Save your draft. If-Match is required: 428 without it, 412 (both versions) if it is stale,
    409 if the note is signed."""
    actor = _actor(request)
    note = selectors.note_get(actor, note_id, action="note.write")
    expected = _precondition(if_match)
    if isinstance(expected, Status):
        return expected
    return _answer(
        lambda: services.draft_save(actor, note, payload.sections, expected_version=expected),
        note_out,
        response=response,
    )


@router.post("/notes/{note_id}/sign", response=_CONDITIONAL, url_name="note_sign")
def note_sign(
    request: HttpRequest, note_id: int, response: HttpResponse, if_match: str | None = _IF_MATCH
) -> Status[dict[str, Any]]:
    """Sign your draft at the version named in If-Match. A trainee's note becomes pending_cosign."""
    actor = _actor(request)
    note = selectors.note_get(actor, note_id, action="note.sign")
    expected = _precondition(if_match)
    if isinstance(expected, Status):
        return expected
    return _answer(
        lambda: services.note_sign(actor, note, expected_version=expected), note_out, response=response
    )


@router.post(
    "/notes/{note_id}/addenda",
    response={201: AddendumOut, 409: ErrorOut, 422: ErrorOut},
    url_name="note_addenda",
)
def addendum_create(request: HttpRequest, note_id: int, payload: AddendumIn) -> Status[dict[str, Any]]:
    """Add an addendum to a signed note (the note itself does not change)."""
    actor = _actor(request)
    note = selectors.note_get(actor, note_id, action="note.addendum")
    if not note.is_signed:
        return _error(409, "A draft has no addenda: save the draft itself.")
    return _answer(lambda: services.addendum_add(actor, note, payload.text), _addendum_out, status=201)


@router.post("/notes/{note_id}/cosign", response={200: NoteOut, 409: ErrorOut}, url_name="note_cosign")
def note_cosign(request: HttpRequest, note_id: int) -> Status[dict[str, Any]]:
    """Co-sign a trainee's signed note (a supervisor on the client's care team; once)."""
    actor = _actor(request)
    note = selectors.note_get(actor, note_id, action="note.cosign")
    return _answer(lambda: services.note_cosign(actor, note), note_out)
