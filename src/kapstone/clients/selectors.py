"""The only road to client rows: scoped to the acting person, audited, and 404 for not-yours."""

from __future__ import annotations

import time

from django.db.models import Q, QuerySet
from django.http import Http404

from kapstone.access.policy import Scope, scope_for
from kapstone.audit.models import Outcome
from kapstone.audit.services import record
from kapstone.clients.breakglass_policy import BREAK_GLASS_ACTIONS
from kapstone.clients.models import CareTeamMember, Client, break_glass_clients
from kapstone.core.actor import Actor


def clients_scoped(actor: Actor, action: str) -> QuerySet[Client]:
    """Clients the actor may take ``action`` on, in the active organization. Not audited: callers are."""
    scope = scope_for(actor, action)
    org_id, user_id = actor.organization_id, actor.user_id
    if scope is Scope.NONE or org_id is None or user_id is None:
        return Client.objects.none()
    qs = Client.objects.filter(organization_id=org_id)
    if scope is Scope.CARE_TEAM and actor.break_glass_until > time.time() and action in BREAK_GLASS_ACTIONS:
        # An emergency grant widens the care team for these actions until it expires (the grant
        # rows decide; the session's hint only says when to look).
        team = CareTeamMember.objects.filter(user_id=user_id).values("client_id")
        return qs.filter(Q(pk__in=team) | Q(pk__in=break_glass_clients(user_id, org_id)))
    if scope is Scope.CARE_TEAM:
        qs = qs.filter(care_team__user_id=user_id).distinct()
    return qs


def client_list(actor: Actor, *, search: str = "") -> list[Client]:
    qs = clients_scoped(actor, "client.list").filter(is_active=True)
    if search:
        qs = qs.filter(family_name__icontains=search) | qs.filter(given_name__icontains=search)
    clients = list(qs.order_by("family_name", "given_name", "pk")[:500])
    record(actor, "client.list", object_type="client", detail={"count": len(clients), "search": bool(search)})
    return clients


def client_get(actor: Actor, pk: int | str, *, action: str = "client.view") -> Client:
    """One client, audited as a read; a missing and a forbidden client give the same Http404."""
    try:
        client = clients_scoped(actor, action).get(pk=int(pk))
    except (Client.DoesNotExist, ValueError, TypeError):
        known = (
            Client.objects.filter(pk=pk).values_list("pk", flat=True).first() if str(pk).isdigit() else None
        )
        record(actor, action, outcome=Outcome.DENIED, object_type="client", object_id=str(pk)[:64],
               client_id=known)  # fmt: skip
        raise Http404 from None
    record(actor, action, object_type="client", object_id=client.pk, client_id=client.pk)
    return client
