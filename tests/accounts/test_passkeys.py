"""Passkeys (WebAuthn) as a staff member's second factor beside TOTP (issue #17 item 6).

The browser is replaced by a software authenticator built here with ``cryptography`` (an EC P-256
key, authenticatorData and clientDataJSON built byte by byte, attestation "none"), so every payload
is a real WebAuthn message that py_webauthn verifies in full. Each refusal is checked where a person
notices it (not signed in, the message) and where it is stored (the audit row, the throttle's count,
the passkey's counter).
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import cbor2
import pyotp
import pytest
import time_machine
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client as HttpClient
from django.utils import timezone
from webauthn.helpers import bytes_to_base64url

from kapstone.accounts import passkeys
from kapstone.accounts.models import LoginFailure, Passkey, TOTPDevice
from kapstone.audit.models import AuditEvent
from kapstone.core.actor import Actor
from kapstone.core.contract import Refused

pytestmark = pytest.mark.django_db

SITE = "https://kapstone.example"
PASSWORD = "correct horse battery staple 42"  # every persona's (tests/conftest.py)
RP_ID = "kapstone.example"
SIGN_IN = "/accounts/sign-in/"
VERIFY = "/accounts/sign-in/verify/"
PK_OPTIONS = "/accounts/sign-in/passkey/options/"
PK_SIGN_IN = "/accounts/sign-in/passkey/"
SECURITY = "/accounts/security/"
ADD_OPTIONS = "/accounts/security/passkeys/options/"
ADD = "/accounts/security/passkeys/"


def b64(data: bytes) -> str:
    return bytes_to_base64url(data)


@dataclass
class SoftKey:
    """A software authenticator: one credential, its private key, its signature counter."""

    credential_id: bytes = field(default_factory=lambda: os.urandom(32))
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    counter: int = 0
    rp_id: str = RP_ID

    def _cose(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        x, y = numbers.x.to_bytes(32, "big"), numbers.y.to_bytes(32, "big")
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: x, -3: y})

    def _client_data(self, kind: str, challenge: str, origin: str) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False}
        ).encode()

    def create(self, options: dict[str, Any], *, origin: str = SITE) -> str:
        """Answer registration options (as the server sent them) with attestation "none"."""
        flags = 0x01 | 0x04 | 0x40  # user present, user verified, attested credential data
        attested = bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id + self._cose()
        auth_data = hashlib.sha256(self.rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", 0)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data + attested})
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        return json.dumps({
            "id": b64(self.credential_id), "rawId": b64(self.credential_id), "type": "public-key",
            "response": {"clientDataJSON": b64(client_data), "attestationObject": b64(attestation),
                         "transports": ["internal"]},
            "clientExtensionResults": {},
        })  # fmt: skip

    def get(self, options: dict[str, Any], *, origin: str = SITE, bump: int = 1) -> str:
        """Answer authentication options: sign authenticatorData + SHA-256(clientDataJSON)."""
        self.counter += bump
        auth_data = (
            hashlib.sha256(self.rp_id.encode()).digest() + bytes([0x05]) + struct.pack(">I", self.counter)
        )
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return json.dumps({
            "id": b64(self.credential_id), "rawId": b64(self.credential_id), "type": "public-key",
            "response": {"clientDataJSON": b64(client_data), "authenticatorData": b64(auth_data),
                         "signature": b64(signature), "userHandle": None},
            "clientExtensionResults": {},
        })  # fmt: skip


@pytest.fixture(autouse=True)
def _site(settings: Any) -> None:
    settings.SITE_URL = SITE


def staff(world: Any, name: str) -> Actor:
    return Actor(user=world.users[name], organization=world.org_a, roles=frozenset({"therapist"}))


def register(actor: Actor, key: SoftKey, name: str = "Work laptop", password: str = PASSWORD) -> Passkey:
    session = SessionStore()
    options = json.loads(passkeys.registration_options(actor, session=session))
    return passkeys.register(
        actor, session=session, name=name, credential=key.create(options), password=password
    )


def password_step(world: Any, name: str) -> HttpClient:
    """A browser that passed the password step for ``name`` and waits for a second factor."""
    http = HttpClient()
    response = http.post(SIGN_IN, {"email": world.users[name].email, "password": world.password})
    assert response["Location"] == VERIFY
    return http


def options_for(http: HttpClient) -> dict[str, Any]:
    response = http.post(PK_OPTIONS)
    assert response.status_code == 200
    return json.loads(response.content)


def signed_in(http: HttpClient) -> bool:
    return http.session.get("_auth_user_id") is not None


def failures(actor_id: int) -> list[Any]:
    rows = AuditEvent.objects.filter(actor_id=actor_id, action="auth.passkey_use", outcome="failure")
    return list(rows.order_by("pk").values_list("detail__reason", flat=True))


# --- Registration ---------------------------------------------------------------------------------------


def test_staff_member_registers_a_passkey_from_the_security_page(world):
    from tests.conftest import signed_in_client

    theo = world.users["theo"]
    http = signed_in_client(theo)
    assert b'href="/accounts/security/"' in http.get("/preferences/").content  # found from their settings
    page = http.get(SECURITY)
    assert page.status_code == 200
    assert b"You have no passkeys yet." in page.content
    key = SoftKey()
    options = json.loads(http.post(ADD_OPTIONS).content)
    assert options["rp"] == {"id": RP_ID, "name": "Kapstone"}
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert theo.email not in options["user"]["id"]  # an opaque handle, not the address
    answer = key.create(options)
    wrong = http.post(ADD, {"name": "Work laptop", "credential": answer, "password": "not the password"})
    assert wrong.status_code == 422
    assert json.loads(wrong.content) == {"error": "That password is not right. No passkey was added."}
    assert not Passkey.objects.exists()
    options = json.loads(http.post(ADD_OPTIONS).content)  # the refused attempt spent its challenge
    answer = key.create(options)
    response = http.post(ADD, {"name": "  Work   laptop ", "credential": answer, "password": PASSWORD})
    assert response.status_code == 200
    assert json.loads(response.content) == {"redirect": SECURITY}
    stored = Passkey.objects.get(user=theo)
    assert (stored.name, bytes(stored.credential_id), stored.sign_count) == (
        "Work laptop",
        key.credential_id,
        0,
    )
    assert stored.transports == ["internal"]
    page = http.get(SECURITY)
    assert b"Work laptop" in page.content and b"Not yet" in page.content
    rows = AuditEvent.objects.filter(action="auth.passkey_register").order_by("pk")
    assert list(rows.values_list("actor_id", "outcome", "object_id", "detail__reason")) == [
        (theo.pk, "failure", "", "password"),
        (theo.pk, "success", str(stored.pk), None),
    ]
    # The next options name the registered passkey, so the device does not make a second one.
    again = json.loads(http.post(ADD_OPTIONS).content)
    assert [c["id"] for c in again["excludeCredentials"]] == [b64(key.credential_id)]


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        ("origin", "The device's answer could not be verified."),
        ("challenge", "The device's answer could not be verified."),
        ("rp_id", "The device's answer could not be verified."),
        ("replay", "This passkey request expired or was already used."),
        ("expired", "This passkey request expired or was already used."),
        ("other_person", "This passkey request expired or was already used."),
    ],
)
def test_a_forged_or_stale_registration_is_refused_and_audited(world, tamper, message):
    theo = staff(world, "theo")
    session = SessionStore()
    key = SoftKey(rp_id="evil.example" if tamper == "rp_id" else RP_ID)
    options = json.loads(passkeys.registration_options(theo, session=session))
    if tamper == "challenge":
        options["challenge"] = b64(b"a challenge the server never issued")
    credential = key.create(options, origin="https://kapstone.example.evil" if tamper == "origin" else SITE)
    if tamper == "replay":
        passkeys.register(theo, session=session, name="First", credential=credential, password=PASSWORD)
    actor = staff(world, "tamsin") if tamper == "other_person" else theo
    later = timezone.now() + timedelta(seconds=301 if tamper == "expired" else 0)
    with time_machine.travel(later), pytest.raises(Refused, match=message):
        passkeys.register(actor, session=session, name="Second", credential=credential, password=PASSWORD)
    assert Passkey.objects.filter(name="Second").count() == 0
    assert AuditEvent.objects.filter(action="auth.passkey_register", outcome="failure").count() == 1


def test_one_credential_is_registered_once(world):
    key = SoftKey()
    register(staff(world, "theo"), key)
    with pytest.raises(Refused, match="already registered"):
        register(staff(world, "tamsin"), key)
    assert Passkey.objects.filter(user=world.users["tamsin"]).count() == 0


# --- Sign-in ----------------------------------------------------------------------------------------------


def test_passkey_stands_in_for_the_totp_code_after_the_password(world):
    theo = world.users["theo"]
    TOTPDevice.objects.create(user=theo, secret=pyotp.random_base32(), confirmed_at=timezone.now())
    key = SoftKey()
    passkey = register(staff(world, "theo"), key)
    http = password_step(world, "theo")
    page = http.get(VERIFY)
    assert b"Sign in with a passkey" in page.content and b"passkeys.js" in page.content
    options = options_for(http)
    assert [c["id"] for c in options["allowCredentials"]] == [b64(key.credential_id)]
    response = http.post(PK_SIGN_IN, {"credential": key.get(options)})
    assert response.status_code == 200
    assert json.loads(response.content) == {"redirect": "/"}
    assert signed_in(http)
    assert http.get("/dashboard/").status_code == 200
    passkey.refresh_from_db()
    assert passkey.sign_count == 1 and passkey.last_used_at is not None
    used = AuditEvent.objects.get(action="auth.passkey_use")
    assert (used.actor_id, used.outcome, used.object_id) == (theo.pk, "success", str(passkey.pk))
    assert AuditEvent.objects.filter(action="auth.sign_in", detail__method="password+passkey").count() == 1


def test_totp_still_works_for_a_member_with_a_passkey(world):
    theo = world.users["theo"]
    secret = pyotp.random_base32()
    TOTPDevice.objects.create(user=theo, secret=secret, confirmed_at=timezone.now())
    register(staff(world, "theo"), SoftKey())
    http = password_step(world, "theo")
    http.post(VERIFY, {"code": pyotp.TOTP(secret).now()})
    assert signed_in(http)


def test_a_passkey_alone_is_a_second_factor_and_never_opens_totp_enrolment(world):
    register(staff(world, "tamsin"), SoftKey())
    http = password_step(world, "tamsin")  # asked for the second factor, not sent to set one up
    assert http.get("/accounts/sign-in/set-up-mfa/")["Location"] == VERIFY
    assert not signed_in(http)


def test_passkey_endpoints_sign_nobody_in_without_the_password_step(world):
    key = SoftKey()
    register(staff(world, "theo"), key)
    http = HttpClient()
    assert http.post(PK_OPTIONS).status_code == 401
    response = http.post(PK_SIGN_IN, {"credential": key.get({"challenge": b64(b"x" * 32)})})
    assert response.status_code == 401
    assert json.loads(response.content)["redirect"] == SIGN_IN
    assert not signed_in(http)


def _forge(world: Any, key: SoftKey, kind: str) -> tuple[HttpClient, str]:
    """A browser at theo's second step holding a live challenge, and a forged answer of ``kind``."""
    if kind in ("replay", "counter"):  # first a genuine sign-in with the passkey
        first = password_step(world, "theo")
        genuine = key.get(options_for(first))
        assert first.post(PK_SIGN_IN, {"credential": genuine}).status_code == 200
    http = password_step(world, "theo")
    options = options_for(http)
    if kind == "origin":
        return http, key.get(options, origin="https://kapstone.example.evil")
    if kind == "challenge":
        return http, key.get({"challenge": b64(b"a challenge the server never issued")})
    if kind == "rp_id":  # signed for another site's relying party
        return http, SoftKey(credential_id=key.credential_id, key=key.key, rp_id="evil.example").get(options)
    if kind == "replay":  # the genuine answer, captured and posted again in another sign-in
        return http, genuine
    if kind == "counter":  # a clone of the authenticator: its counter does not move past the original's
        clone = SoftKey(credential_id=key.credential_id, key=key.key, counter=key.counter - 1)
        return http, clone.get(options)
    assert kind == "credential"  # another person's passkey, used in theo's sign-in
    other = SoftKey()
    register(staff(world, "tamsin"), other)
    return http, other.get(options)


FORGERIES = ("origin", "rp_id", "challenge", "replay", "counter", "credential")


@pytest.mark.parametrize("kind", FORGERIES)
def test_a_forged_passkey_answer_is_refused_audited_and_counted(world, kind):
    theo = world.users["theo"]
    key = SoftKey()
    register(staff(world, "theo"), key)
    http, credential = _forge(world, key, kind)
    before = LoginFailure.objects.filter(email=theo.email).count()
    response = http.post(PK_SIGN_IN, {"credential": credential})
    assert response.status_code == 422
    stale = kind in ("challenge", "replay")
    assert json.loads(response.content)["error"] == (passkeys.EXPIRED if stale else passkeys.NOT_ACCEPTED)
    assert not signed_in(http)
    assert failures(theo.pk)[-1] == ("challenge" if kind == "replay" else kind)
    assert LoginFailure.objects.filter(email=theo.email).count() == before + 1
    # The challenge is spent by the refusal too: the same answer cannot be retried.
    assert http.post(PK_SIGN_IN, {"credential": credential}).status_code == 422


def test_two_racing_uses_of_one_counter_value_let_only_one_in(world, monkeypatch):
    key = SoftKey()
    passkey = register(staff(world, "theo"), key)
    http = password_step(world, "theo")
    answer = key.get(options_for(http))
    real = passkeys.verify_authentication_response

    def slow(**kwargs: Any) -> Any:
        verified = real(**kwargs)
        Passkey.objects.filter(pk=passkey.pk).update(sign_count=1)  # the other request won meanwhile
        return verified

    monkeypatch.setattr(passkeys, "verify_authentication_response", slow)
    assert http.post(PK_SIGN_IN, {"credential": answer}).status_code == 422
    assert failures(world.users["theo"].pk) == ["counter"]


def test_sign_in_refusals_and_sign_ins_battery_figure(world, battery):
    """T15: passkey sign-ins succeed; every forgery kind is refused."""
    key = SoftKey()
    register(staff(world, "theo"), key)
    sign_ins = 0
    for _ in range(3):
        http = password_step(world, "theo")
        sign_ins += http.post(PK_SIGN_IN, {"credential": key.get(options_for(http))}).status_code == 200
    refused = 0
    for kind in FORGERIES:
        http, credential = _forge(world, key, kind)
        status = http.post(PK_SIGN_IN, {"credential": credential}).status_code
        refused += status == 422 and not signed_in(http)
    kinds = "/".join(FORGERIES)
    battery("T15", f"passkey sign-ins: {sign_ins}; refused forgeries ({kinds}): {refused}/{len(FORGERIES)}")
    assert sign_ins == 3
    assert refused == len(FORGERIES)


# --- Removal ---------------------------------------------------------------------------------------------


def test_removing_a_passkey_needs_the_password_again(world):
    from tests.conftest import signed_in_client

    theo = world.users["theo"]
    passkey = register(staff(world, "theo"), SoftKey())
    http = signed_in_client(theo)
    url = f"/accounts/security/passkeys/{passkey.pk}/remove/"
    response = http.post(url, {"password": "not the password"}, follow=True)
    assert b"That password is not right. The passkey was kept." in response.content
    assert Passkey.objects.filter(pk=passkey.pk).exists()
    response = http.post(url, {"password": world.password}, follow=True)
    assert "Passkey “Work laptop” removed.".encode() in response.content
    assert not Passkey.objects.filter(pk=passkey.pk).exists()
    rows = AuditEvent.objects.filter(action="auth.passkey_remove").order_by("pk")
    assert list(rows.values_list("outcome", "object_id")) == [
        ("failure", str(passkey.pk)),
        ("success", str(passkey.pk)),
    ]


@pytest.mark.parametrize("intruder", ["tamsin", "olive", "avery"])
def test_another_persons_passkey_cannot_be_removed_and_looks_missing(world, intruder):
    from tests.conftest import signed_in_client

    passkey = register(staff(world, "theo"), SoftKey())
    http = signed_in_client(world.users[intruder])
    response = http.post(f"/accounts/security/passkeys/{passkey.pk}/remove/", {"password": world.password})
    assert response.status_code == 404
    assert Passkey.objects.filter(pk=passkey.pk).exists()
    denied = AuditEvent.objects.get(action="auth.passkey_remove", outcome="denied")
    assert (denied.actor_id, denied.object_id) == (world.users[intruder].pk, str(passkey.pk))
    assert b"You have no passkeys yet." in http.get(SECURITY).content  # theo's is not listed


def test_service_refuses_removal_of_another_persons_passkey(world):
    passkey = register(staff(world, "theo"), SoftKey())
    with pytest.raises(Refused, match="not your passkey"):  # views find it with scoped_get (404) first
        passkeys.remove(staff(world, "tamsin"), passkey=passkey, password=world.password)
    assert Passkey.objects.filter(pk=passkey.pk).exists()


def test_portal_clients_have_no_passkeys(world):
    from tests.conftest import signed_in_client

    portal = signed_in_client(world.users["rowan_portal"])
    assert portal.get(SECURITY).status_code == 404
    assert portal.post(ADD_OPTIONS).status_code == 404
    with pytest.raises(Refused):
        passkeys.registration_options(Actor(user=world.users["rowan_portal"]), session=SessionStore())
