from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse

from kapstone.accounts.models import Membership
from kapstone.accounts.services import (
    ACTIVE_ORG,
    AUTH_AT,
    SEEN_AT,
    acting_memberships,
    member_actor,
    sign_out,
)
from kapstone.core.actor import BREAK_GLASS_UNTIL, Actor

__all__ = ["ACTIVE_ORG", "ActiveOrganizationMiddleware", "SessionPolicyMiddleware"]
# Refresh the idle clock at most this often, so a page view is not always a session write.
SEEN_RESOLUTION = 30


def signed_out_response(request: HttpRequest, message: str) -> HttpResponse:
    """Send the person to sign in, in the form their client understands."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=401)
    login = redirect_to_login(request.get_full_path())
    if request.headers.get("HX-Request") == "true":
        # A fragment request must not swap the sign-in page into part of a page: redirect the window.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = login["Location"]
        return response
    return login


class SessionPolicyMiddleware:
    """Idle timeout and absolute lifetime, enforced on the server (ASVS 7.3.1, 7.3.2)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            auth_at = float(request.session.get(AUTH_AT, 0))
            seen_at = float(request.session.get(SEEN_AT, 0))
            reason, message = None, ""
            if now - auth_at > settings.KAPSTONE_SESSION_ABSOLUTE_SECONDS:
                reason = "session_expired_absolute"
                hours = settings.KAPSTONE_SESSION_ABSOLUTE_SECONDS / 3600
                message = f"Sessions last at most {hours:g} hours. Please sign in again."
            elif now - seen_at > settings.KAPSTONE_SESSION_IDLE_SECONDS:
                reason = "session_expired_idle"
                message = "You were signed out after a period without activity. Please sign in again."
            if reason is not None:
                request.actor = member_actor(request, request.user)  # type: ignore[attr-defined]
                sign_out(request, reason=reason)
                messages.info(request, message)
                return signed_out_response(request, message)
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
        if user is not None:
            wanted = request.session.get(ACTIVE_ORG)
            memberships, organization, roles = acting_memberships(user, wanted)
        request.memberships = memberships  # type: ignore[attr-defined]
        request.actor = Actor(  # type: ignore[attr-defined]
            user=user,
            organization=organization,
            roles=roles,
            request_id=getattr(request, "request_id", ""),
            source_ip=getattr(request, "source_ip", None),
            upstream_request_id=getattr(request, "upstream_request_id", ""),
            break_glass_until=float(request.session.get(BREAK_GLASS_UNTIL, 0)) if user is not None else 0.0,
        )
        return self.get_response(request)
