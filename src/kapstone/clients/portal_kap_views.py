"""The client's own portal: their consent (sign, change, withdraw) and their choices for sessions.
Only their own record; the portal actor is filed under the client's clinic for the audit log."""

from __future__ import annotations

from dataclasses import replace

from django.http import Http404, HttpResponse
from django.views.decorators.http import require_http_methods

from kapstone.access.decorators import portal
from kapstone.clients.intake_views import _choices, sign_consent, withdraw_consent
from kapstone.clients.models import ConsentRecord
from kapstone.clients.portal_views import own_client
from kapstone.core.actor import Actor
from kapstone.core.http import AuthenticatedRequest


def _actor(request: AuthenticatedRequest, organization: object) -> Actor:
    return replace(request.actor, organization=organization)  # type: ignore[arg-type]


@portal
@require_http_methods(["GET", "POST"])
def portal_consent(request: AuthenticatedRequest) -> HttpResponse:
    client = own_client(request)
    return sign_consent(
        request,
        client,
        channel=ConsentRecord.Channel.PORTAL,
        actor=_actor(request, client.organization),
        template_name="portal/consent.html",
        done="portal:home",
        done_kwargs={},
    )


@portal
@require_http_methods(["GET", "POST"])
def portal_consent_withdraw(request: AuthenticatedRequest, cid: int) -> HttpResponse:
    client = own_client(request)
    consent = ConsentRecord.objects.filter(client=client, pk=cid).first()
    if consent is None:
        raise Http404
    return withdraw_consent(
        request,
        client,
        consent,
        channel=ConsentRecord.Channel.PORTAL,
        actor=_actor(request, client.organization),
        template_name="portal/consent_withdraw.html",
        done="portal:home",
        done_kwargs={},
    )


@portal
@require_http_methods(["GET", "POST"])
def portal_choices(request: AuthenticatedRequest) -> HttpResponse:
    client = own_client(request)
    return _choices(
        request,
        client,
        via="portal",
        template="portal/choices.html",
        actor=_actor(request, client.organization),
    )
