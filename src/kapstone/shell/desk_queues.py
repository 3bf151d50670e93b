"""The organization admin's desk: members, open invitations, configuration health."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from kapstone.access.policy import allows
from kapstone.accounts.models import Invitation, Membership, Role
from kapstone.core.actor import Actor
from kapstone.core.localtime import DEFAULT_ZONE
from kapstone.shell.desk import Queue, QueueItem, health, register_health, register_queue

ADMIN = Role.ORG_ADMIN.value


def members_queue(actor: Actor) -> Queue | None:
    if not allows(actor, "member.view") or actor.organization is None:
        return None
    active = Membership.objects.filter(organization=actor.organization, is_active=True)
    by_role = {str(Role(r).label): n for r, n in _count_by(active, "role").items()}
    people = active.values("user").distinct().count()
    item = QueueItem(f"{people} active member{'s' if people != 1 else ''}", reverse("accounts:members"))
    return Queue(
        "members",
        "Members",
        [item],
        total=people,
        url=reverse("accounts:members"),
        levels=by_role,
        order=30,
        empty="No active members.",
    )


def invitations_queue(actor: Actor) -> Queue | None:
    if not allows(actor, "member.manage") or actor.organization is None:
        return None
    now = timezone.now()
    waiting = Invitation.objects.filter(
        organization=actor.organization, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
    ).order_by("created_at")
    items = [
        QueueItem(f"{i.email} as {Role(i.role).label}", reverse("accounts:members"), at=i.created_at)
        for i in waiting[:10]
    ]
    return Queue(
        "invitations",
        "Invitations not yet accepted",
        items,
        total=waiting.count(),
        url=reverse("accounts:members"),
        order=20,
        empty="No invitation is waiting.",
    )


def configuration_queue(actor: Actor) -> Queue | None:
    if not allows(actor, "member.manage"):
        return None
    items = health(actor)
    return Queue(
        "configuration", "Configuration to finish", items, order=10, empty="Nothing left to configure."
    )


@register_health
def time_zone_chosen(actor: Actor) -> list[QueueItem]:
    organization = actor.organization
    if organization is None or organization.time_zone != DEFAULT_ZONE:
        return []
    url = reverse("core:organization_settings")
    return [
        QueueItem(
            "Choose the clinic's time zone: every time is shown in UTC until then", url, level="Setting"
        )
    ]


def _count_by(queryset: object, name: str) -> dict[str, int]:
    from django.db.models import Count

    rows = queryset.values(name).annotate(n=Count("user", distinct=True))  # type: ignore[attr-defined]
    return {row[name]: row["n"] for row in rows}


register_queue(ADMIN, configuration_queue)
register_queue(ADMIN, invitations_queue)
register_queue(ADMIN, members_queue)
