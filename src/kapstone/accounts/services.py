"""Account actions: sign-in with a second factor, invitations, memberships. Each one audits."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

import pyotp
from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from kapstone.accounts import devices, throttle
from kapstone.accounts.backends import EmailBackend
from kapstone.accounts.models import (
    Invitation,
    Membership,
    Organization,
    Passkey,
    RecoveryCode,
    Role,
    TOTPDevice,
    User,
    UserSession,
)
from kapstone.audit.models import Outcome
from kapstone.audit.services import record
from kapstone.core.actor import Actor

PENDING_UID = "_kapstone_pending_uid"
PENDING_AT = "_kapstone_pending_at"
PENDING_SECRET = "_kapstone_pending_totp_secret"  # noqa: S105 - a session key name, not a secret
AUTH_AT = "_kapstone_auth_at"
SEEN_AT = "_kapstone_seen_at"
ACTIVE_ORG = "_kapstone_org_id"
PENDING_SECONDS = 300
RECOVERY_CODE_COUNT = 10
GENERIC_SIGN_IN_ERROR = (
    "That email and password do not match an active account, or sign-in is paused. Try again later."
)


class SignInError(Exception):
    """Shown to the person as one generic message: no hint whether the account exists."""


def _request_actor(request: HttpRequest, user: User | None = None) -> Actor:
    return Actor(
        user=user,
        request_id=getattr(request, "request_id", ""),
        source_ip=getattr(request, "source_ip", None),
    )


def acting_memberships(
    user: User, wanted: object = None
) -> tuple[list[Membership], Organization | None, frozenset[str]]:
    """A staff member's active memberships, the organization they act in (``wanted`` if they belong to
    it, else the first by name) and the roles they hold there. The one rule for requests and audit rows."""
    if not user.is_staff_member:
        return [], None, frozenset()
    memberships = list(
        Membership.objects.filter(user=user, is_active=True)
        .select_related("organization")
        .order_by("organization__name", "role")
    )
    orgs = {m.organization_id: m.organization for m in memberships}
    chosen = wanted if wanted in orgs else next(iter(orgs), None)
    if chosen is None:
        return memberships, None, frozenset()
    return memberships, orgs[chosen], frozenset(m.role for m in memberships if m.organization_id == chosen)


def member_actor(request: HttpRequest, user: User) -> Actor:
    """The person as they act in this session: right after signing in, or as a timeout signs them out."""
    _, organization, roles = acting_memberships(user, request.session.get(ACTIVE_ORG))
    return Actor(
        user=user,
        organization=organization,
        roles=roles,
        request_id=getattr(request, "request_id", ""),
        source_ip=getattr(request, "source_ip", None),
    )


def mfa_required(user: User) -> bool:
    return user.is_staff_member and settings.KAPSTONE_MFA_REQUIRED_FOR_STAFF


def has_second_factor(user: User) -> bool:
    """An authenticator app or a passkey on file: the password step then asks for one of them."""
    return TOTPDevice.objects.filter(user=user).exists() or Passkey.objects.filter(user=user).exists()


# --- Sign-in ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignInStep:
    """What the person must do next: ``done``, ``mfa_verify`` or ``mfa_setup``."""

    name: str


def begin_sign_in(request: HttpRequest, email: str, password: str) -> SignInStep:
    email = email.strip().lower()
    source_ip = getattr(request, "source_ip", None)
    actor = _request_actor(request)
    target = User.objects.filter(email=email).values_list("pk", flat=True).first()
    device = devices.device_for(request, target)
    wait = throttle.wait_seconds(email, source_ip, device)
    if wait:
        detail = {"reason": "throttled", "wait_seconds": wait, "known_device": bool(device)}
        _record_failed_sign_in(actor, email, target, Outcome.DENIED, detail)
        raise SignInError(GENERIC_SIGN_IN_ERROR)
    user = EmailBackend().authenticate(request, email=email, password=password)
    if user is None:
        with transaction.atomic():
            throttle.note_failure(email, source_ip, device)
            detail = {"reason": "credentials", "known_device": bool(device)}
            _record_failed_sign_in(actor, email, target, Outcome.FAILURE, detail)
        raise SignInError(GENERIC_SIGN_IN_ERROR)
    has_device = has_second_factor(user)
    if not has_device and not mfa_required(user):
        complete_sign_in(request, user, method="password")
        return SignInStep("done")
    request.session.cycle_key()
    request.session[PENDING_UID] = user.pk
    request.session[PENDING_AT] = time.time()
    record(
        _request_actor(request, user),
        "auth.password_ok",
        detail={"next": "mfa" if has_device else "mfa_setup"},
    )
    return SignInStep("mfa_verify" if has_device else "mfa_setup")


def _record_failed_sign_in(
    actor: Actor, email: str, target: int | None, outcome: str, detail: dict[str, object]
) -> None:
    """One audit row per organization the targeted person belongs to (so its admin's log shows the
    attack on their member), or one without an organization for an unknown address."""
    org_ids: list[int | None] = (
        list(
            Membership.objects.filter(user_id=target, is_active=True)
            .values_list("organization_id", flat=True)
            .distinct()
            .order_by("organization_id")
        )
        if target is not None
        else []
    )
    for org_id in org_ids or [None]:
        organization = Organization(pk=org_id) if org_id is not None else None
        row_actor = Actor(
            user=None,
            organization=organization,
            request_id=actor.request_id,
            source_ip=actor.source_ip,
            upstream_request_id=actor.upstream_request_id,
        )
        record(row_actor, "auth.sign_in", outcome=outcome, actor_email=email, detail=detail)


def pending_user(request: HttpRequest) -> User | None:
    """The person who passed the password step in this session and has not yet given a second factor."""
    uid = request.session.get(PENDING_UID)
    started = request.session.get(PENDING_AT, 0)
    if uid is None or time.time() - float(started) > PENDING_SECONDS:
        return None
    return User.objects.filter(pk=uid, is_active=True).first()


def complete_sign_in(request: HttpRequest, user: User, *, method: str) -> None:
    for key in (PENDING_UID, PENDING_AT, PENDING_SECRET):
        request.session.pop(key, None)
    login(request, user, backend="kapstone.accounts.backends.EmailBackend")  # rotates the session key
    now = time.time()
    request.session[AUTH_AT] = now
    request.session[SEEN_AT] = now
    request.session.save()
    device = devices.device_for(request, user.pk)
    devices.remember(request, user.pk)  # the view's response carries the known-device cookie
    with transaction.atomic():
        throttle.clear(user.email, getattr(request, "source_ip", None), device)
        UserSession.objects.create(
            user=user,
            session_key=request.session.session_key or "",
            source_ip=getattr(request, "source_ip", None),
        )
        record(member_actor(request, user), "auth.sign_in", detail={"method": method})


def sign_out(request: HttpRequest, *, reason: str = "sign_out") -> None:
    user = request.user if request.user.is_authenticated else None
    key = request.session.session_key
    with transaction.atomic():
        if key:
            UserSession.objects.filter(session_key=key).delete()
        if user is not None:
            record(getattr(request, "actor", None) or _request_actor(request, user), f"auth.{reason}")
    logout(request)


def end_all_sessions(user: User) -> int:
    """End every session the person holds (deactivation, sign-out everywhere)."""
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    UserSession.objects.filter(user=user).delete()
    return len(keys)


# --- Second factor ----------------------------------------------------------------------------------


def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name="Kapstone")


def _matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    moment = time.time() if now is None else now
    for drift in (-1, 0, 1):  # one step either side for clock skew
        at = moment + drift * totp.interval
        if hmac.compare_digest(totp.at(at), code):
            return int(at // totp.interval)
    return None


def _hash_recovery(code: str) -> str:
    return hashlib.sha256("".join(code.split()).lower().encode()).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = ["-".join(secrets.token_hex(3) for _ in range(3)) for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create(RecoveryCode(user=user, code_hash=_hash_recovery(c)) for c in codes)
    return codes


def confirm_totp_enrolment(request: HttpRequest, user: User, secret: str, code: str) -> list[str]:
    """Store the device once the person proves the app shows the right code; return recovery codes."""
    step = _matching_step(secret, code)
    if step is None:
        record(_request_actor(request, user), "auth.mfa_enrol", outcome=Outcome.FAILURE)
        raise ValidationError(
            {"code": "That code does not match. Check the time on your device and try the newest code."}
        )
    with transaction.atomic():
        TOTPDevice.objects.update_or_create(
            user=user, defaults={"secret": secret, "confirmed_at": timezone.now(), "last_used_step": step}
        )
        codes = _new_recovery_codes(user)
        record(_request_actor(request, user), "auth.mfa_enrol")
    return codes


def verify_second_factor(request: HttpRequest, user: User, code: str) -> bool:
    """A TOTP code (single use) or an unused recovery code."""
    actor = _request_actor(request, user)
    device = TOTPDevice.objects.filter(user=user).first()
    if device is not None:
        step = _matching_step(device.secret, code)
        # A conditional update makes each code single use even under concurrent attempts.
        if step is not None and TOTPDevice.objects.filter(pk=device.pk, last_used_step__lt=step).update(
            last_used_step=step
        ):
            return True
    recovery = RecoveryCode.objects.filter(
        user=user, code_hash=_hash_recovery(code), used_at__isnull=True
    ).first()
    if recovery is not None and RecoveryCode.objects.filter(pk=recovery.pk, used_at__isnull=True).update(
        used_at=timezone.now()
    ):
        record(
            actor,
            "auth.recovery_code_used",
            detail={"remaining": user.recovery_codes.filter(used_at=None).count()},
        )
        return True
    with transaction.atomic():
        throttle.note_failure(user.email, actor.source_ip, devices.device_for(request, user.pk))
        record(actor, "auth.mfa_verify", outcome=Outcome.FAILURE)
    return False


# --- Invitations and memberships --------------------------------------------------------------------


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite(actor: Actor, *, email: str, role: str) -> tuple[Invitation, str]:
    """Invite a person to the actor's organization in a role; the link goes by mail after commit."""
    if actor.organization is None or actor.user is None:
        raise ValidationError("An invitation needs an organization.")
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role {role!r}."})
    email = email.strip().lower()
    if Membership.objects.filter(
        organization=actor.organization, user__email=email, role=role, is_active=True
    ).exists():
        raise ValidationError({"email": "This person already holds that role here."})
    if User.objects.filter(email=email, kind=User.Kind.CLIENT).exists():
        # Client portal identities and staff identities are kept apart (DESIGN: "Who uses it").
        raise ValidationError(
            {"email": "This address cannot be invited as staff. Use the person's work address."}
        )
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        invitation = Invitation.objects.create(
            organization=actor.organization,
            email=email,
            role=role,
            token_hash=_hash_token(token),
            invited_by=actor.user,
            expires_at=timezone.now() + timedelta(days=settings.KAPSTONE_INVITATION_DAYS),
        )
        record(
            actor,
            "member.invite",
            object_type="invitation",
            object_id=invitation.pk,
            detail={"email": email, "role": role},
        )
        link = f"{settings.SITE_URL}/accounts/invitation/{token}/"
        transaction.on_commit(
            partial(
                send_mail,
                subject=f"You are invited to {actor.organization.name} on Kapstone",
                message=(
                    f"{actor.user.full_name} invited you to join {actor.organization.name} as "
                    f"{Role(role).label}.\n\n"
                    f"Accept within {settings.KAPSTONE_INVITATION_DAYS} days:\n{link}\n"
                ),
                from_email=None,
                recipient_list=[email],
            )
        )
    return invitation, token


def open_invitation(token: str) -> Invitation | None:
    invitation = (
        Invitation.objects.select_related("organization").filter(token_hash=_hash_token(token)).first()
    )
    return invitation if invitation is not None and invitation.is_open() else None


def accept_invitation(request: HttpRequest, token: str, *, full_name: str, password: str) -> User:
    """Create (or reuse) the account and grant the role. A reused account keeps its own password."""
    from django.contrib.auth.password_validation import validate_password

    with transaction.atomic():
        invitation = open_invitation(token)
        if invitation is None:
            raise ValidationError({"__all__": ["This invitation link has expired or was already used."]})
        user = User.objects.filter(email=invitation.email).first()
        if user is not None and not user.is_staff_member:
            raise ValidationError(
                {"__all__": ["This invitation cannot be accepted with a client portal account."]}
            )
        if user is None:
            if not full_name.strip():
                raise ValidationError({"full_name": "Please give your full name."})
            candidate = User(email=invitation.email, full_name=full_name.strip())
            try:
                validate_password(password, candidate)
            except ValidationError as exc:
                raise ValidationError({"password": exc.messages}) from exc
            user = User.objects.create_user(invitation.email, password, full_name=full_name.strip())
        membership, _ = Membership.objects.update_or_create(
            user=user,
            organization=invitation.organization,
            role=invitation.role,
            defaults={"is_active": True},
        )
        Invitation.objects.filter(pk=invitation.pk).update(accepted_at=timezone.now())
        actor = Actor(
            user=user,
            organization=invitation.organization,
            roles=frozenset({invitation.role}),
            request_id=getattr(request, "request_id", ""),
            source_ip=getattr(request, "source_ip", None),
        )
        record(
            actor,
            "member.role_granted",
            object_type="membership",
            object_id=membership.pk,
            detail={"role": invitation.role, "via": "invitation"},
        )
    return user


def set_membership_active(actor: Actor, membership: Membership, *, active: bool) -> None:
    """Deactivating a member ends every session they hold (ASVS 7.4.2)."""
    with transaction.atomic():
        Membership.objects.filter(pk=membership.pk).update(is_active=active)
        ended = 0 if active else end_all_sessions(membership.user)
        record(
            actor,
            "member.activated" if active else "member.deactivated",
            object_type="membership",
            object_id=membership.pk,
            detail={"user": membership.user.email, "role": membership.role, "sessions_ended": ended},
        )


def grant_role(actor: Actor, user: User, organization: Organization, role: str) -> Membership:
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role {role!r}."})
    with transaction.atomic():
        membership, _ = Membership.objects.update_or_create(
            user=user, organization=organization, role=role, defaults={"is_active": True}
        )
        record(
            actor,
            "member.role_granted",
            object_type="membership",
            object_id=membership.pk,
            detail={"user": user.email, "role": role},
        )
    return membership
