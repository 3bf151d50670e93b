from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.contrib.auth.views import redirect_to_login

from kapstone.accounts.models import Membership
from kapstone.accounts.services import AUTH_AT, SEEN_AT, sign_out
from kapstone.core.actor import Actor

ACTIVE_ORG = "_kapstone_org_id"
# Refresh the idle clock at most this often, so a page view is not always a session write.
SEEN_RESOLUTION = 30


class SessionPolicyMiddleware:
    """Idle timeout and absolute lifetime, enforced on the server (ASVS 7.3.1, 7.3.2)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            auth_at = float(request.session.get(AUTH_AT, 0))
            seen_at = float(request.session.get(SEEN_AT, 0))
            reason = None
            if now - auth_at > settings.KAPSTONE_SESSION_ABSOLUTE_SECONDS:
                reason = "session_expired_absolute"
            elif now - seen_at > settings.KAPSTONE_SESSION_IDLE_SECONDS:
                reason = "session_expired_idle"
            if reason is not None:
                request.actor = Actor(  # type: ignore[attr-defined]
                    user=request.user,  # type: ignore[arg-type]
                    request_id=getattr(request, "request_id", ""),
                    source_ip=getattr(request, "source_ip", None),
                )
                sign_out(request, reason=reason)
                messages.info(request, "You were signed out after a period without activity. Please sign in again.")
                return redirect_to_login(request.get_full_path())
            if now - seen_at > SEEN_RESOLUTION:
                request.session[SEEN_AT] = now
        return self.get_response(request)


class ActiveOrganizationMiddleware:
    """Attach the acting person's memberships, active organization and roles, as server-side facts."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user if request.user.is_authenticated else None
        memberships: list[Membership] = []
        organization = None
        roles: frozenset[str] = frozenset()
        if user is not None and user.is_staff_member:  # type: ignore[union-attr]
            memberships = list(
                Membership.objects.filter(user=user, is_active=True)
                .select_related("organization")
                .order_by("organization__name", "role")
            )
            orgs = {m.organization_id: m.organization for m in memberships}
            wanted = request.session.get(ACTIVE_ORG)
            if wanted not in orgs and orgs:
                wanted = next(iter(orgs))
            if wanted in orgs:
                organization = orgs[wanted]
                roles = frozenset(m.role for m in memberships if m.organization_id == wanted)
        request.memberships = memberships  # type: ignore[attr-defined]
        request.actor = Actor(  # type: ignore[attr-defined]
            user=user,  # type: ignore[arg-type]
            organization=organization,
            roles=roles,
            request_id=getattr(request, "request_id", ""),
            source_ip=getattr(request, "source_ip", None),
        )
        return self.get_response(request)
