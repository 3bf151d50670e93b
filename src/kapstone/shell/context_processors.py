from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from kapstone.accounts.models import Role
from kapstone.shell.navigation import nav_for, nav_sections


def shell(request: HttpRequest) -> dict[str, object]:
    actor = getattr(request, "actor", None)
    if actor is None or actor.user is None:
        return {"nav_items": [], "memberships": []}
    orgs = {m.organization_id: m.organization for m in getattr(request, "memberships", [])}
    return {
        # Only the 404 page lists these: read when a template asks, like the sections below.
        "nav_items": SimpleLazyObject(lambda: nav_for(actor)),
        # Read once, and only by a page that draws the side navigation (its live links query the
        # database): an htmx fragment or the dosing room's poll does not pay for it.
        "nav_sections": SimpleLazyObject(lambda: nav_sections(actor)),
        "actor": actor,
        "switchable_orgs": list(orgs.values()) if len(orgs) > 1 else [],
        "role_labels": [Role(role).label for role in sorted(actor.roles)],
    }
