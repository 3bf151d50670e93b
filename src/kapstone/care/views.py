"""Pages for protocols, courses and sessions, and the live dosing room. Thin: a selector reads, a
service writes, a template shows. Dosing-room entries answer htmx with the entry form (fresh, or
with its errors and what was typed) plus out-of-band fragments: alerts, what is due, the charts and
the timeline. Without JavaScript every form still posts and redirects back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapstone.access.decorators import one_transaction, requires
from kapstone.access.policy import allows
from kapstone.care import catalog, charts, pdf, selectors, services
from kapstone.care.forms import (
    AdverseEventForm,
    AlertAckForm,
    CancelForm,
    CourseEditForm,
    CourseStartForm,
    DischargeForm,
    DoseForm,
    InfusionEndForm,
    IntegrationForm,
    InterventionForm,
    PreDoseForm,
    PreparationForm,
    ProtocolEditForm,
    RatingForm,
    ScheduleForm,
    VitalsForm,
)
from kapstone.care.models import CareSession, Course
from kapstone.clients.selectors import client_get
from kapstone.core.forms import add_service_errors
from kapstone.core.http import AuthenticatedRequest

ENTRY_ERROR = 422  # an entry the service refused: the form comes back with the field named


def _ensure_protocols(request: AuthenticatedRequest) -> None:
    """The shipped templates are installed in an organization the first time anyone needs them."""
    organization = request.actor.organization
    if organization is not None and not organization.protocol_versions.exists():
        services.protocols_install_shipped(request.actor, organization)


# --------------------------------------------------------------------------------------------------
# Protocols
# --------------------------------------------------------------------------------------------------


@requires("protocol.view")
@require_GET
def protocol_list(request: AuthenticatedRequest) -> HttpResponse:
    _ensure_protocols(request)
    versions = (
        selectors.protocols_visible(request.actor)
        .select_related("created_by")
        .order_by("protocol_id", "-created_at")
    )
    return render(
        request,
        "care/protocols.html",
        {"versions": versions, "can_edit": allows(request.actor, "protocol.edit")},
    )


@requires("protocol.view")
@require_GET
def protocol_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    pv = selectors.protocol_get(request.actor, pk)
    protocol = catalog.parse_stored(pv.text, str(pv))
    return render(
        request,
        "care/protocol.html",
        {
            "pv": pv,
            "p": protocol,
            "courses": pv.courses.count(),
            "can_edit": allows(request.actor, "protocol.edit"),
        },
    )


@requires("protocol.edit")
@require_http_methods(["GET", "POST"])
def protocol_new_version(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    base = selectors.protocol_get(request.actor, pk)
    form = ProtocolEditForm(request.POST or None, initial={"text": base.text})
    if request.method == "POST" and form.is_valid():
        assert request.actor.organization is not None
        try:
            pv = services.protocol_version_create(
                request.actor,
                request.actor.organization,
                form.cleaned_data["text"],
                note=form.cleaned_data["note"],
                based_on=base,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Saved {pv.protocol_id} version {pv.version}. New courses use it.")
            return redirect("care:protocol", pk=pv.pk)
    return render(request, "care/protocol_edit.html", {"base": base, "form": form})


# --------------------------------------------------------------------------------------------------
# Courses
# --------------------------------------------------------------------------------------------------


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
    _ensure_protocols(request)
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
            services.course_update(
                request.actor,
                course,
                form.cleaned_data,
                expected_version=form.cleaned_data.get("version") or 0,
            )
        except services.StaleEdit as exc:
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


# --------------------------------------------------------------------------------------------------
# Preparation and integration sessions
# --------------------------------------------------------------------------------------------------


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
        context.update(board=board, panels=_panels(board), can_ack=allows(request.actor, "alert.acknowledge"))
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


@requires("course.manage")
@require_http_methods(["GET", "POST"])
def session_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    session = selectors.session_get(request.actor, pk, action="course.manage")
    if session.kind not in (CareSession.Kind.PREPARATION, CareSession.Kind.INTEGRATION):
        raise Http404
    form_class = PreparationForm if session.kind == CareSession.Kind.PREPARATION else IntegrationForm
    service = (
        services.preparation_record
        if session.kind == CareSession.Kind.PREPARATION
        else services.integration_record
    )
    form = form_class(request.POST or None, initial=_detail_initial(session))
    conflict = None
    status = 200
    if request.method == "POST" and form.is_valid():
        complete = "complete" in request.POST
        try:
            service(
                request.actor,
                session,
                form.cleaned_data,
                expected_version=form.cleaned_data.get("version") or 0,
                complete=complete,
            )
        except services.StaleEdit as exc:
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


# --------------------------------------------------------------------------------------------------
# The dosing room
# --------------------------------------------------------------------------------------------------


def _panels(board: selectors.DosingBoard) -> list[charts.Panel]:
    origin = board.first_dose_at or board.session.started_at or board.now
    end = board.session.ended_at or board.now
    return charts.vitals_panels(
        board.vitals,
        origin=origin,
        end=max(end, origin),
        doses=[d.given_at for d in board.doses],
        alert_rules=board.protocol.alerts,
    )


def _team(session: CareSession) -> list[Any]:
    members = session.client.care_team.exclude(team_role="supervisor").select_related("user")
    return sorted({m.user for m in members}, key=lambda u: u.full_name)


def _dosing_context(request: AuthenticatedRequest, session: CareSession, **forms: Any) -> dict[str, Any]:
    protocol = services.protocol_of(session.course)
    context: dict[str, Any] = {
        "session": session,
        "course": session.course,
        "client": session.client,
        "detail": session.dosing,
        "protocol": protocol,
        "can_override": allows(request.actor, "dosing.override"),
        "can_ack": allows(request.actor, "alert.acknowledge"),
        "can_print": allows(request.actor, "care.print"),
        "queue_scope": f"dosing-{session.pk}",
    }
    if session.status == CareSession.Status.SCHEDULED:
        readiness = services.readiness_for(session.client, dosing_now=True)
        feedback = [
            s.integration.prescriber_feedback
            for s in session.course.sessions.filter(
                kind=CareSession.Kind.INTEGRATION, status=CareSession.Status.COMPLETED
            ).select_related("integration")
            if s.integration.prescriber_feedback
        ]
        context.update(
            readiness=readiness,
            feedback=feedback[-3:],
            predose=forms.get("predose") or _predose_form(session, protocol),
            go=forms.get("go"),
            preparations_done=services.preparations_done(session.course),
            preparations_needed=int(protocol.phases.preparation_sessions_before_first_dose.value),
        )
        return context
    board = selectors.dosing_board(session)
    team = _team(session)
    context.update(
        board=board,
        panels=_panels(board),
        vitals_form=forms.get("vitals") or VitalsForm(protocol=protocol),
        rating_form=forms.get("rating") or RatingForm(),
        intervention_form=forms.get("intervention") or InterventionForm(),
        ae_form=forms.get("ae") or AdverseEventForm(),
        dose_form=forms.get("dose") or DoseForm(protocol=protocol, team=team),
        infusion_form=forms.get("infusion") or InfusionEndForm(),
        running_infusion=next(
            (d for d in board.doses if d.infusion_started_at and not d.infusion_ended_at), None
        ),
        discharge_form=forms.get("discharge")
        or DischargeForm(protocol=protocol, initial={"version": session.version}),
        ack_forms=forms.get("ack_forms") or {},
        saved=forms.get("saved"),
        live=session.status == CareSession.Status.IN_PROGRESS,
    )
    return context


def _predose_form(session: CareSession, protocol: Any, data: Any = None) -> PreDoseForm:
    intake = getattr(session.client, "intake", None)
    weight = getattr(intake, "weight_kg", None) if intake is not None else None
    return PreDoseForm(data, protocol=protocol, initial={"version": session.version, "weight_kg": weight})


@requires("dosing.record")
@require_GET
def dosing_room(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    session = selectors.session_get(request.actor, pk, action="dosing.record")
    if session.kind != CareSession.Kind.DOSING:
        raise Http404
    return render(request, "care/dosing.html", _dosing_context(request, session))


@requires("dosing.record")
@require_POST
def dosing_start(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    session = selectors.session_get(request.actor, pk, action="dosing.record")
    if session.kind != CareSession.Kind.DOSING:
        raise Http404
    protocol = services.protocol_of(session.course)
    form = _predose_form(session, protocol, request.POST)
    go = None
    status = ENTRY_ERROR
    if form.is_valid():
        try:
            started = services.dosing_start(
                request.actor,
                session,
                form.cleaned_data,
                expected_version=form.cleaned_data.get("version") or 0,
                justification=form.cleaned_data.get("justification") or "",
            )
        except services.StaleEdit:
            form.add_error(None, "Someone else started or changed this session: reload the page.")
            status = 409
        except services.NotReady as exc:
            form.add_error(None, exc.messages[0])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if started.started:
                messages.success(request, f"Go: dosing session {session.number} started. Give the dose.")
                return redirect("care:dosing", pk=session.pk)
            go = started.result
            status = 200
    return render(
        request, "care/dosing.html", _dosing_context(request, session, predose=form, go=go), status=status
    )


def _entry(
    request: AuthenticatedRequest,
    pk: int,
    name: str,
    make_form: Callable[[CareSession, Any], Any],
    save: Callable[[CareSession, Any], str],
) -> HttpResponse:
    """One dosing-room entry: validate, call the service, answer htmx with the form (fresh or with
    errors) plus out-of-band board fragments, or redirect a plain form post back to the room."""
    session = selectors.session_get(request.actor, pk, action="dosing.record")
    if session.kind != CareSession.Kind.DOSING:
        raise Http404
    form = make_form(session, request.POST)
    saved = ""
    status = ENTRY_ERROR
    if form.is_valid():
        try:
            saved = save(session, form)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except services.StaleEdit:
            form.add_error(None, "Someone else changed this session: reload the page.")
            status = 409
        else:
            status = 200
    if status == 200 and not request.htmx:
        messages.success(request, saved)
        return redirect("care:dosing", pk=session.pk)
    if status == 200:
        form = make_form(session, None)
    session.refresh_from_db()
    context = _dosing_context(request, session, **{name: form, "saved": saved})
    if not request.htmx:
        return render(request, "care/dosing.html", context, status=status)
    context["entry"] = name
    return render(request, "care/dosing/_entry_response.html", context, status=status)


def _key(form: Any) -> str:
    return str(form.cleaned_data.get("idempotency_key") or "")


@requires("dosing.record")
@require_POST
def dose(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    def make(session: CareSession, data: Any) -> DoseForm:
        return DoseForm(data, protocol=services.protocol_of(session.course), team=_team(session))

    def save(session: CareSession, form: DoseForm) -> str:
        row, _ = services.dose_record(
            request.actor,
            session,
            form.service_data(),
            idempotency_key=_key(form),
            justification=form.cleaned_data.get("justification") or "",
        )
        kind = "Booster" if row.is_booster else "Dose"
        return f"{kind} saved: {float(row.amount_mg):g} mg at {_hm(row.given_at)}."

    response = _entry(request, pk, "dose", make, save)
    if response.status_code == 200 and request.htmx:
        response["HX-Refresh"] = "true"  # the room changes shape after the dose: reload it whole
    return response


@requires("dosing.record")
@require_POST
def infusion_end(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    def make(session: CareSession, data: Any) -> InfusionEndForm:
        return InfusionEndForm(data)

    def save(session: CareSession, form: InfusionEndForm) -> str:
        dose = services.infusion_end_record(request.actor, session, form.cleaned_data)
        assert dose.infusion_ended_at is not None
        return f"Infusion end saved: {_hm(dose.infusion_ended_at)}."

    return _entry(request, pk, "infusion", make, save)


def _hm(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%H:%M")


@requires("dosing.record")
@require_POST
@one_transaction
def vitals(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    def make(session: CareSession, data: Any) -> VitalsForm:
        return VitalsForm(data, protocol=services.protocol_of(session.course))

    def save(session: CareSession, form: VitalsForm) -> str:
        row, alerts, created = services.vitals_record(
            request.actor, session, form.cleaned_data, idempotency_key=_key(form)
        )
        text = f"Vitals saved at {_hm(row.taken_at)}" + ("" if created else " (already saved)")
        return text + (f"; {len(alerts)} alert(s) opened." if alerts else ".")

    return _entry(request, pk, "vitals", make, save)


@requires("dosing.record")
@require_POST
@one_transaction
def rating(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    def save(session: CareSession, form: RatingForm) -> str:
        row, alerts, _ = services.rating_record(
            request.actor, session, form.cleaned_data, idempotency_key=_key(form)
        )
        return f"Rating saved at {_hm(row.taken_at)}" + (
            f"; {len(alerts)} alert(s) opened." if alerts else "."
        )

    return _entry(request, pk, "rating", lambda s, d: RatingForm(d), save)


@requires("dosing.record")
@require_POST
@one_transaction
def intervention(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    def save(session: CareSession, form: InterventionForm) -> str:
        row, _ = services.intervention_record(
            request.actor, session, form.cleaned_data, idempotency_key=_key(form)
        )
        return f"{row.get_kind_display()} saved at {_hm(row.at)}."

    return _entry(request, pk, "intervention", lambda s, d: InterventionForm(d), save)


@requires("dosing.record")
@require_POST
@one_transaction
def adverse_event(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    def save(session: CareSession, form: AdverseEventForm) -> str:
        row, _ = services.adverse_event_record(
            request.actor, session, form.cleaned_data, idempotency_key=_key(form)
        )
        return f"Adverse event saved ({row.term.replace('_', ' ')})."

    return _entry(request, pk, "ae", lambda s, d: AdverseEventForm(d), save)


@requires("dosing.record")
@require_POST
def discharge(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    def make(session: CareSession, data: Any) -> DischargeForm:
        protocol = services.protocol_of(session.course)
        return DischargeForm(data, protocol=protocol, initial={"version": session.version})

    def save(session: CareSession, form: DischargeForm) -> str:
        services.discharge(
            request.actor, session, form.cleaned_data, expected_version=form.cleaned_data.get("version") or 0
        )
        return "Discharged. The session record is complete."

    response = _entry(request, pk, "discharge", make, save)
    if response.status_code == 200 and request.htmx:
        response["HX-Redirect"] = reverse("care:dosing", kwargs={"pk": pk})
    return response


@requires("dosing.record")
@require_GET
def board(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Out-of-band fragments for the polling refresh (what is due, charts, timeline)."""
    session = selectors.session_get(request.actor, pk, action="dosing.record")
    if session.kind != CareSession.Kind.DOSING or session.started_at is None:
        raise Http404
    context = _dosing_context(request, session)
    context["poll"] = True
    return render(request, "care/dosing/_board_oob.html", context)


@requires("alert.acknowledge")
@require_POST
def alert_acknowledge(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    alert = selectors.alert_get(request.actor, pk)
    form = AlertAckForm(request.POST)
    status = ENTRY_ERROR
    if form.is_valid():
        try:
            services.alert_acknowledge(request.actor, alert, form.cleaned_data["action_taken"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            status = 200
    session = alert.session
    if not request.htmx:
        back = "care:dosing" if allows(request.actor, "dosing.record") else "care:session"
        if status == 200:
            messages.success(request, "Alert acknowledged; your action is recorded.")
            return redirect(back, pk=session.pk)
        if back == "care:session":
            messages.error(request, "; ".join(str(e) for errors in form.errors.values() for e in errors))
            return redirect(back, pk=session.pk)
        context = _dosing_context(request, session, ack_forms={alert.pk: form})
        return render(request, "care/dosing.html", context, status=status)
    context = _dosing_context(request, session, ack_forms={} if status == 200 else {alert.pk: form})
    context["entry"] = "alerts"
    return render(request, "care/dosing/_entry_response.html", context, status=status)


# --------------------------------------------------------------------------------------------------
# Printable records
# --------------------------------------------------------------------------------------------------


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@requires("care.print")
@require_GET
def session_pdf(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    session = selectors.session_get(request.actor, pk, action="care.print")
    if session.kind != CareSession.Kind.DOSING or session.started_at is None:
        raise Http404
    board = selectors.dosing_board(session)
    return _pdf(pdf.dosing_record(board), f"dosing-session-{session.pk}.pdf")


@requires("care.print")
@require_GET
def course_pdf(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    course: Course = selectors.course_get(request.actor, pk, action="care.print")
    overview = selectors.course_overview(course)
    return _pdf(pdf.course_summary(overview), f"course-{course.pk}.pdf")
