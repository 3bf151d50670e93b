"""What the dosing room's pages and answers are drawn from: the whole room for a page, and for an
htmx answer only what changed (the entry's form, the new timeline rows, and the parts of the board
the entry touched), or for the poll, what changed since the tablet's last stamp."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString

from kapstone.access.policy import allows
from kapstone.care import board as boards
from kapstone.care import charts, services
from kapstone.care.board import CLOCK, DUE, BoardStamp, DosingBoard, TimelineEntry
from kapstone.care.forms import (
    AdverseEventForm,
    DischargeForm,
    DoseForm,
    InfusionEndForm,
    InterventionForm,
    PreDoseForm,
    RatingForm,
    VitalsForm,
)
from kapstone.care.models import CareSession
from kapstone.core.http import AuthenticatedRequest

CLOCK_TEMPLATES = ("care/dosing/_status.html", "care/dosing/_due.html")
VITALS_FIELDS = "care/dosing/_vitals_fields.html"
# Fresh vitals forms' field markup, by what it is drawn from (see ``fresh_vitals_fields``). A few
# entries per protocol and zone; the cap only guards against a process that meets very many.
_FRESH_VITALS: dict[tuple[object, ...], SafeString] = {}
_FRESH_VITALS_CAP = 256


@dataclass(frozen=True)
class Saved:
    """What an entry saved: the message by its form, the timeline rows it added (or changed) and the
    board's parts it changed, which its htmx answer redraws."""

    message: str
    rows: tuple[TimelineEntry, ...] = ()
    parts: frozenset[str] = field(default_factory=frozenset)
    replaced: tuple[TimelineEntry, ...] = ()


def board_panels(board: DosingBoard) -> list[charts.Panel]:
    origin = board.first_dose_at or board.session.started_at or board.now
    end = board.session.ended_at or board.now
    return charts.vitals_panels(
        board.vitals,
        origin=origin,
        end=max(end, origin),
        doses=[d.given_at for d in board.doses],
        alert_rules=board.protocol.alerts,
    )


def team(session: CareSession) -> list[Any]:
    members = session.client.care_team.exclude(team_role="supervisor").select_related("user")
    return sorted({m.user for m in members}, key=lambda u: u.full_name)


def predose_form(session: CareSession, protocol: Any, data: Any = None) -> PreDoseForm:
    intake = getattr(session.client, "intake", None)
    weight = getattr(intake, "weight_kg", None) if intake is not None else None
    return PreDoseForm(data, protocol=protocol, initial={"version": session.version, "weight_kg": weight})


def fresh_vitals_fields(form: VitalsForm) -> SafeString | str:
    """The fields of a fresh (unbound, untyped) vitals form, drawn once and reused: after every saved
    reading the tablet gets a fresh form, and drawing its widgets was ~20 ms of the answer (issue #18).
    The markup depends only on the symptom choices (the protocol's), the fields' help texts (the
    person's zone and clock) and the language, which key it; the form's own key and the CSRF token
    are drawn around it each time (``_form_vitals.html``). A bound form gives "" (drawn in place)."""
    if form.is_bound or set(form.initial) - {"idempotency_key"}:
        return ""
    symptoms = form.fields["symptoms"]
    key = (
        translation.get_language(),
        tuple(getattr(symptoms, "choices", ())),
        tuple(str(f.help_text) for f in form.fields.values()),
    )
    markup = _FRESH_VITALS.get(key)
    if markup is None:
        if len(_FRESH_VITALS) >= _FRESH_VITALS_CAP:
            _FRESH_VITALS.clear()
        markup = _FRESH_VITALS[key] = render_to_string(VITALS_FIELDS, {"vitals_form": form})
    return markup


def _base(request: AuthenticatedRequest, session: CareSession) -> dict[str, Any]:
    return {
        "session": session,
        "course": session.course,
        "client": session.client,
        "detail": session.dosing,
        "protocol": services.protocol_of(session.course),
        "can_override": allows(request.actor, "dosing.override"),
        "can_ack": allows(request.actor, "alert.acknowledge"),
        "can_print": allows(request.actor, "care.print"),
        "queue_scope": f"dosing-{session.pk}",
        "live": session.status == CareSession.Status.IN_PROGRESS,
    }


def _scheduled(session: CareSession, context: dict[str, Any], forms: dict[str, Any]) -> dict[str, Any]:
    protocol = context["protocol"]
    feedback = [
        s.integration.prescriber_feedback
        for s in session.course.sessions.filter(
            kind=CareSession.Kind.INTEGRATION, status=CareSession.Status.COMPLETED
        ).select_related("integration")
        if s.integration.prescriber_feedback
    ]
    context.update(
        readiness=services.readiness_for(session.client, dosing_now=True),
        feedback=feedback[-3:],
        predose=forms.get("predose") or predose_form(session, protocol),
        go=forms.get("go"),
        preparations_done=services.preparations_done(session.course),
        preparations_needed=int(protocol.phases.preparation_sessions_before_first_dose.value),
    )
    return context


def _running(board: DosingBoard) -> Any:
    return next((d for d in board.doses if d.infusion_started_at and not d.infusion_ended_at), None)


def room_context(request: AuthenticatedRequest, session: CareSession, **forms: Any) -> dict[str, Any]:
    """Everything the whole room shows: the pre-dose checklist before the start, else the board with
    every entry form (a refused one bound, with what was typed)."""
    context = _base(request, session)
    if session.status == CareSession.Status.SCHEDULED:
        return _scheduled(session, context, forms)
    protocol = context["protocol"]
    board = boards.dosing_board(session)
    vitals_form = forms.get("vitals") or VitalsForm(protocol=protocol)
    context.update(
        board=board,
        panels=board_panels(board),
        vitals_form=vitals_form,
        vitals_fields=fresh_vitals_fields(vitals_form),
        rating_form=forms.get("rating") or RatingForm(),
        intervention_form=forms.get("intervention") or InterventionForm(),
        ae_form=forms.get("ae") or AdverseEventForm(),
        dose_form=forms.get("dose") or DoseForm(protocol=protocol, team=team(session)),
        infusion_form=forms.get("infusion") or InfusionEndForm(),
        running_infusion=_running(board),
        discharge_form=forms.get("discharge")
        or DischargeForm(protocol=protocol, initial={"version": session.version}),
        ack_forms=forms.get("ack_forms") or {},
        saved=forms.get("saved"),
        since=since_token(boards.board_stamp(session), board, context),
    )
    return context


# Entries whose form shows something of the board beside the form itself (the doses, which every
# part reads, or for the alerts' own forms, the open alerts).
_FORM_NEEDS_BOARD: dict[str, frozenset[str]] = {
    "dose": frozenset(),
    "infusion": frozenset(),
    "discharge": frozenset(),
    "alerts": frozenset({boards.ALERTS}),
}


def entry_answer(
    request: AuthenticatedRequest,
    session: CareSession,
    entry: str,
    form: Any,
    *,
    saved: Saved | None = None,
    status: int = 200,
    ack_forms: dict[int, Any] | None = None,
) -> HttpResponse:
    """An htmx entry's answer: its form (fresh after a save, else bound with the errors and what was
    typed), and after a save the new timeline rows and the board's parts the entry changed."""
    context = _base(request, session)
    parts = saved.parts if saved is not None else frozenset()
    if parts or entry in _FORM_NEEDS_BOARD:
        board = boards.dosing_board(session, parts=parts | _FORM_NEEDS_BOARD.get(entry, frozenset()))
        context.update(board=board, running_infusion=_running(board))
        if boards.CHARTS in parts:
            context["panels"] = board_panels(board)
    context.update(
        {
            f"{entry}_form": form,
            "entry": entry,
            "saved": saved.message if saved is not None else "",
            "parts": parts,
            "rows": sorted(saved.rows, key=lambda e: e.at, reverse=True) if saved else [],
            "replaced": saved.replaced if saved else (),
            "ack_forms": ack_forms or {},
            "vitals_fields": fresh_vitals_fields(form) if entry == "vitals" else "",
        }
    )
    return render(request, "care/dosing/_changes.html", context, status=status)


def _clock_html(context: dict[str, Any]) -> str:
    return "".join(render_to_string(name, context) for name in CLOCK_TEMPLATES)


def since_token(stamp: BoardStamp, board: DosingBoard, context: dict[str, Any]) -> str:
    """The version a tablet sends back with its poll: the data's stamp, and a digest of the clock
    (the status line and what is due, which move with time alone)."""
    clock = _clock_html({**context, "board": board})
    return f"{stamp.token()}~{hashlib.sha256(clock.encode()).hexdigest()[:16]}"


def poll_answer(request: AuthenticatedRequest, session: CareSession, since: str) -> HttpResponse:
    """The 30-second poll: 204 when nothing on the board changed since ``since``; the whole page again
    when the room changed shape (a dose, a discharge); else only the changed parts, and the new stamp."""
    data, _, clock = since.partition("~")
    seen = BoardStamp.parse(data)
    stamp = boards.board_stamp(session)
    if stamp.reshaped(seen):
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    parts = stamp.changed(seen) | {CLOCK}
    board = boards.dosing_board(session, parts=parts)
    context = _base(request, session) | {"board": board}
    token = since_token(stamp, board, context)
    if seen is not None and token == f"{data}~{clock}":
        return HttpResponse(status=204)
    if token.partition("~")[2] == clock:
        parts = parts - {CLOCK, DUE}
    if boards.CHARTS in parts:
        context["panels"] = board_panels(board)
    context.update(parts=parts, since=token, poll=True, ack_forms={})
    return render(request, "care/dosing/_changes.html", context)
