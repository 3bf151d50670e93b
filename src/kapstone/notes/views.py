"""Pages for notes. Thin: a selector reads (scoped, audited, 404 for not yours), a service writes.

Statuses: a stale draft save is 409 with both versions (the person's text kept in the form); any
attempt to change a signed note is 409 with the way forward (an addendum); a form the service
refuses is 400 with the reasons, the typed text kept.
"""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapstone.access.decorators import requires
from kapstone.access.policy import allows
from kapstone.accounts.models import User
from kapstone.care.models import CareSession
from kapstone.clients.selectors import client_get
from kapstone.core.contract import Stale
from kapstone.core.forms import add_service_errors
from kapstone.core.http import AuthenticatedRequest
from kapstone.core.localtime import format_datetime
from kapstone.notes import returns, selectors, services
from kapstone.notes.definitions import get_template
from kapstone.notes.forms import (
    AddendumForm,
    GrantForm,
    NewNoteForm,
    NoteEditorForm,
    PsychNoteForm,
    ReturnForm,
    field_name,
)
from kapstone.notes.models import ProgressNote
from kapstone.notes.psychvault import read_body
from kapstone.notes.sealing import SealingError


def _sessions_of(client_pk: int) -> list[tuple[int, str]]:
    sessions = CareSession.objects.filter(client_id=client_pk).order_by(
        "-started_at", "-scheduled_at", "-pk"
    )[:50]
    shown = []
    for s in sessions:
        moment = s.started_at or s.scheduled_at
        when = format_datetime(moment) if moment else "not started"
        shown.append((s.pk, f"{s.get_kind_display()} · {when}"))
    return shown


# --- Progress notes -------------------------------------------------------------------------------------


@requires("note.view")
@require_GET
def client_notes(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    actor = request.actor
    client = client_get(actor, pk, action="note.view")
    return render(
        request,
        "notes/client_notes.html",
        {
            "client": client,
            "notes": selectors.note_list(actor, client),
            "can_write": allows(actor, "note.write"),
            "can_psychnotes": allows(actor, "psychnote.read"),
        },
    )


@requires("note.write")
@require_http_methods(["GET", "POST"])
def note_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    actor = request.actor
    client = client_get(actor, pk, action="note.write")
    form = NewNoteForm(request.POST or None, sessions=_sessions_of(client.pk))
    if request.method == "POST" and form.is_valid():
        session = None
        if form.cleaned_data.get("session"):
            session = CareSession.objects.filter(pk=form.cleaned_data["session"], client=client).first()
        try:
            note = services.draft_create(actor, client, form.cleaned_data["template"], session=session)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("notes:edit", pk=note.pk)
    return render(
        request,
        "notes/new.html",
        {"client": client, "form": form},
        status=400 if request.method == "POST" else 200,
    )


def _detail_context(
    request: AuthenticatedRequest, note: ProgressNote, return_form: ReturnForm | None = None
) -> dict[str, object]:
    actor = request.actor
    return {
        "note": note,
        "client": note.client,
        "template": get_template(note.template_id, note.template_version),
        "addenda": selectors.addenda_of(note),
        "verified": services.note_verify(note) if note.is_signed else None,
        "can_edit": note.is_draft and note.author_id == actor.user_id,
        "can_sign": note.is_draft and note.author_id == actor.user_id and allows(actor, "note.sign"),
        "can_addendum": note.is_signed and allows(actor, "note.addendum"),
        "can_cosign": note.status == ProgressNote.Status.PENDING_COSIGN and selectors.may_cosign(actor, note),
        "signs_as_trainee": services.signs_as_trainee(actor),
        "returns": returns.open_returns_of(note),
        "return_form": return_form or ReturnForm(),
    }


@requires("note.view")
@require_GET
def note_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    note = selectors.note_get(request.actor, pk)
    return render(request, "notes/detail.html", _detail_context(request, note))


def _locked(
    request: AuthenticatedRequest, note: ProgressNote, message: str, typed: dict[str, str] | None = None
) -> HttpResponse:
    """409: the note is signed. Whatever the person typed is shown back, to copy into an addendum."""
    template = get_template(note.template_id, note.template_version)
    typed_rows = [(s.label, typed.get(s.key, "")) for s in template.sections] if typed else []
    return render(
        request,
        "notes/locked.html",
        {
            "note": note,
            "client": note.client,
            "message": message,
            "typed": typed_rows,
            "can_addendum": allows(request.actor, "note.addendum"),
        },
        status=409,
    )


@requires("note.write")
@require_http_methods(["GET", "POST"])
def note_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The draft editor. Plain form first; with htmx it also autosaves (a small status fragment)."""
    actor = request.actor
    note = selectors.note_get(actor, pk, action="note.write")
    template = get_template(note.template_id, note.template_version)
    if request.method == "GET":
        if not note.is_draft:
            return _locked(request, note, "This note is signed and can no longer be edited.")
        form = NoteEditorForm(template, initial=NoteEditorForm.initial_for(note.sections, note.version))
        return render(request, "notes/edit.html", _editor_context(request, note, form))

    form = NoteEditorForm(template, request.POST)
    autosave = bool(request.htmx)
    if not form.is_valid():
        if not note.is_draft:
            return _locked(request, note, str(services.NoteLocked(note)), form.typed_sections())
        return _editor_response(request, note, form, autosave, status=400)
    signing = request.POST.get("action") == "sign" and not autosave
    version = form.cleaned_data["version"]
    try:
        if signing:
            note = services.note_sign(actor, note, expected_version=version, sections=form.sections())
        else:
            note = services.draft_save(actor, note, form.sections(), expected_version=version)
    except services.NoteLocked as exc:
        if autosave:
            return render(request, "notes/_autosave.html", {"locked": True, "message": str(exc)})
        return _locked(request, exc.note, str(exc), form.sections())
    except Stale as exc:
        return _stale_editor(request, note, exc, autosave)
    except ValidationError as exc:
        # A sign refused (e.g. an empty required section): the text was saved first; show it.
        saved = ProgressNote.objects.get(pk=note.pk)
        if signing and saved.version != version:
            form = _editor_form_at(request, note, saved.version)
        _add_section_errors(form, exc)
        return _editor_response(request, saved, form, autosave, status=400)
    return _note_saved(request, note, signing=signing, autosave=autosave)


def _editor_form_at(request: AuthenticatedRequest, note: ProgressNote, version: int) -> NoteEditorForm:
    """The person's posted text in a form that names ``version`` (the one saved now)."""
    data = request.POST.copy()
    data["version"] = str(version)
    form = NoteEditorForm(get_template(note.template_id, note.template_version), data)
    form.is_valid()
    return form


def _stale_editor(
    request: AuthenticatedRequest, note: ProgressNote, exc: Stale, autosave: bool
) -> HttpResponse:
    """409: nothing was overwritten. The person's text stays in the form; from now on the form
    names the saved version, so saving again (after merging what they need from the saved text
    shown beside it) is a deliberate choice."""
    current = cast(ProgressNote, exc.current)
    if autosave:
        return render(request, "notes/_autosave.html", {"conflict": current})
    form = _editor_form_at(request, note, current.version)
    form.add_error(
        None,
        f"{exc} Nothing was overwritten: your text is kept in the form below and the "
        "saved version is shown above it. Merge what you need, then save again.",
    )
    return render(
        request, "notes/edit.html", _editor_context(request, note, form, conflict=current), status=409
    )


def _note_saved(
    request: AuthenticatedRequest, note: ProgressNote, *, signing: bool, autosave: bool
) -> HttpResponse:
    if autosave:
        return render(request, "notes/_autosave.html", {"note": note})
    if signing:
        if note.status == ProgressNote.Status.PENDING_COSIGN:
            messages.success(request, "Signed. The note now waits for your supervisor's co-sign.")
        else:
            messages.success(request, "Signed. From now on the note changes only by addendum.")
        return redirect("notes:detail", pk=note.pk)
    messages.success(request, f"Draft saved (version {note.version}).")
    return redirect("notes:edit", pk=note.pk)


def _add_section_errors(form: NoteEditorForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for key, errors in exc.message_dict.items():
            name = field_name(key)
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _editor_context(
    request: AuthenticatedRequest,
    note: ProgressNote,
    form: NoteEditorForm,
    conflict: ProgressNote | None = None,
) -> dict[str, object]:
    template = get_template(note.template_id, note.template_version)
    return {
        "note": note,
        "client": note.client,
        "form": form,
        "template": template,
        "conflict": conflict,
        "conflict_rows": [(s.label, conflict.sections.get(s.key, "")) for s in template.sections]
        if conflict
        else [],
        "signs_as_trainee": services.signs_as_trainee(request.actor),
    }


def _editor_response(
    request: AuthenticatedRequest, note: ProgressNote, form: NoteEditorForm, autosave: bool, status: int
) -> HttpResponse:
    if autosave:
        return render(request, "notes/_autosave.html", {"invalid": True})
    return render(request, "notes/edit.html", _editor_context(request, note, form), status=status)


@requires("note.sign")
@require_POST
def note_sign(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    actor = request.actor
    note = selectors.note_get(actor, pk, action="note.sign")
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = 0
    try:
        note = services.note_sign(actor, note, expected_version=version)
    except services.NoteLocked as exc:
        return _locked(request, exc.note, str(exc))
    except Stale:
        messages.error(request, "The draft changed since you opened it: check it, then sign again.")
        return redirect("notes:edit", pk=note.pk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("notes:edit", pk=note.pk)
    messages.success(
        request,
        "Signed."
        if note.status == ProgressNote.Status.SIGNED
        else "Signed. The note now waits for your supervisor's co-sign.",
    )
    return redirect("notes:detail", pk=note.pk)


@requires("note.addendum")
@require_http_methods(["GET", "POST"])
def note_addendum(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    actor = request.actor
    note = selectors.note_get(actor, pk, action="note.addendum")
    form = AddendumForm(request.POST or None)
    if not note.is_signed:
        return render(
            request, "notes/addendum.html", {"note": note, "client": note.client, "form": None}, status=409
        )
    if request.method == "POST" and form.is_valid():
        try:
            services.addendum_add(actor, note, form.cleaned_data["text"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Addendum added. The signed note is unchanged.")
            return redirect(reverse("notes:detail", kwargs={"pk": note.pk}) + "#addenda")
    return render(
        request,
        "notes/addendum.html",
        {"note": note, "client": note.client, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@requires("note.cosign")
@require_POST
def note_cosign(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    actor = request.actor
    note = selectors.note_get(actor, pk, action="note.cosign")
    try:
        services.note_cosign(actor, note)
    except services.NoteLocked as exc:
        return _locked(request, exc.note, str(exc))
    messages.success(request, f"Co-signed {note.author.full_name}'s note.")
    return redirect("notes:detail", pk=note.pk)


@requires("note.cosign")
@require_POST
def note_return(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Return a trainee's note with comments; they answer by addendum, the note stays unco-signed."""
    actor = request.actor
    note = selectors.note_get(actor, pk, action="note.cosign")
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            returns.note_return(actor, note, comment=form.cleaned_data["comment"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Returned to {note.author.full_name} with your comments.")
            return redirect("notes:detail", pk=note.pk)
    return render(request, "notes/detail.html", _detail_context(request, note, form), status=422)


@requires("note.cosign")
@require_GET
def cosign_queue(request: AuthenticatedRequest) -> HttpResponse:
    return render(request, "notes/cosign_queue.html", {"notes": selectors.cosign_queue(request.actor)})


# --- Psychotherapy notes -----------------------------------------------------------------------------------


@requires("psychnote.read")
@require_GET
def psychnote_list(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    actor = request.actor
    client = client_get(actor, pk, action="psychnote.read")
    return render(
        request,
        "notes/psychnote_list.html",
        {
            "client": client,
            "rows": selectors.psychnote_list(actor, client),
            "can_write": allows(actor, "psychnote.write"),
            "can_grant": allows(actor, "psychnote.grant"),
        },
    )


@requires("psychnote.write")
@require_http_methods(["GET", "POST"])
def psychnote_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    actor = request.actor
    client = client_get(actor, pk, action="psychnote.write")
    form = PsychNoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            note = services.psychnote_create(actor, client, form.cleaned_data["body"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Psychotherapy note saved. Only you can read it.")
            return redirect("notes:psychnote_detail", pk=note.pk)
    return render(
        request,
        "notes/psychnote_form.html",
        {"client": client, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@requires("psychnote.read")
@require_GET
def psychnote_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    note, grant = selectors.psychnote_get(request.actor, pk)
    try:
        body, problem = read_body(note), ""
    except SealingError as exc:  # the key is missing or the row was altered: say so, show nothing
        body, problem = "", str(exc)
    context = {"note": note, "client": note.client, "grant": grant, "body": body, "problem": problem}
    return render(request, "notes/psychnote_detail.html", context, status=503 if problem else 200)


@requires("psychnote.grant")
@require_http_methods(["GET", "POST"])
def psychnote_grants(request: AuthenticatedRequest) -> HttpResponse:
    actor = request.actor
    supervisors = services.supervisors_for_grants(actor)
    mine = list(selectors.my_psychnotes(actor)[:200])
    form = GrantForm(
        request.POST or None,
        supervisors=[(u.pk, u.full_name) for u in supervisors],
        notes=[(n.pk, f"{n.client.display_name}, {format_datetime(n.created_at)}") for n in mine],
    )
    if request.method == "POST" and form.is_valid():
        supervisor = User.objects.get(pk=form.cleaned_data["supervisor"])
        note_pk = form.cleaned_data.get("note")
        note = next((n for n in mine if n.pk == note_pk), None) if note_pk else None
        try:
            services.psychnote_grant(actor, supervisor, note=note)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"{supervisor.full_name} can now read {'that note' if note else 'your notes'} "
                "for supervision. Each read is audited; revoke it here at any time.",
            )
            return redirect("notes:psychnote_grants")
    return render(
        request,
        "notes/psychnote_grants.html",
        {
            "form": form,
            "grants": selectors.grants_given(actor),
            "has_supervisors": bool(supervisors),
        },
        status=400 if request.method == "POST" else 200,
    )


@requires("psychnote.grant")
@require_POST
def psychnote_revoke(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    grant = selectors.grant_get(request.actor, pk)
    services.psychnote_revoke(request.actor, grant)
    messages.success(request, "Access revoked.")
    return redirect("notes:psychnote_grants")
