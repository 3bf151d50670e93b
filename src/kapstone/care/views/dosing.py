"""The live dosing room. A page shows the whole room; an entry posted with htmx is answered with
its form (fresh, or with its errors and what was typed) and only what it changed, out of band: the
new timeline rows, the alerts, the charts, what is due. The 30-second poll sends the stamp it last
saw and gets 204 when nothing changed. Without JavaScript every form still posts and redirects back
(post, redirect, get), and a refused entry comes back in the whole room with the field named."""

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

from kapstone.access.decorators import requires, write_transaction
from kapstone.access.policy import allows
from kapstone.care import board as boards
from kapstone.care import selectors, services
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
from kapstone.care.models import Alert, CareSession
from kapstone.care.views.room import Saved, entry_answer, poll_answer, predose_form, room_context, team
from kapstone.core.contract import Stale
from kapstone.core.forms import add_service_errors
from kapstone.core.http import AuthenticatedRequest

ENTRY_ERROR = 422  # an entry the service refused: the form comes back with the field named


@requires("dosing.record")
@require_GET
def dosing_room(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    session = selectors.session_get(request.actor, pk, action="dosing.record")
    if session.kind != CareSession.Kind.DOSING:
        raise Http404
    return render(request, "care/dosing.html", room_context(request, session))


@requires("dosing.record")
@require_POST
def dosing_start(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    session = selectors.session_get(request.actor, pk, action="dosing.record")
    if session.kind != CareSession.Kind.DOSING:
        raise Http404
    protocol = services.protocol_of(session.course)
    form = predose_form(session, protocol, request.POST)
    go = None
    status = ENTRY_ERROR
    if form.is_valid():
        try:
            started = services.dosing_start(
                request.actor,
                session,
                checks=_predose_checks(form),
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
        request, "care/dosing.html", room_context(request, session, predose=form, go=go), status=status
    )


def _predose_checks(form: PreDoseForm) -> services.PreDoseChecks:
    """The pre-dose form's answers, typed for the service (the form's field names stay here)."""
    data = form.cleaned_data
    ticked = {name.removeprefix("attest_") for name in form.attestation_names if data.get(name)}
    return services.PreDoseChecks(
        planned_dose_at=data.get("planned_dose_at"),
        last_food_at=data.get("last_food_at"),
        last_liquid_at=data.get("last_liquid_at"),
        weight_kg=data.get("weight_kg"),
        vitals=services.vitals_from(data, data.get("symptoms") or ()),
        moaas=data.get("moaas"),
        medications_reviewed=bool(data.get("medications_reviewed")),
        same_day_medications=tuple(data.get("same_day_medications") or ()),
        attested=frozenset(ticked),
        mood_result=data.get("mood_result") or "",
        current_state={name: data.get(name) for name in services.CURRENT_STATE_FIELDS},
    )


def _entry(
    request: AuthenticatedRequest,
    pk: int,
    name: str,
    make_form: Callable[[CareSession, Any], Any],
    save: Callable[[CareSession, Any], Saved],
) -> HttpResponse:
    """One dosing-room entry. The session is found once, in the actor's scope (the write's own audit
    row covers the read), and handed to the service as found. A save redirects a plain post back to
    the room and answers htmx with what changed; a refusal keeps what was typed, by the field.

    On SQLite the entry is found, checked and written in one transaction under the writer lock, and
    its answer (the form, the new rows, the board's changed parts) is drawn after COMMIT: the next
    writer in the room does not wait while this one's answer is rendered."""
    with write_transaction():
        session = selectors.dosing_session_get(request.actor, pk)
        form = make_form(session, request.POST)
        saved: Saved | None = None
        status = ENTRY_ERROR
        if form.is_valid():
            try:
                saved = save(session, form)
            except ValidationError as exc:
                add_service_errors(form, exc)
            except Stale:
                form.add_error(None, "Someone else changed this session: reload the page.")
                status = 409
    if saved is not None and not request.htmx:
        messages.success(request, saved.message)
        return redirect("care:dosing", pk=session.pk)
    if saved is not None:
        return entry_answer(request, session, name, make_form(session, None), saved=saved)
    if request.htmx:
        return entry_answer(request, session, name, form, status=status)
    selectors.session_read(request.actor, session, action="dosing.record")
    session.refresh_from_db()
    context = room_context(request, session, **{name: form})
    return render(request, "care/dosing.html", context, status=status)


def _saved(message: str, created: bool, row: boards.TimelineEntry, alerts: Any = (), *parts: str) -> Saved:
    """A saved entry's answer: its timeline row and any alerts it opened, new on the board unless the
    entry was already saved (a retry: the board has them), and the board's parts it changed."""
    if not created:
        return Saved(message)
    rows = (row, *(boards.alert_row(a) for a in alerts))
    return Saved(message, rows, frozenset(parts) | ({boards.ALERTS} if alerts else frozenset()))


def _key(form: Any) -> str:
    return str(form.cleaned_data.get("idempotency_key") or "")


@requires("dosing.record")
@require_POST
def dose(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    def make(session: CareSession, data: Any) -> DoseForm:
        return DoseForm(data, protocol=services.protocol_of(session.course), team=team(session))

    def save(session: CareSession, form: DoseForm) -> Saved:
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
        return Saved(f"{kind} saved: {float(row.amount_mg):g} mg at {_hm(row.given_at)}.")

    response = _entry(request, pk, "dose", make, save)
    if response.status_code == 200 and request.htmx:
        response["HX-Refresh"] = "true"  # the room changes shape after the dose: reload it whole
    return response


@requires("dosing.record")
@require_POST
def infusion_end(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    def make(session: CareSession, data: Any) -> InfusionEndForm:
        return InfusionEndForm(data)

    def save(session: CareSession, form: InfusionEndForm) -> Saved:
        dose = services.infusion_end_record(request.actor, session, ended_at=form.cleaned_data["ended_at"])
        assert dose.infusion_ended_at is not None
        return Saved(f"Infusion end saved: {_hm(dose.infusion_ended_at)}.")

    return _entry(request, pk, "infusion", make, save)


def _hm(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%H:%M")


@requires("dosing.record")
@require_POST
def vitals(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    def make(session: CareSession, data: Any) -> VitalsForm:
        return VitalsForm(data, protocol=services.protocol_of(session.course))

    def save(session: CareSession, form: VitalsForm) -> Saved:
        data = form.cleaned_data
        row, alerts, created = services.vitals_record(
            actor=request.actor,
            session=session,
            reading=services.vitals_from(data, data.get("symptoms") or ()),
            taken_at=data.get("taken_at"),
            note=data.get("note") or "",
            idempotency_key=_key(form),
        )
        text = f"Vitals saved at {_hm(row.taken_at)}" + ("" if created else " (already saved)")
        text += f"; {len(alerts)} alert(s) opened." if alerts else "."
        return _saved(text, created, boards.vitals_row(row), alerts, boards.CHARTS, boards.DUE)

    return _entry(request, pk, "vitals", make, save)


@requires("dosing.record")
@require_POST
def rating(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    def save(session: CareSession, form: RatingForm) -> Saved:
        row, alerts, created = services.rating_record(
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
        text = f"Rating saved at {_hm(row.taken_at)}" + (
            f"; {len(alerts)} alert(s) opened." if alerts else "."
        )
        return _saved(text, created, boards.rating_row(row), alerts, boards.DUE)

    return _entry(request, pk, "rating", lambda s, d: RatingForm(d), save)


@requires("dosing.record")
@require_POST
def intervention(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    def save(session: CareSession, form: InterventionForm) -> Saved:
        row, created = services.intervention_record(
            request.actor,
            session,
            kind=form.cleaned_data["kind"],
            description=form.cleaned_data["description"],
            at=form.cleaned_data["at"],
            idempotency_key=_key(form),
        )
        return _saved(
            f"{row.get_kind_display()} saved at {_hm(row.at)}.", created, boards.intervention_row(row)
        )

    return _entry(request, pk, "intervention", lambda s, d: InterventionForm(d), save)


@requires("dosing.record")
@require_POST
def adverse_event(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    def save(session: CareSession, form: AdverseEventForm) -> Saved:
        row, created = services.adverse_event_record(
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
        text = f"Adverse event saved ({row.term.replace('_', ' ')})."
        if created and row.serious:  # a serious event opens an urgent alert: the board is redrawn
            return Saved(text, parts=frozenset({boards.ALERTS, boards.TIMELINE}))
        return _saved(text, created, boards.event_row(row))

    return _entry(request, pk, "ae", lambda s, d: AdverseEventForm(d), save)


@requires("dosing.record")
@require_POST
def discharge(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    def make(session: CareSession, data: Any) -> DischargeForm:
        protocol = services.protocol_of(session.course)
        return DischargeForm(data, protocol=protocol, initial={"version": session.version})

    def save(session: CareSession, form: DischargeForm) -> Saved:
        data = form.cleaned_data
        services.discharge(
            request.actor,
            session,
            summary=services.DischargeSummary(
                items_done=frozenset(
                    name.removeprefix("item_") for name in form.item_names if data.get(name)
                ),
                left_with=data.get("left_with") or "",
                aftercare_given=bool(data.get("aftercare_given")),
                notes=data.get("discharge_notes") or "",
                vitals_justification=data.get("vitals_justification") or "",
            ),
            expected_version=data.get("version") or 0,
        )
        return Saved("Discharged. The session record is complete.")

    response = _entry(request, pk, "discharge", make, save)
    if response.status_code == 200 and request.htmx:
        response["HX-Redirect"] = reverse("care:dosing", kwargs={"pk": pk})
    return response


@requires("dosing.record")
@require_GET
def board(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The poll: 204 if nothing changed since the stamp the tablet sends (``since``), else the changed
    parts out of band. Audited as a read only when it shows something."""
    session = selectors.dosing_session_get(request.actor, pk, action="dosing.record")
    if session.started_at is None:
        raise Http404
    response = poll_answer(request, session, request.GET.get("since", ""))
    if response.status_code == 200:
        selectors.session_read(request.actor, session, action="dosing.record")
    return response


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
    if request.htmx and status == 200:
        done = Alert.objects.select_related("acknowledged_by").get(pk=alert.pk)
        saved = Saved("", parts=frozenset({boards.ALERTS}), replaced=(boards.alert_row(done),))
        return entry_answer(request, session, "alerts", None, saved=saved)
    if request.htmx:
        return entry_answer(request, session, "alerts", None, status=status, ack_forms={alert.pk: form})
    back = "care:dosing" if allows(request.actor, "dosing.record") else "care:session"
    if status == 200:
        messages.success(request, "Alert acknowledged; your action is recorded.")
        return redirect(back, pk=session.pk)
    if back == "care:session":
        messages.error(request, "; ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(back, pk=session.pk)
    context = room_context(request, session, ack_forms={alert.pk: form})
    return render(request, "care/dosing.html", context, status=status)
