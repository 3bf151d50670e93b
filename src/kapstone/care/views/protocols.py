"""Pages for protocol templates: the list, one version, a new version. Thin: a selector reads,
a service writes, a template shows."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from kapstone.access.decorators import requires
from kapstone.access.policy import allows
from kapstone.care import catalog, selectors, services
from kapstone.care.forms import (
    ProtocolEditForm,
)
from kapstone.core.forms import add_service_errors
from kapstone.core.http import AuthenticatedRequest


def ensure_protocols(request: AuthenticatedRequest) -> None:
    """The shipped templates are installed in an organization the first time anyone needs them."""
    organization = request.actor.organization
    if organization is not None and not organization.protocol_versions.exists():
        services.protocols_install_shipped(request.actor, organization)


@requires("protocol.view")
@require_GET
def protocol_list(request: AuthenticatedRequest) -> HttpResponse:
    ensure_protocols(request)
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
