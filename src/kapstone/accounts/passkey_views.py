"""Pages and JSON endpoints for passkeys (kapstone.accounts.passkeys): the security page where a staff
member adds and removes them, and the sign-in step where one stands in for the TOTP code.

The browser's side is static/kapstone/passkeys.js: it asks for options, calls the WebAuthn API and
posts the answer back as a form field (with the CSRF token), then follows the redirect it is given.
"""

from __future__ import annotations

import dataclasses

from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from kapstone.access.decorators import public, signed_in
from kapstone.accounts import devices, passkeys, services, throttle
from kapstone.accounts.models import Passkey
from kapstone.core.contract import Refused
from kapstone.core.http import AuthenticatedRequest, KapstoneRequest


def _refused(exc: Refused) -> JsonResponse:
    return JsonResponse({"error": exc.reason}, status=422)


@signed_in
@require_GET
def security(request: AuthenticatedRequest) -> HttpResponse:
    rows = Passkey.objects.filter(user=request.user).order_by("created_at", "pk")
    return render(request, "accounts/security.html", {"passkeys": rows, "name_max": passkeys.NAME_MAX})


@signed_in
@require_POST
def passkey_options(request: AuthenticatedRequest) -> HttpResponse:
    options = passkeys.registration_options(request.actor, session=request.session)
    return HttpResponse(options, content_type="application/json")


@signed_in
@require_POST
def passkey_add(request: AuthenticatedRequest) -> HttpResponse:
    try:
        passkey = passkeys.register(
            request.actor,
            session=request.session,
            name=request.POST.get("name", ""),
            credential=request.POST.get("credential", ""),
        )
    except Refused as exc:
        return _refused(exc)
    messages.success(request, f"Passkey “{passkey.name}” added. You can use it to sign in.")
    return JsonResponse({"redirect": reverse("accounts:security")})


@signed_in
@require_POST
def passkey_remove(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    try:
        removed = passkeys.remove(request.actor, passkey_id=pk, password=request.POST.get("password", ""))
    except Refused as exc:
        messages.error(request, exc.reason)
    else:
        messages.success(request, f"Passkey “{removed.name}” removed.")
    return redirect("accounts:security")


def _again() -> JsonResponse:
    return JsonResponse({"error": "Please sign in again.", "redirect": reverse("accounts:login")}, status=401)


@public
@require_POST
def sign_in_options(request: KapstoneRequest) -> HttpResponse:
    user = services.pending_user(request)
    if user is None:
        return _again()
    options = passkeys.sign_in_options(session=request.session, user=user)
    return HttpResponse(options, content_type="application/json")


@public
@require_POST
def sign_in_passkey(request: KapstoneRequest) -> HttpResponse:
    user = services.pending_user(request)
    if user is None:
        return _again()
    device = devices.device_for(request, user.pk)
    if throttle.is_locked(user.email, request.source_ip, device):
        return JsonResponse({"error": services.GENERIC_SIGN_IN_ERROR}, status=429)
    actor = dataclasses.replace(request.actor, user=user)  # the pending person, not yet signed in
    try:
        passkeys.verify_sign_in(
            actor,
            session=request.session,
            user=user,
            credential=request.POST.get("credential", ""),
            device=device,
        )
    except Refused as exc:
        return _refused(exc)
    services.complete_sign_in(request, user, method="password+passkey")
    return devices.set_cookie(request, JsonResponse({"redirect": request.session.pop("_kapstone_next", "/")}))
