"""Passkeys (WebAuthn) as a staff member's second factor, beside the authenticator app (issue #17 item 6).

A signed-in staff member registers passkeys from their security page; at sign-in, after the password,
one of their own passkeys may stand in for the TOTP code. The ceremonies are py_webauthn's; this
module keeps the rules around them:

- the relying party is this deployment's ``SITE_URL``: its host is the RP id, its scheme and host the
  only origin accepted;
- each challenge lives in the server-side session, bound to one person and one ceremony, is taken
  out on first use (single use) and refused after ``CHALLENGE_SECONDS``;
- user verification is required (a PIN or biometric on the device, so the passkey alone is a factor);
- a response whose signature counter does not move past the stored one is refused as a clone, and
  the counter moves by a conditional update, so two uses of one response cannot both pass;
- a credential id is registered once (unique in the database), and at sign-in only the pending
  person's own passkeys are accepted;
- every registration, use, failure and removal writes an audit row.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.db import IntegrityError, transaction
from django.utils import timezone
from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url, parse_authentication_credential_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from kapstone.accounts import throttle
from kapstone.accounts.models import Passkey, User
from kapstone.audit.models import Outcome
from kapstone.audit.services import record
from kapstone.core.actor import Actor
from kapstone.core.contract import Refused

# WebAuthn Level 3, section 15.1 ("Recommended Range for Ceremony Timeouts"): 300 s to 600 s when user
# verification is required. The shorter end: a challenge is only worth its few minutes of use.
CHALLENGE_SECONDS = 300
REGISTER = "_kapstone_passkey_register"
SIGN_IN = "_kapstone_passkey_sign_in"
NAME_MAX = 80
EXPIRED = "This passkey request expired or was already used. Start again."
NOT_ACCEPTED = "That passkey was not accepted. Try again, or use a code from your authenticator app."
_MALFORMED = (WebAuthnException, ValueError, KeyError, TypeError)


def relying_party() -> tuple[str, str]:
    """The RP id (the host of SITE_URL) and the one origin a response may come from."""
    parts = urlsplit(settings.SITE_URL)
    return parts.hostname or "", f"{parts.scheme}://{parts.netloc}"


def _user_handle(user: User) -> bytes:
    """A stable, opaque WebAuthn user handle: no email address or database id is handed to the device."""
    return hmac.new(settings.SECRET_KEY.encode(), f"passkey-user:{user.pk}".encode(), hashlib.sha256).digest()


def _descriptors(user: User) -> list[PublicKeyCredentialDescriptor]:
    found = []
    for credential_id, transports in Passkey.objects.filter(user=user).values_list(
        "credential_id", "transports"
    ):
        known = [
            AuthenticatorTransport(t) for t in transports if t in AuthenticatorTransport._value2member_map_
        ]
        found.append(PublicKeyCredentialDescriptor(id=bytes(credential_id), transports=known or None))
    return found


def _issue(session: SessionBase, key: str, user: User, challenge: bytes) -> None:
    session[key] = {"challenge": bytes_to_base64url(challenge), "uid": user.pk, "at": time.time()}


def _take(session: SessionBase, key: str, user: User) -> bytes:
    """The challenge issued to this person for this ceremony, removed from the session (single use)."""
    issued = session.pop(key, None)
    if not isinstance(issued, dict) or issued.get("uid") != user.pk:
        raise Refused(EXPIRED, code="challenge")
    if time.time() - float(issued.get("at", 0)) > CHALLENGE_SECONDS:
        raise Refused(EXPIRED, code="challenge")
    return base64url_to_bytes(str(issued["challenge"]))


# --- Registration (a signed-in staff member, from their security page) ---------------------------------


def registration_options(actor: Actor, *, session: SessionBase) -> str:
    """The options for ``navigator.credentials.create`` as JSON; the challenge is kept in the session."""
    user = _staff(actor)
    rp_id, _ = relying_party()
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name="Kapstone",
        user_id=_user_handle(user),
        user_name=user.email,
        user_display_name=user.full_name or user.email,
        timeout=CHALLENGE_SECONDS * 1000,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=_descriptors(user),
    )
    _issue(session, REGISTER, user, options.challenge)
    return options_to_json(options)


def register(actor: Actor, *, session: SessionBase, name: str, credential: str, password: str) -> Passkey:
    """Verify the browser's answer to the registration challenge and keep the new passkey. The person
    gives their password again: a borrowed or stolen session alone cannot add a second factor."""
    user = _staff(actor)
    name = " ".join(name.split())[:NAME_MAX] or "Passkey"
    try:
        challenge = _take(session, REGISTER, user)
        if not user.check_password(password):
            raise Refused(
                "That password is not right. No passkey was added.", field="password", code="password"
            )
        rp_id, origin = relying_party()
        try:
            verified = verify_registration_response(
                credential=credential,
                expected_challenge=challenge,
                expected_rp_id=rp_id,
                expected_origin=origin,
                require_user_verification=True,
            )
        except _MALFORMED as exc:
            raise Refused("The device's answer could not be verified. Try again.", code="invalid") from exc
        try:
            with transaction.atomic():
                passkey = Passkey.objects.create(
                    user=user,
                    name=name,
                    credential_id=verified.credential_id,
                    public_key=verified.credential_public_key,
                    sign_count=verified.sign_count,
                    transports=_transports(credential),
                )
        except IntegrityError as exc:
            raise Refused("This passkey is already registered.", code="duplicate") from exc
    except Refused as exc:
        record(actor, "auth.passkey_register", outcome=Outcome.FAILURE, detail={"reason": exc.code})
        raise
    record(
        actor,
        "auth.passkey_register",
        object_type="passkey",
        object_id=passkey.pk,
        detail={"name": name},
    )
    return passkey


def _transports(credential: str) -> list[str]:
    try:
        found = json.loads(credential).get("response", {}).get("transports", [])
    except (ValueError, AttributeError):
        return []
    return [str(t) for t in found if isinstance(t, str)][:8] if isinstance(found, list) else []


def _staff(actor: Actor) -> User:
    if actor.user is None or not actor.user.is_staff_member:
        raise Refused("Passkeys are for staff accounts.", code="not_staff")
    return actor.user


def remove(actor: Actor, *, passkey: Passkey, password: str) -> None:
    """Remove one of the actor's own passkeys (the view found it with ``scoped_get``: another person's
    is a 404 there), after they give their password again (re-authentication)."""
    user = _staff(actor)
    if passkey.user_id != user.pk:
        raise Refused("This is not your passkey.", code="not_yours")
    if not user.check_password(password):
        record(
            actor,
            "auth.passkey_remove",
            outcome=Outcome.FAILURE,
            object_type="passkey",
            object_id=passkey.pk,
            detail={"reason": "password"},
        )
        raise Refused("That password is not right. The passkey was kept.", field="password", code="password")
    with transaction.atomic():
        Passkey.objects.filter(pk=passkey.pk, user=user).delete()
        record(
            actor,
            "auth.passkey_remove",
            object_type="passkey",
            object_id=passkey.pk,
            detail={"name": passkey.name},
        )


# --- Sign-in (after the password, in place of the TOTP code) -------------------------------------------


def sign_in_options(*, session: SessionBase, user: User) -> str:
    """The options for ``navigator.credentials.get``, naming only this person's own passkeys."""
    rp_id, _ = relying_party()
    options = generate_authentication_options(
        rp_id=rp_id,
        timeout=CHALLENGE_SECONDS * 1000,
        allow_credentials=_descriptors(user),
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    _issue(session, SIGN_IN, user, options.challenge)
    return options_to_json(options)


def verify_sign_in(
    actor: Actor, *, session: SessionBase, user: User, credential: str, device: str
) -> Passkey:
    """Check the browser's answer with the person's own passkey; on any failure audit it, count it
    towards the sign-in throttle and refuse with one message."""
    try:
        passkey = _verified_passkey(session, user, credential)
    except Refused as exc:
        with transaction.atomic():
            throttle.note_failure(user.email, actor.source_ip, device)
            record(actor, "auth.passkey_use", outcome=Outcome.FAILURE, detail={"reason": exc.code})
        raise Refused(EXPIRED if exc.code == "challenge" else NOT_ACCEPTED, code=exc.code) from exc
    record(
        actor, "auth.passkey_use", object_type="passkey", object_id=passkey.pk, detail={"name": passkey.name}
    )
    return passkey


def _verified_passkey(session: SessionBase, user: User, credential: str) -> Passkey:
    challenge = _take(session, SIGN_IN, user)
    try:
        parsed = parse_authentication_credential_json(credential)
    except _MALFORMED as exc:
        raise Refused(NOT_ACCEPTED, code="invalid") from exc
    passkey = Passkey.objects.filter(credential_id=parsed.raw_id).first()
    if passkey is None or passkey.user_id != user.pk:  # unknown, or another person's passkey
        raise Refused(NOT_ACCEPTED, code="credential")
    rp_id, origin = relying_party()
    try:
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except _MALFORMED as exc:
        raise Refused(NOT_ACCEPTED, code=_reason(exc)) from exc
    # Conditional: of two sign-ins racing with one counter value, only the first moves it.
    moved = Passkey.objects.filter(pk=passkey.pk, sign_count=passkey.sign_count).update(
        sign_count=verified.new_sign_count, last_used_at=timezone.now()
    )
    if not moved:
        raise Refused(NOT_ACCEPTED, code="counter")
    return passkey


def _reason(exc: Exception) -> str:
    """A short audit reason for a refused response (the library's own message stays out of the log)."""
    text = str(exc).lower()
    for needle, reason in (
        ("sign count", "counter"),
        ("origin", "origin"),
        ("challenge", "challenge"),
        ("rp id", "rp_id"),
    ):
        if needle in text:
            return reason
    return "invalid"
