"""The client's own portal: only their own record, never staff pages or psychotherapy notes."""

from __future__ import annotations

from dataclasses import replace

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kapstone.access.decorators import portal
from kapstone.audit.services import record
from kapstone.clients.models import Client
from kapstone.core.http import AuthenticatedRequest


def own_client(request: AuthenticatedRequest) -> Client:
    client = Client.objects.filter(portal_user=request.user, is_active=True).first()
    if client is None:
        raise Http404
    return client


@portal
@require_GET
def portal_home(request: AuthenticatedRequest) -> HttpResponse:
    client = own_client(request)
    # Filed under the client's clinic, so its audit log shows the client's own reads with the rest.
    actor = replace(request.actor, organization=client.organization)
    record(actor, "portal.view", object_type="client", object_id=client.pk, client_id=client.pk)
    return render(request, "portal/home.html", {"client": client})
