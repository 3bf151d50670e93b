"""Pages for a client's courses: start one, see it, edit it, schedule its sessions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from kapstone.access.decorators import requires
from kapstone.access.policy import allows
from kapstone.care import selectors, services
from kapstone.care.forms import (
    CourseEditForm,
    CourseStartForm,
    ScheduleForm,
)
from kapstone.care.models import CareSession
from kapstone.care.views.protocols import ensure_protocols
from kapstone.clients.selectors import client_get
from kapstone.core.contract import Stale
from kapstone.core.forms import add_service_errors
from kapstone.core.http import AuthenticatedRequest


def _prescribers(client: Any) -> list[Any]:
    return [m.user for m in client.care_team.filter(team_role="prescriber").select_related("user")]


@requires("course.view")
@require_GET
def client_courses(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    client = client_get(request.actor, pk, action="course.view")
    courses = selectors.client_courses(client)
    return render(
        request,
        "care/client_courses.html",
        {"client": client, "courses": courses, "can_manage": allows(request.actor, "course.manage")},
    )


@requires("course.manage")
@require_http_methods(["GET", "POST"])
def course_start(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    client = client_get(request.actor, pk, action="course.manage")
    ensure_protocols(request)
    prescribers = _prescribers(client)
    form = CourseStartForm(
        request.POST or None,
        protocols=selectors.protocols_current(client.organization_id),
        prescribers=prescribers,
    )
    if request.method == "POST" and form.is_valid():
        chosen = {str(u.pk): u for u in prescribers}.get(form.cleaned_data.get("prescriber") or "")
        try:
            course = services.course_start(
                request.actor,
                client,
                form.cleaned_data["protocol"],
                indication=form.cleaned_data["indication"],
                goals=form.cleaned_data["goals"],
                prescriber=chosen,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Course started.")
            return redirect("care:course", pk=course.pk)
    return render(request, "care/course_start.html", {"client": client, "form": form})


@requires("course.view")
@require_GET
def course_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    course = selectors.course_get(request.actor, pk)
    overview = selectors.course_overview(course)
    return render(
        request,
        "care/course.html",
        {
            "course": course,
            "client": course.client,
            "o": overview,
            "can_manage": allows(request.actor, "course.manage"),
            "can_dose": allows(request.actor, "dosing.record"),
            "can_print": allows(request.actor, "care.print"),
        },
    )


@requires("course.manage")
@require_http_methods(["GET", "POST"])
def course_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    course = selectors.course_get(request.actor, pk, action="course.manage")
    initial = {
        "status": course.status,
        "indication": course.indication,
        "goals": course.goals,
        "end_reason": course.end_reason,
        "version": course.version,
    }
    form = CourseEditForm(request.POST or None, initial=initial)
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            data = form.cleaned_data
            services.course_update(
                request.actor,
                course,
                expected_version=data.get("version") or 0,
                status=data["status"],
                indication=data["indication"],
                goals=data["goals"],
                end_reason=data["end_reason"],
            )
        except Stale as exc:
            conflict = exc.current
            form.add_error(
                None, str(exc) + " Your version is kept below; the saved version is shown beside it."
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Course saved.")
            return redirect("care:course", pk=course.pk)
    return render(
        request,
        "care/course_edit.html",
        {"course": course, "client": course.client, "form": form, "conflict": conflict},
        status=409 if conflict is not None else 200,
    )


@requires("course.manage")
@require_http_methods(["GET", "POST"])
def session_new(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    course = selectors.course_get(request.actor, pk, action="course.manage")
    dosing = list(
        course.sessions.filter(kind=CareSession.Kind.DOSING).exclude(status=CareSession.Status.CANCELLED)
    )
    initial = {"kind": request.GET.get("kind", ""), "follows": request.GET.get("follows", "")}
    form = ScheduleForm(request.POST or None, dosing_sessions=dosing, initial=initial)
    missing: list[str] = []
    if request.method == "POST" and form.is_valid():
        follows = {str(s.pk): s for s in dosing}.get(form.cleaned_data.get("follows") or "")
        try:
            session = services.session_schedule(
                request.actor,
                course,
                form.cleaned_data["kind"],
                form.cleaned_data["scheduled_at"],
                location=form.cleaned_data["location"],
                follows=follows,
                interval_justification=form.cleaned_data.get("interval_justification") or "",
            )
        except services.NotReady as exc:
            missing = exc.missing
            form.add_error(None, "The client is not ready for a dosing session; see what is missing below.")
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{session.get_kind_display()} session scheduled.")
            return redirect("care:course", pk=course.pk)
    return render(
        request,
        "care/session_new.html",
        {"course": course, "client": course.client, "form": form, "missing": missing},
    )
