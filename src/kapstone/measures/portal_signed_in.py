"""A signed-in client answers an open questionnaire from their portal, without the mailed link.

Starting it gives the link a fresh token (the mailed one stops working: one link, one way in) and
opens the usual questionnaire page with it; saved answers carry over. Only the client the link is
for may do this; anyone else gets the same 404 as a missing link, audited.
"""

from __future__ import annotations

import secrets

from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from kapstone.access.decorators import portal
from kapstone.audit.models import Outcome
from kapstone.audit.services import record
from kapstone.clients.models import Client
from kapstone.core.actor import Actor
from kapstone.core.http import AuthenticatedRequest
from kapstone.measures.models import PortalLink
from kapstone.measures.services import token_hash


def open_links(client: Client) -> list[PortalLink]:
    return list(
        PortalLink.objects.filter(
            client=client, used_at__isnull=True, expires_at__gt=timezone.now()
        ).order_by("expires_at", "pk")
    )


@portal
@require_POST
def start(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    client = Client.objects.filter(portal_user=request.user, is_active=True).first()
    organization = client.organization if client is not None else None
    actor = Actor(
        user=request.user,
        organization=organization,
        request_id=request.actor.request_id,
        source_ip=request.actor.source_ip,
    )
    token = secrets.token_urlsafe(32)
    if client is None or not _start(actor, client, pk, token):
        # Outside the transaction, so the denial's audit row is kept.
        record(
            actor, "measure.portal_denied", outcome=Outcome.DENIED, object_type="portal_link", object_id=pk
        )
        raise Http404
    return redirect("questionnaire:fill", token=token)


def _start(actor: Actor, client: Client, pk: int, token: str) -> bool:
    """Give the client's open link the new token; False when there is no such open link of theirs."""
    with transaction.atomic():
        link = (
            PortalLink.objects.select_for_update()
            .filter(pk=pk, client=client, used_at__isnull=True, expires_at__gt=timezone.now())
            .first()
        )
        if link is None:
            return False
        link.token_hash, link.mail_key = token_hash(token), ""
        link.save(update_fields=["token_hash", "mail_key"])
        record(
            actor,
            "measure.portal_start",
            object_type="portal_link",
            object_id=link.pk,
            client_id=client.pk,
            detail={"instrument": link.instrument_id},
        )
    return True
