from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from kapstone.access.decorators import requires
from kapstone.access.policy import allows
from kapstone.accounts.models import User
from kapstone.clients import selectors, services
from kapstone.clients.forms import CareTeamForm, ClientForm
from kapstone.core.contract import Stale
from kapstone.core.forms import add_service_errors
from kapstone.core.http import AuthenticatedRequest


@requires("client.list")
@require_GET
def client_list(request: AuthenticatedRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:100]
    clients = selectors.client_list(request.actor, search=search)
    context = {
        "clients": clients,
        "q": search,
        "can_create": allows(request.actor, "client.create"),
        "can_open": allows(request.actor, "client.view"),
    }
    template = "clients/_rows.html" if request.htmx else "clients/list.html"
    return render(request, template, context)


def _client_fields(form: ClientForm) -> services.ClientFields:
    """The form's answers as the service's typed keyword arguments."""
    data = form.cleaned_data
    return cast(services.ClientFields, {k: data[k] for k in services.EDITABLE_FIELDS if k in data})


@requires("client.create")
@require_http_methods(["GET", "POST"])
def client_create(request: AuthenticatedRequest) -> HttpResponse:
    form = ClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            client = services.client_create(request.actor, **_client_fields(form))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{client.display_name} was added.")
            if allows(request.actor, "client.view") and client.care_team.filter(user=request.user).exists():
                return redirect("clients:detail", pk=client.pk)
            return redirect("clients:list")
    return render(request, "clients/form.html", {"form": form, "title": "New client"})


@requires("client.view")
@require_GET
def client_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    client = selectors.client_get(request.actor, pk)
    team = client.care_team.select_related("user").order_by("team_role", "user__full_name")
    return render(
        request,
        "clients/detail.html",
        {
            "client": client,
            "team": team,
            "can_edit": allows(request.actor, "client.edit"),
            "can_manage_team": allows(request.actor, "careteam.manage"),
        },
    )


@requires("client.edit")
@require_http_methods(["GET", "POST"])
def client_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    client = selectors.client_get(request.actor, pk, action="client.edit")
    form = ClientForm(request.POST or None, instance=client, initial={"version": client.version})
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            services.client_update(
                request.actor,
                client,
                expected_version=form.cleaned_data.get("version") or 0,
                **_client_fields(form),
            )
        except Stale as exc:
            conflict = exc.current
            form.add_error(
                None, str(exc) + " Your version is kept below; the saved version is shown beside it."
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Saved.")
            return redirect("clients:detail", pk=client.pk)
    status = 409 if conflict is not None else 200
    return render(
        request,
        "clients/form.html",
        {"form": form, "title": f"Edit {client.display_name}", "client": client, "conflict": conflict},
        status=status,
    )


@requires("careteam.manage")
@require_http_methods(["GET", "POST"])
def care_team(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    client = selectors.client_get(request.actor, pk, action="careteam.manage")
    staff = (
        User.objects.filter(memberships__organization_id=client.organization_id, memberships__is_active=True)
        .distinct()
        .order_by("full_name")
    )
    form = CareTeamForm(request.POST or None, members=[(u.pk, u.full_name) for u in staff])
    if request.method == "POST" and form.is_valid():
        user = staff.get(pk=int(form.cleaned_data["user"]))
        chosen = form.cleaned_data.get("supervisor")
        supervisor = staff.get(pk=int(chosen)) if chosen else None
        try:
            services.care_team_add(
                request.actor, client, user, form.cleaned_data["team_role"], supervisor=supervisor
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{user.full_name} joined the care team.")
            return redirect("clients:care_team", pk=client.pk)
    team = client.care_team.select_related("user", "supervisor").order_by("team_role", "user__full_name")
    return render(request, "clients/care_team.html", {"client": client, "team": team, "form": form})
