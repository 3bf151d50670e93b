"""Emergency access (break-glass, security.md T16; 45 CFR 164.312(a)(2)(ii), 164.308(a)(1)(ii)(D)).

A therapist, prescriber or supervisor of the organization who is not on a client's care team may open
that client's record in an emergency after giving a reason (kept verbatim). The grant lasts
``KAPSTONE_BREAK_GLASS_MINUTES`` (default 60); until then the record's selectors treat the person as
on the care team for the actions of ``breakglass_policy.BREAK_GLASS_ACTIONS``, and every audit row
about the client carries the grant's id. Granting writes its own audit action
(``access.break_glass``), mails the care team and the organization's admins at once (on commit,
through the task queue, as safety notices are), and puts the grant on the admin's review queue until
they mark it reviewed with a comment. Another organization's client is never reachable: a 404,
audited as a denial, as for any record that is not yours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from kapstone.access.policy import allows
from kapstone.access.scoping import deny, scoped_get
from kapstone.accounts.models import Membership, Role
from kapstone.audit.models import AuditEvent
from kapstone.audit.services import record, register_emergency_detail
from kapstone.clients.models import BreakGlassGrant, CareTeamMember, Client
from kapstone.core.actor import Actor
from kapstone.core.contract import Refused
from kapstone.core.localtime import format_datetime
from kapstone.shell.client_header import HeaderFact, register_header
from kapstone.shell.desk import Queue, QueueItem, age, register_queue

GRANT = "access.break_glass"  # the distinct audit action of a grant (and of a refused attempt)
SEARCH = "access.break_glass.search"
NOTIFY = "access.break_glass.notify"
REVIEW = "access.break_glass.review"
REVIEW_VIEW = "access.break_glass.review_view"
CLINICAL_TEAM = (Role.THERAPIST, Role.PRESCRIBER, Role.SUPERVISOR)


# --- Finding the client ---------------------------------------------------------------------------


def find_clients(actor: Actor, *, query: str) -> list[Client]:
    """Clients of the actor's own organization whose name contains ``query``, or whose record number
    it is. Never another organization's. The search is audited (how many were found, not whom)."""
    if not allows(actor, "breakglass.invoke") or actor.organization_id is None:
        raise deny(actor, SEARCH)
    text = query.strip()[:100]
    found: list[Client] = []
    if text:
        own = Client.objects.filter(organization_id=actor.organization_id)
        if text.isdigit() and len(text) < 19:
            found = list(own.filter(pk=int(text)))
        else:
            match = Q()
            for word in text.split()[:4]:
                match &= (
                    Q(given_name__icontains=word)
                    | Q(family_name__icontains=word)
                    | Q(preferred_name__icontains=word)
                )
            found = list(own.filter(match).order_by("family_name", "given_name", "pk")[:25])
    record(actor, SEARCH, object_type="client", detail={"count": len(found), "searched": bool(text)})
    return found


def client_for_grant(actor: Actor, pk: object, *, action: str = SEARCH) -> Client:
    """The client the actor asks emergency access to: their own organization's, or a 404 audited as a
    denial (with the client's id when it exists in another organization)."""
    key = int(str(pk)) if str(pk).isdigit() and len(str(pk)) < 19 else None
    found = None
    if allows(actor, "breakglass.invoke") and actor.organization_id is not None and key is not None:
        found = Client.objects.filter(pk=key, organization_id=actor.organization_id).first()
    if found is None:
        known = (
            Client.objects.filter(pk=key).values_list("pk", flat=True).first() if key is not None else None
        )
        raise deny(actor, action, object_type="client", object_id=pk, client_id=known)
    if action == SEARCH:  # the confirmation page shows who the client is: a read of the record's name
        record(actor, SEARCH, object_type="client", object_id=found.pk, client_id=found.pk)
    return found


def on_care_team(actor: Actor, client: Client) -> bool:
    if actor.user_id is None:
        return False
    return CareTeamMember.objects.filter(client=client, user_id=actor.user_id).exists()


# --- Granting -------------------------------------------------------------------------------------


def break_glass_grant(actor: Actor, *, client: Client, reason: str) -> BreakGlassGrant:
    """Open ``client``'s record to ``actor`` for ``KAPSTONE_BREAK_GLASS_MINUTES``, for ``reason``.

    Refused (422) without a reason of at least ``KAPSTONE_BREAK_GLASS_REASON_MIN`` characters, or
    for someone already on the care team. The grant, its audit row and the notice go together."""
    user = actor.user
    if (
        user is None
        or not allows(actor, "breakglass.invoke")
        or client.organization_id != actor.organization_id
    ):
        raise deny(actor, GRANT, object_type="client", object_id=client.pk, client_id=client.pk)
    shortest = settings.KAPSTONE_BREAK_GLASS_REASON_MIN
    if len(reason.strip()) < shortest:
        raise Refused(
            f"Say why you need this record now, in at least {shortest} characters: the care team "
            "and the organization's admin will read it.",
            field="reason",
        )
    if on_care_team(actor, client):
        raise Refused("You are on this client's care team already: open the record itself.", field="reason")
    minutes = settings.KAPSTONE_BREAK_GLASS_MINUTES
    now = timezone.now()
    with transaction.atomic():
        grant = BreakGlassGrant.objects.create(
            organization_id=client.organization_id, client=client, user=user, reason=reason,
            granted_at=now, expires_at=now + timedelta(minutes=minutes),
        )  # fmt: skip
        record(actor, GRANT, object_type="break_glass", object_id=grant.pk, client_id=client.pk,
               detail={"break_glass": grant.pk, "reason": reason, "minutes": minutes,
                       "expires_at": grant.expires_at.isoformat()})  # fmt: skip
        transaction.on_commit(partial(notify_break_glass_task.enqueue, grant.pk))
    return grant


@register_emergency_detail
def grant_detail(actor: Actor, client_id: int) -> dict[str, Any]:
    """Every audit row about a client written under an emergency grant names the grant."""
    if actor.user_id is None:
        return {}
    now = timezone.now()
    grant_id = (
        BreakGlassGrant.objects.filter(
            user_id=actor.user_id, client_id=client_id, granted_at__lte=now, expires_at__gt=now
        )
        .order_by("-expires_at")
        .values_list("pk", flat=True)
        .first()
    )
    return {"break_glass": grant_id} if grant_id is not None else {}


def active_grant(actor: Actor, client: Any) -> BreakGlassGrant | None:
    if actor.user_id is None:
        return None
    now = timezone.now()
    return (
        BreakGlassGrant.objects.filter(
            user_id=actor.user_id, client_id=client.pk, granted_at__lte=now, expires_at__gt=now
        )
        .order_by("-expires_at")
        .first()
    )


@register_header
def emergency_fact(actor: Actor, client: Any) -> list[HeaderFact]:
    """On the client's pages, while a grant is open: until when, and that it is reviewed."""
    if actor.break_glass_until <= timezone.now().timestamp():
        return []
    grant = active_grant(actor, client)
    if grant is None:
        return []
    until = format_datetime(grant.expires_at)
    return [
        HeaderFact("Emergency access", f"Until {until}; every page you open is recorded", "alert", order=1)
    ]


# --- The immediate notice -------------------------------------------------------------------------


def _system(organization: object) -> Actor:
    return Actor(user=None, organization=organization, request_id="task:notify_break_glass")  # type: ignore[arg-type]


def _recipients(grant: BreakGlassGrant) -> tuple[list[str], list[str]]:
    team = CareTeamMember.objects.filter(
        client_id=grant.client_id, user__is_active=True,
        user__memberships__organization_id=grant.organization_id, user__memberships__is_active=True,
    ).exclude(user_id=grant.user_id)  # fmt: skip
    admins = Membership.objects.filter(
        organization_id=grant.organization_id, role=Role.ORG_ADMIN, is_active=True, user__is_active=True
    ).exclude(user_id=grant.user_id)
    team_mail = sorted(set(team.values_list("user__email", flat=True)))
    admin_mail = sorted(set(admins.values_list("user__email", flat=True)) - set(team_mail))
    return team_mail, admin_mail


def _notice(grant: BreakGlassGrant, link: str, audience: str) -> tuple[str, str]:
    """No clinical detail and no name in mail: who opened which record number, when, and a link."""
    org = grant.organization
    with timezone.override(org.time_zone):
        opened, until = (
            format_datetime(grant.granted_at, org.clock),
            format_datetime(grant.expires_at, org.clock),
        )
    subject = f"{org.name}: emergency access to client record {grant.client_id}"
    body = (
        f"{grant.user.full_name} ({grant.user.email}) is not on the care team of client record "
        f"{grant.client_id} and opened it under emergency access on {opened}.\n"
        f"The access ends on {until}. Every page opened until then is in the audit log.\n\n"
        f"{audience}\n{link}\n\nThe reason they gave is on that page (it is not sent by mail).\n"
    )
    return subject, body


@task()
def notify_break_glass_task(grant_id: int) -> int:
    """Mail the client's care team and the organization's admins that a grant was opened, at once."""
    grant = BreakGlassGrant.objects.select_related("organization", "user").filter(pk=grant_id).first()
    if grant is None:
        return 0
    team, admins = _recipients(grant)
    site = settings.SITE_URL
    if team:
        link = f"{site}{reverse('clients:detail', args=[grant.client_id])}"
        send_mail(*_notice(grant, link, "You are on this client's care team. The record:"), None, team)
    if admins:
        link = f"{site}{reverse('clients:breakglass_grant', args=[grant.pk])}"
        send_mail(*_notice(grant, link, "As the organization's admin, review it here:"), None, admins)
    BreakGlassGrant.objects.filter(pk=grant.pk).update(notified=len(team) + len(admins))
    record(_system(grant.organization), NOTIFY, object_type="break_glass", object_id=grant.pk,
           client_id=grant.client_id,
           detail={"break_glass": grant.pk, "care_team": len(team), "admins": len(admins)})  # fmt: skip
    return len(team) + len(admins)


# --- The admin's review ---------------------------------------------------------------------------


def grants_to_review(actor: Actor) -> QuerySet[BreakGlassGrant]:
    """The organization's grants not yet reviewed, oldest first (the admin's only)."""
    if not allows(actor, "breakglass.review") or actor.organization_id is None:
        return BreakGlassGrant.objects.none()
    return (
        BreakGlassGrant.objects.filter(organization_id=actor.organization_id, reviewed_at__isnull=True)
        .select_related("user", "client")
        .order_by("granted_at", "pk")
    )


def recent_reviewed(actor: Actor) -> list[BreakGlassGrant]:
    if not allows(actor, "breakglass.review") or actor.organization_id is None:
        return []
    done = BreakGlassGrant.objects.filter(organization_id=actor.organization_id, reviewed_at__isnull=False)
    return list(done.select_related("user", "client", "reviewed_by").order_by("-reviewed_at")[:20])


def grant_get(actor: Actor, pk: object) -> BreakGlassGrant:
    """One grant of the admin's organization, audited as a read; anything else is a 404 (audited)."""
    if not allows(actor, "breakglass.review") or actor.organization_id is None:
        raise deny(actor, REVIEW_VIEW, object_type="break_glass", object_id=pk)
    own = BreakGlassGrant.objects.filter(organization_id=actor.organization_id).select_related(
        "user", "client", "reviewed_by"
    )
    return scoped_get(actor, own, pk, action=REVIEW_VIEW, object_type="break_glass", client_of="client")


@dataclass(frozen=True)
class Use:
    """One audited step taken under a grant, for the review page."""

    at: Any
    action: str
    item: str  # what was opened, in words ("progress note 12")
    outcome: str


def uses_of(grant: BreakGlassGrant) -> list[Use]:
    """What was opened or written under the grant: its audit rows, from its granting to its end."""
    rows = AuditEvent.objects.filter(
        actor_id=grant.user_id, client_id=grant.client_id, at__gte=grant.granted_at, at__lte=grant.expires_at
    ).order_by("id")
    return [
        Use(row.at, row.action, f"{row.object_type.replace('_', ' ')} {row.object_id}".strip(), row.outcome)
        for row in rows[:500]
        if row.detail.get("break_glass") == grant.pk
    ]


def grant_review(actor: Actor, *, grant: BreakGlassGrant, comment: str) -> BreakGlassGrant:
    """The admin marks a grant reviewed, with a comment (required), audited."""
    if not allows(actor, "breakglass.review") or grant.organization_id != actor.organization_id:
        raise deny(actor, REVIEW, object_type="break_glass", object_id=grant.pk, client_id=grant.client_id)
    if not comment.strip():
        raise Refused("Write what you found: the comment stays with the grant.", field="comment")
    if grant.reviewed_at is not None:
        raise Refused("This emergency access was reviewed already.", field="comment")
    with transaction.atomic():
        changed = BreakGlassGrant.objects.filter(pk=grant.pk, reviewed_at__isnull=True).update(
            reviewed_at=timezone.now(), reviewed_by=actor.user, review_comment=comment
        )
        if not changed:
            raise Refused("This emergency access was reviewed already.", field="comment")
        record(actor, REVIEW, object_type="break_glass", object_id=grant.pk, client_id=grant.client_id,
               detail={"break_glass": grant.pk, "comment": comment})  # fmt: skip
    grant.refresh_from_db()
    return grant


def review_queue(actor: Actor) -> Queue | None:
    """The admin's desk: emergency accesses waiting for review, with their age."""
    if not allows(actor, "breakglass.review"):
        return None
    waiting = grants_to_review(actor)
    items = [
        QueueItem(
            f"{g.user.full_name} opened record {g.client_id}",
            reverse("clients:breakglass_grant", args=[g.pk]),
            at=g.granted_at,
            level="Open" if g.is_active else "",
            note=f"waiting {age(g.granted_at)}",
        )
        for g in waiting[:10]
    ]
    return Queue(
        "break_glass",
        "Emergency access to review",
        items,
        total=waiting.count(),
        url=reverse("clients:breakglass_review"),
        order=5,
        empty="No emergency access to review.",
    )


register_queue(Role.ORG_ADMIN.value, review_queue)
