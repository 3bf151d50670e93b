"""Workshop pages: list, host forms, register / cancel / claim, attendance, .ics, private feeds."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapstone.access.decorators import public, requires
from kapstone.audit.models import Outcome
from kapstone.audit.services import record
from kapstone.community import workshop_services as svc
from kapstone.community.common import member_ids
from kapstone.community.forms import WorkshopForm
from kapstone.community.models import Registration, Workshop
from kapstone.community.workshop_ics import feed_ics, workshop_ics
from kapstone.core.contract import Refused
from kapstone.core.http import AuthenticatedRequest

ICS = "text/calendar; charset=utf-8"


@requires("workshop.view")
@require_GET
def workshops(request: AuthenticatedRequest) -> HttpResponse:
    user_id, org_id = member_ids(request.actor)
    rows = Workshop.objects.filter(organization_id=org_id).order_by("starts_at", "pk")
    mine = dict(
        Registration.objects.filter(user_id=user_id, status__in=Registration.ACTIVE).values_list(
            "workshop_id", "status"
        )
    )
    return render(request, "community/workshops.html", {"workshops": rows, "mine": mine})


def _workshop_values(form: WorkshopForm) -> dict[str, Any]:
    data = form.cleaned_data
    starts_at, ends_at = form.local_times()
    return {
        "title": data["title"],
        "description": data["description"],
        "location": data["location"],
        "capacity": data["capacity"],
        "time_zone": data["time_zone"],
        "starts_at": starts_at,
        "ends_at": ends_at,
        "topics": [t for t in data["topics"].split(",") if t.strip()],
    }


@requires("workshop.host")
@require_http_methods(["GET", "POST"])
def workshop_new(request: AuthenticatedRequest) -> HttpResponse:
    form = WorkshopForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            workshop = svc.workshop_create(
                request.actor, hold_hours=form.cleaned_data["hold_hours"], **_workshop_values(form)
            )
        except Refused as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.reason)
        else:
            return redirect("community:workshop", pk=workshop.pk)
    return render(
        request,
        "community/workshop_form.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


@requires("workshop.host")
@require_http_methods(["GET", "POST"])
def workshop_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    workshop = svc.host_workshop_get(request.actor, pk)
    zone = ZoneInfo(workshop.time_zone)
    initial = {
        "title": workshop.title,
        "description": workshop.description,
        "location": workshop.location,
        "capacity": workshop.capacity,
        "time_zone": workshop.time_zone,
        "hold_hours": workshop.hold_hours,
        "starts_at": workshop.starts_at.astimezone(zone).replace(tzinfo=None),
        "ends_at": workshop.ends_at.astimezone(zone).replace(tzinfo=None),
        "topics": ", ".join(workshop.topics),
        "version": workshop.version,
    }
    form = WorkshopForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            svc.workshop_update(
                request.actor,
                workshop_pk=pk,
                expected_version=form.cleaned_data["version"],
                **_workshop_values(form),
            )
        except Refused as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.reason)
        else:
            messages.success(request, "Workshop changed; registered people were sent the updated event.")
            return redirect("community:workshop", pk=pk)
    return render(
        request,
        "community/workshop_form.html",
        {"form": form, "workshop": workshop},
        status=400 if request.method == "POST" else 200,
    )


@requires("workshop.view")
@require_GET
def workshop_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    workshop = svc.workshop_find(request.actor, pk, action="workshop.view")
    svc.holds_expire(workshop)
    user_id, _ = member_ids(request.actor)
    rows = list(
        workshop.registrations.exclude(
            status__in=[Registration.Status.CANCELLED, Registration.Status.EXPIRED]
        )
        .select_related("user")
        .order_by("created_at", "pk")
    )
    context = {
        "workshop": workshop,
        "mine": next((r for r in rows if r.user_id == user_id), None),
        "taken": sum(1 for r in rows if r.status in Registration.TAKES_A_PLACE),
        "is_host": workshop.host_id == user_id,
        "rows": rows,
        "waiting": sum(1 for r in rows if r.status == Registration.Status.WAITLISTED),
    }
    return render(request, "community/workshop_detail.html", context)


def _act(request: AuthenticatedRequest, pk: int, action: object, done: str) -> HttpResponse:
    try:
        action(request.actor, workshop_pk=pk)  # type: ignore[operator]
    except Refused as exc:
        messages.error(request, exc.reason)
    else:
        messages.success(request, done)
    return redirect("community:workshop", pk=pk)


@requires("workshop.register")
@require_POST
def workshop_register(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _act(request, pk, svc.register, "Registration recorded.")


@requires("workshop.register")
@require_POST
def workshop_unregister(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _act(request, pk, svc.registration_cancel, "Your registration is cancelled.")


@requires("workshop.register")
@require_POST
def workshop_claim(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _act(request, pk, svc.hold_claim, "The place is yours.")


@requires("workshop.host")
@require_POST
def workshop_cancel(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _act(request, pk, svc.workshop_cancel, "Workshop cancelled; everyone was sent the cancellation.")


@requires("workshop.host")
@require_POST
def workshop_attendance(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    present = [int(v) for v in request.POST.getlist("present") if v.isdigit()]
    try:
        count = svc.attendance_take(request.actor, workshop_pk=pk, present_user_ids=present)
    except Refused as exc:
        messages.error(request, exc.reason)
    else:
        messages.success(request, f"Attendance saved: {count} present.")
    return redirect("community:workshop", pk=pk)


@requires("workshop.view")
@require_GET
def workshop_event(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    workshop = svc.workshop_find(request.actor, pk, action="workshop.view")
    response = HttpResponse(workshop_ics(workshop), content_type=ICS)
    response["Content-Disposition"] = f'attachment; filename="workshop-{workshop.pk}.ics"'
    return response


@requires("workshop.view")
@require_http_methods(["GET", "POST"])
def calendar_feed_manage(request: AuthenticatedRequest) -> HttpResponse:
    feed_url = ""
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            svc.feed_revoke(request.actor)
            messages.success(request, "Your calendar feed address no longer works.")
        else:
            token = svc.feed_create(request.actor)
            feed_url = request.build_absolute_uri(reverse("community:calendar_feed", args=[token]))
    return render(request, "community/calendar_feed.html", {"feed_url": feed_url})


@public
@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The private feed: a revoked or unknown token is the same 404."""
    user_id = svc.feed_user(token)
    if user_id is None:  # a guessed or revoked address: audited like every denial
        record(request.actor, "calendar.feed", outcome=Outcome.DENIED, object_type="calendar_feed")  # type: ignore[attr-defined]
        raise Http404
    ids = (
        Registration.objects.filter(user_id=user_id)
        .exclude(status__in=[Registration.Status.CANCELLED, Registration.Status.EXPIRED])
        .values("workshop_id")
    )
    rows = Workshop.objects.filter(pk__in=ids).order_by("starts_at")
    return HttpResponse(feed_ics(rows, name="Kapstone workshops"), content_type=ICS)
