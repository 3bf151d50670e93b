"""The admin's practicum program page: enabled requirement sets, their settings, the certificate's
set, and supervision assignments. Thin: ``kapstone.practicum.program`` reads and writes."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from kapstone.access.decorators import requires
from kapstone.core.contract import Refused
from kapstone.core.datefields import date_hint, parse_date
from kapstone.core.http import AuthenticatedRequest
from kapstone.practicum import program


def _date(text: str, field: str) -> dt.date | None:
    if not text.strip():
        return None
    day = parse_date(text)
    if day is None:
        raise Refused(f"“{text}” is not a date we can read. {date_hint()}", field=field)
    return day


def _number(text: str, field: str) -> float | None:
    if not text.strip():
        return None
    try:
        return float(text)
    except ValueError:
        raise Refused("Give a number.", field=field) from None


@requires("practicum.configure")
@require_GET
def page(request: AuthenticatedRequest) -> HttpResponse:
    context = program.program_page(request.actor.organization_id or -1)
    return render(request, "practicum/program.html", {**context, "date_hint": date_hint()})


@requires("practicum.configure")
@require_POST
def configure(request: AuthenticatedRequest) -> HttpResponse:
    post = request.POST
    keys = [k for k in post if k.startswith("setting_")]
    values = {k.removeprefix("setting_"): _number(post.get(k, ""), k) for k in keys}
    program.program_configure(
        request.actor,
        enabled_sets=post.getlist("enabled_sets"),
        certificate_set=post.get("certificate_set", ""),
        certificate_title=post.get("certificate_title", ""),
        values=values,
    )
    messages.success(request, "Program saved.")
    return redirect("practicum:program")


@requires("practicum.configure")
@require_POST
def assign(request: AuthenticatedRequest) -> HttpResponse:
    post = request.POST
    starts_on = _date(post.get("starts_on", ""), "starts_on") or dt.date.today()  # noqa: DTZ011
    program.supervision_assign(
        request.actor,
        supervisor_id=int(post.get("supervisor") or 0),
        trainee_id=int(post.get("trainee") or 0),
        starts_on=starts_on,
        ends_on=_date(post.get("ends_on", ""), "ends_on"),
    )
    messages.success(request, "Supervision assigned.")
    return redirect("practicum:program")


@requires("practicum.configure")
@require_POST
def end(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    program.supervision_end(request.actor, supervision_id=pk)
    messages.success(request, "Supervision ended.")
    return redirect("practicum:program")
