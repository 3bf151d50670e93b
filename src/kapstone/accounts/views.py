from __future__ import annotations

import dataclasses

import segno
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapstone.access.decorators import public, requires, signed_in
from kapstone.access.policy import allows
from kapstone.access.scoping import scoped_get
from kapstone.accounts import devices, passkeys, services, throttle
from kapstone.accounts.forms import AcceptInvitationForm, CodeForm, EnrolForm, InviteForm, SignInForm
from kapstone.accounts.middleware import ACTIVE_ORG
from kapstone.accounts.models import Membership, Passkey
from kapstone.accounts.selectors import FAILED_SIGN_IN_DAYS, failed_sign_ins
from kapstone.audit.models import Outcome
from kapstone.audit.services import record
from kapstone.core.contract import Refused
from kapstone.core.forms import add_service_errors
from kapstone.core.http import AuthenticatedRequest, KapstoneRequest


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, {request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return "/"


@public
@require_http_methods(["GET", "POST"])
def sign_in(request: KapstoneRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("core:home")
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            step = services.begin_sign_in(request, form.cleaned_data["email"], form.cleaned_data["password"])
        except services.SignInError as exc:
            form.add_error(None, str(exc))
        else:
            request.session["_kapstone_next"] = _next_url(request)
            if step.name == "done":
                return devices.set_cookie(request, redirect(request.session.pop("_kapstone_next", "/")))
            return redirect("accounts:mfa_verify" if step.name == "mfa_verify" else "accounts:mfa_setup")
    return render(request, "accounts/sign_in.html", {"form": form, "next": _next_url(request)}, status=200)


@public
@require_http_methods(["GET", "POST"])
def mfa_verify(request: KapstoneRequest) -> HttpResponse:
    user = services.pending_user(request)
    if user is None:
        messages.info(request, "Please sign in again.")
        return redirect("accounts:login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if throttle.is_locked(user.email, request.source_ip, devices.device_for(request, user.pk)):
            form.add_error(None, services.GENERIC_SIGN_IN_ERROR)
        elif services.verify_second_factor(request, user, form.cleaned_data["code"]):
            services.complete_sign_in(request, user, method="password+totp")
            return devices.set_cookie(request, redirect(request.session.pop("_kapstone_next", "/")))
        else:
            form.add_error("code", "That code was not accepted. Codes change every 30 seconds and work once.")
    has_passkey = Passkey.objects.filter(user=user).exists()
    return render(request, "accounts/mfa_verify.html", {"form": form, "has_passkey": has_passkey})


@public
@require_http_methods(["GET", "POST"])
def mfa_setup(request: KapstoneRequest) -> HttpResponse:
    """First sign-in of a staff member: enrol an authenticator app before anything else."""
    user = services.pending_user(request)
    if user is None:
        messages.info(request, "Please sign in again.")
        return redirect("accounts:login")
    if services.has_second_factor(user):
        # Enrolment is for a first sign-in only: with a device on file, a password alone must not
        # be able to swap in another authenticator (that would bypass the second factor).
        return redirect("accounts:mfa_verify")
    secret = request.session.get(services.PENDING_SECRET) or services.new_totp_secret()
    request.session[services.PENDING_SECRET] = secret
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.confirm_totp_enrolment(request, user, secret, form.cleaned_data["code"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            services.complete_sign_in(request, user, method="password+totp_enrolled")
            context = {"codes": codes, "next": request.session.pop("_kapstone_next", "/")}
            return devices.set_cookie(request, render(request, "accounts/recovery_codes.html", context))
    uri = services.provisioning_uri(user, secret)
    qr_svg = segno.make(uri, error="m").svg_inline(scale=4, dark="#111", light="#fff")
    return render(request, "accounts/mfa_setup.html", {"form": form, "secret": secret, "qr_svg": qr_svg})


@public
@require_POST
def sign_out(request: KapstoneRequest) -> HttpResponse:
    if request.user.is_authenticated:
        services.sign_out(request)
    messages.info(request, "You are signed out.")
    return redirect("accounts:login")


@public
@require_http_methods(["GET", "POST"])
def accept_invitation(request: KapstoneRequest, token: str) -> HttpResponse:
    invitation = services.open_invitation(token)
    if invitation is None:  # a guessed, used or expired link: audited like every denial
        record(request.actor, "invitation.open", outcome=Outcome.DENIED, object_type="invitation")
        return render(request, "accounts/invitation_closed.html", status=404)
    form = AcceptInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.accept_invitation(
                request,
                token,
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Welcome to {invitation.organization.name}. Sign in to continue.")
            return redirect("accounts:login")
    return render(request, "accounts/accept_invitation.html", {"form": form, "invitation": invitation})


@requires("member.view")
@require_http_methods(["GET", "POST"])
def members(request: AuthenticatedRequest) -> HttpResponse:
    form = InviteForm(request.POST or None)
    if request.method == "POST":
        if not allows(request.actor, "member.manage"):
            raise Http404
        if form.is_valid():
            try:
                services.invite(
                    request.actor, email=form.cleaned_data["email"], role=form.cleaned_data["role"]
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
                return redirect("accounts:members")
    rows = (
        Membership.objects.filter(organization=request.actor.organization)
        .select_related("user")
        .order_by("user__full_name", "role")
    )
    org = request.actor.organization
    failed = failed_sign_ins(org) if org is not None and allows(request.actor, "member.manage") else None
    context = {"memberships": rows, "form": form, "failed_sign_ins": failed, "days": FAILED_SIGN_IN_DAYS}
    return render(request, "accounts/members.html", context)


@requires("member.manage")
@require_POST
def member_set_active(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    scoped = Membership.objects.filter(organization=request.actor.organization).select_related("user")
    membership = scoped_get(
        request.actor, scoped, pk, action="member.manage", object_type="membership", audit_read=False
    )
    active = request.POST.get("active") == "1"
    if membership.user_id == request.user.pk and not active:
        messages.error(request, "You cannot deactivate your own membership.")
    else:
        services.set_membership_active(request.actor, membership, active=active)
        messages.success(
            request,
            f"{membership.user} is now {'active' if active else 'deactivated'} "
            f"as {membership.get_role_display()}.",
        )
    return redirect("accounts:members")


@signed_in
@require_POST
def switch_organization(request: AuthenticatedRequest) -> HttpResponse:
    wanted = request.POST.get("organization", "")
    if not any(str(m.organization_id) == wanted for m in request.memberships):
        raise Http404
    request.session[ACTIVE_ORG] = int(wanted)
    return redirect("core:dashboard")


# --- Passkeys (kapstone.accounts.passkeys): the security page and the passkey sign-in step. The browser's
# side is static/kapstone/passkeys.js: it asks for options, calls WebAuthn, posts the answer as a form
# field with the CSRF token, and follows the redirect it is given (or shows the error).


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
            password=request.POST.get("password", ""),
        )
    except Refused as exc:
        return _refused(exc)
    messages.success(request, f"Passkey “{passkey.name}” added. You can use it to sign in.")
    return JsonResponse({"redirect": reverse("accounts:security")})


@signed_in
@require_POST
def passkey_remove(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    own = Passkey.objects.filter(user=request.user)
    passkey = scoped_get(
        request.actor, own, pk, action="auth.passkey_remove", object_type="passkey", audit_read=False
    )
    try:
        passkeys.remove(request.actor, passkey=passkey, password=request.POST.get("password", ""))
    except Refused as exc:
        messages.error(request, exc.reason)
    else:
        messages.success(request, f"Passkey “{passkey.name}” removed.")
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
