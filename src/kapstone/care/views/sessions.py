"""Pages for one session: its detail, and the preparation and integration session forms, start and
cancel."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapstone.access.decorators import requires
from kapstone.access.policy import allows
from kapstone.care import selectors, services
from kapstone.care.forms import (
    CancelForm,
    IntegrationForm,
    PreparationForm,
)
from kapstone.care.models import CareSession
from kapstone.care.views.room import board_panels
from kapstone.core.contract import Stale
from kapstone.core.forms import add_service_errors
from kapstone.core.http import AuthenticatedRequest


@requires("course.view")
@require_GET
def session_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    session = selectors.session_get(request.actor, pk)
    context: dict[str, Any] = {
        "session": session,
        "course": session.course,
        "client": session.client,
        "can_manage": allows(request.actor, "course.manage"),
        "can_dose": allows(request.actor, "dosing.record"),
        "can_print": allows(request.actor, "care.print"),
    }
    if session.kind == CareSession.Kind.DOSING and session.started_at:
        board = selectors.dosing_board(session)
        context.update(
            board=board, panels=board_panels(board), can_ack=allows(request.actor, "alert.acknowledge")
        )
    return render(request, "care/session.html", context)


def _detail_initial(session: CareSession) -> dict[str, Any]:
    if session.kind == CareSession.Kind.PREPARATION:
        d = session.preparation
        initial = {name: getattr(d, name) for name in services.PREPARATION_FIELDS}
        initial["psychoeducation"] = [k for k, v in d.psychoeducation.items() if v]
    else:
        i = session.integration
        initial = {name: getattr(i, name) for name in services.INTEGRATION_FIELDS}
        initial.update(themes=", ".join(i.themes), modalities=i.modalities, measures_due=i.measures_due)
    initial["version"] = session.version
    return initial


def _record(request: AuthenticatedRequest, session: CareSession, form: Any, *, complete: bool) -> None:
    """Save a preparation or integration form through its service, the form's fields passed by name."""
    data, version = form.cleaned_data, form.cleaned_data.get("version") or 0
    if session.kind == CareSession.Kind.PREPARATION:
        fields = {name: data[name] for name in services.PREPARATION_FIELDS}
        entry = services.PreparationInput(**fields, psychoeducation=tuple(data["psychoeducation"]))
        services.preparation_record(
            request.actor, session, entry=entry, expected_version=version, complete=complete
        )
        return
    texts = {name: data[name] for name in services.INTEGRATION_FIELDS}
    integration = services.IntegrationInput(
        **texts,
        themes=data["themes"],
        modalities=tuple(data["modalities"]),
        measures_due=tuple(data["measures_due"]),
    )
    services.integration_record(
        request.actor, session, entry=integration, expected_version=version, complete=complete
    )


@requires("course.manage")
@require_http_methods(["GET", "POST"])
def session_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    session = selectors.session_get(request.actor, pk, action="course.manage")
    if session.kind not in (CareSession.Kind.PREPARATION, CareSession.Kind.INTEGRATION):
        raise Http404
    form_class = PreparationForm if session.kind == CareSession.Kind.PREPARATION else IntegrationForm
    form = form_class(request.POST or None, initial=_detail_initial(session))
    conflict = None
    status = 200
    if request.method == "POST" and form.is_valid():
        complete = "complete" in request.POST
        try:
            _record(request, session, form, complete=complete)
        except Stale as exc:
            conflict = exc.current
            status = 409
            form.add_error(None, str(exc) + " What you typed is kept; the saved version is shown beside it.")
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Session completed." if complete else "Saved.")
            if complete:
                return redirect("care:course", pk=session.course_id)
            return redirect("care:session_edit", pk=session.pk)
    saved = _detail_initial(CareSession.objects.get(pk=session.pk)) if conflict is not None else None
    dosing = session.follows
    return render(
        request,
        "care/session_edit.html",
        {
            "session": session,
            "course": session.course,
            "client": session.client,
            "form": form,
            "conflict": conflict,
            "saved": saved,
            "dosing": dosing,
            "readiness": services.readiness_for(session.client)
            if session.kind == CareSession.Kind.PREPARATION
            else None,
        },
        status=status,
    )


@requires("course.manage")
@require_POST
def session_start(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    session = selectors.session_get(request.actor, pk, action="course.manage")
    try:
        services.session_start(request.actor, session)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("care:course", pk=session.course_id)
    return redirect("care:session_edit", pk=session.pk)


@requires("course.manage")
@require_POST
def session_cancel(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    session = selectors.session_get(request.actor, pk, action="course.manage")
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            services.session_cancel(request.actor, session, form.cleaned_data["reason"])
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, "Session cancelled.")
    else:
        messages.error(request, "Say why the session is cancelled.")
    return redirect("care:course", pk=session.course_id)
