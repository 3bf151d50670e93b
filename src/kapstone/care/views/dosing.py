"""The live dosing room. Entries answer htmx with the entry form (fresh, or with its errors and
what was typed) plus out-of-band fragments: alerts, what is due, the charts and the timeline.
Without JavaScript every form still posts and redirects back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from kapstone.access.decorators import one_transaction, requires
from kapstone.access.policy import allows
from kapstone.care import charts, selectors, services
from kapstone.care.forms import (
    AdverseEventForm,
    AlertAckForm,
    DischargeForm,
    DoseForm,
    InfusionEndForm,
    InterventionForm,
    PreDoseForm,
    RatingForm,
    VitalsForm,
)
from kapstone.care.models import CareSession
from kapstone.core.contract import Stale
from kapstone.core.forms import add_service_errors
from kapstone.core.http import AuthenticatedRequest

ENTRY_ERROR = 422  # an entry the service refused: the form comes back with the field named


def board_panels(board: selectors.DosingBoard) -> list[charts.Panel]:
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
        panels=board_panels(board),
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
        except Stale:
            form.add_error(None, "Someone else started or changed this session: reload the page.")
            status = 409
        except services.NotReady as exc:
            form.add_error(None, exc.reason)
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
        except Stale:
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
            amount_mg=form.cleaned_data["amount_mg"],
            unit=form.cleaned_data["unit"],
            route=form.cleaned_data["route"],
            tier=form.cleaned_data["tier"],
            formulation=form.cleaned_data["formulation"],
            lot=form.cleaned_data["lot"],
            given_at=form.cleaned_data["given_at"],
            given_by=form.team.get(form.cleaned_data["given_by"] or ""),
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
        dose = services.infusion_end_record(request.actor, session, ended_at=form.cleaned_data["ended_at"])
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
            request.actor,
            session,
            moaas=form.cleaned_data["moaas"],
            dissociation_scale=form.cleaned_data["dissociation_scale"],
            dissociation_score=form.cleaned_data["dissociation_score"],
            emotional_state=form.cleaned_data["emotional_state"],
            note=form.cleaned_data["note"],
            taken_at=form.cleaned_data["taken_at"],
            idempotency_key=_key(form),
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
            request.actor,
            session,
            kind=form.cleaned_data["kind"],
            description=form.cleaned_data["description"],
            at=form.cleaned_data["at"],
            idempotency_key=_key(form),
        )
        return f"{row.get_kind_display()} saved at {_hm(row.at)}."

    return _entry(request, pk, "intervention", lambda s, d: InterventionForm(d), save)


@requires("dosing.record")
@require_POST
@one_transaction
def adverse_event(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    def save(session: CareSession, form: AdverseEventForm) -> str:
        row, _ = services.adverse_event_record(
            request.actor,
            session,
            term=form.cleaned_data["term"],
            severity=form.cleaned_data["severity"],
            serious=form.cleaned_data["serious"],
            action_taken=form.cleaned_data["action_taken"],
            outcome=form.cleaned_data["outcome"],
            relatedness=form.cleaned_data["relatedness"],
            rems_report=form.cleaned_data["rems_report"],
            description=form.cleaned_data["description"],
            onset_at=form.cleaned_data["onset_at"],
            idempotency_key=_key(form),
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
