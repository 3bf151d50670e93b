from __future__ import annotations

from django.contrib import messages
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.timezone import now
from django.views.decorators.http import require_GET

from kapstone.access.decorators import public, requires, signed_in
from kapstone.access.policy import allows
from kapstone.core.forms import TimeSettingsForm
from kapstone.core.http import AuthenticatedRequest
from kapstone.shell.desk import desks_for
from kapstone.shell.navigation import dashboard_sections
from kapstone.shell.preferences import organization_time_set, preferences_set


@public
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    if request.user.is_portal_client:
        return redirect("portal:home")
    return redirect("core:dashboard")


@signed_in
@require_GET
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    actor = request.actor
    context = {
        "desks": desks_for(actor),
        "can_list_clients": allows(actor, "client.list"),
        "sections": dashboard_sections(actor),
    }
    return render(request, "core/dashboard.html", context)


@public
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers: the process answers and the database is reachable. No data, no session."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(
        request,
        "403.html",
        {"message": "The form had expired. Go back, reload the page, and send it again."},
        status=403,
    )


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "400.html", status=400)


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)


@signed_in
def preferences(request: AuthenticatedRequest) -> HttpResponse:
    """A person's own time zone and clock (blank: their organization's)."""
    user = request.actor.user
    assert user is not None
    initial = {"time_zone": user.time_zone, "clock": user.clock}
    form = TimeSettingsForm(request.POST or None, initial=initial, inherit=True)
    if request.method == "POST" and form.is_valid():
        preferences_set(request.actor, **form.cleaned_data)
        messages.success(request, "Your time settings are saved.")
        return redirect("core:preferences")
    context = {"form": form, "organization": request.actor.organization, "now": now()}
    return render(request, "core/preferences.html", context)


@requires("member.manage")
def organization_settings(request: AuthenticatedRequest) -> HttpResponse:
    """The organization's time zone and clock: every page shows times in them."""
    organization = request.actor.organization
    assert organization is not None
    initial = {"time_zone": organization.time_zone, "clock": organization.clock}
    form = TimeSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        organization_time_set(request.actor, **form.cleaned_data)
        messages.success(request, "The organization's time settings are saved.")
        return redirect("core:organization_settings")
    return render(request, "core/organization_settings.html", {"form": form, "organization": organization})
