"""Sign-in through HTTP, as a person does it: password, then a second factor (or enrolment).

Every test looks at what the person sees (status, page, message) and what was stored after it.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client as HttpClient
from django.utils import timezone
from tests.security.battery_kit import t14

from kapstone.accounts.models import LoginFailure, RecoveryCode, TOTPDevice, UserSession
from kapstone.accounts.services import GENERIC_SIGN_IN_ERROR, PENDING_SECONDS
from kapstone.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

SIGN_IN = "/accounts/sign-in/"
VERIFY = "/accounts/sign-in/verify/"
SETUP = "/accounts/sign-in/set-up-mfa/"
SIGN_OUT = "/accounts/sign-out/"
CODE_REFUSED = "That code was not accepted. Codes change every 30 seconds and work once."
# Now, moved to 10 s into its 30-second TOTP step, so a frozen clock never straddles two steps (and
# sessions made under the frozen clock are still alive when a test reads them after it).
T0 = datetime.fromtimestamp(int(time.time()) // 30 * 30 + 10, tz=UTC)


def add_device(user: object) -> str:
    secret = pyotp.random_base32()
    TOTPDevice.objects.create(user=user, secret=secret, confirmed_at=timezone.now())
    return secret


def code(secret: str) -> str:
    return pyotp.TOTP(secret).now()


def signed_in_user_id(http: HttpClient) -> str | None:
    return http.session.get("_auth_user_id")


def session_cookie(http: HttpClient) -> str:
    return http.cookies[settings.SESSION_COOKIE_NAME].value


def password_step(http: HttpClient, email: str, password: str, **extra: str) -> object:
    return http.post(SIGN_IN, {"email": email, "password": password, **extra})


def sign_out(http: HttpClient) -> None:
    assert http.post(SIGN_OUT).status_code == 302


# --- The happy roads ---------------------------------------------------------------------------------


def test_staff_with_device_signs_in_with_password_then_totp_code(world):
    theo = world.users["theo"]
    secret = add_device(theo)
    http = HttpClient()
    with time_machine.travel(T0, tick=False):
        response = password_step(http, "  Theo@Test.EXAMPLE ", world.password)  # case and spaces forgiven
        assert response.status_code == 302
        assert response["Location"] == VERIFY
        # The password alone signs nobody in: the dashboard still sends the person to sign in.
        assert signed_in_user_id(http) is None
        assert http.get("/dashboard/").status_code == 302

        page = http.get(VERIFY)
        assert page.status_code == 200
        assert b"Confirm it is you" in page.content

        response = http.post(VERIFY, {"code": code(secret)}, follow=True)
    assert response.redirect_chain[-1][0] == "/dashboard/"
    assert response.status_code == 200
    assert b"Welcome, Theo Test" in response.content
    assert signed_in_user_id(http) == str(theo.pk)
    # Stored: the session is known (so it can be ended), the step is spent, both steps audited.
    assert UserSession.objects.filter(user=theo, session_key=session_cookie(http)).exists()
    device = TOTPDevice.objects.get(user=theo)
    assert device.last_used_step == int(T0.timestamp()) // 30
    actions = list(AuditEvent.objects.filter(actor_id=theo.pk).values_list("action", "outcome", "detail"))
    assert actions[:2] == [
        ("auth.password_ok", "success", {"next": "mfa"}),
        ("auth.sign_in", "success", {"method": "password+totp"}),
    ]


def test_sign_in_returns_to_the_page_asked_for_but_never_to_another_site(world):
    secret = add_device(world.users["theo"])
    http = HttpClient()
    response = http.get("/clients/")
    assert response.status_code == 302
    assert response["Location"] == f"{SIGN_IN}?next=/clients/"
    with time_machine.travel(T0, tick=False):
        password_step(http, "theo@test.example", world.password, next="/clients/")
        response = http.post(VERIFY, {"code": code(secret)})
    assert response["Location"] == "/clients/"

    evil = HttpClient()
    with time_machine.travel(T0 + timedelta(seconds=30), tick=False):
        password_step(evil, "theo@test.example", world.password, next="https://evil.example/phish")
        response = evil.post(VERIFY, {"code": code(secret)})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_staff_without_device_enrols_sees_recovery_codes_once_and_is_signed_in(world):
    tamsin = world.users["tamsin"]
    http = HttpClient()
    with time_machine.travel(T0, tick=False):
        response = password_step(http, "tamsin@test.example", world.password)
        assert response.status_code == 302
        assert response["Location"] == SETUP

        page = http.get(SETUP)
        assert page.status_code == 200
        assert b"<svg" in page.content  # the QR code, inline (no third-party image service)
        secret = page.context["secret"]
        assert secret.encode() in page.content
        # The same secret survives a reload, so a scanned QR code stays valid.
        assert http.get(SETUP).context["secret"] == secret

        wrong = http.post(SETUP, {"code": "000000" if code(secret) != "000000" else "111111"})
        assert wrong.status_code == 200
        assert b"That code does not match. Check the time on your device" in wrong.content
        assert not TOTPDevice.objects.filter(user=tamsin).exists()
        assert signed_in_user_id(http) is None

        response = http.post(SETUP, {"code": code(secret)})
    assert response.status_code == 200
    assert b"Save your recovery codes" in response.content
    codes = response.context["codes"]
    assert len(codes) == 10
    assert len(set(codes)) == 10
    for plain in codes:
        assert plain.encode() in response.content
    # Stored: the device with the confirmed secret, and only hashes of the codes.
    device = TOTPDevice.objects.get(user=tamsin)
    assert device.secret == secret
    stored = set(RecoveryCode.objects.filter(user=tamsin, used_at=None).values_list("code_hash", flat=True))
    assert len(stored) == 10
    assert not stored & set(codes)
    assert signed_in_user_id(http) == str(tamsin.pk)
    assert http.get("/dashboard/").status_code == 200
    assert (
        AuditEvent.objects.filter(actor_id=tamsin.pk, action="auth.mfa_enrol", outcome="success").count() == 1
    )
    assert (
        AuditEvent.objects.filter(actor_id=tamsin.pk, action="auth.mfa_enrol", outcome="failure").count() == 1
    )

    # Shown once: the enrolment page is gone for a signed-in person and the codes appear nowhere again.
    again = http.get(SETUP, follow=True)
    assert again.redirect_chain
    assert all(plain.encode() not in again.content for plain in codes)


def test_a_password_alone_cannot_enrol_a_new_device_over_an_existing_one(world):
    """Knowing the password must not let someone swap in their own authenticator (an MFA bypass)."""
    theo = world.users["theo"]
    original = add_device(theo)
    attacker = HttpClient()
    with time_machine.travel(T0, tick=False):
        assert password_step(attacker, "theo@test.example", world.password)["Location"] == VERIFY
        page = attacker.get(SETUP)
        assert page.status_code == 302
        assert page["Location"] == VERIFY
        attacker_secret = pyotp.random_base32()
        session = attacker.session
        session["_kapstone_pending_totp_secret"] = attacker_secret
        session.save()
        response = attacker.post(SETUP, {"code": code(attacker_secret)})
    assert response.status_code == 302
    assert response["Location"] == VERIFY
    assert signed_in_user_id(attacker) is None
    assert TOTPDevice.objects.get(user=theo).secret == original
    assert not RecoveryCode.objects.filter(user=theo).exists()
    assert not AuditEvent.objects.filter(action="auth.sign_in", actor_id=theo.pk).exists()


def test_portal_client_signs_in_without_a_second_factor_and_reaches_the_portal(world):
    rowan_user = world.users["rowan_portal"]
    http = HttpClient()
    response = password_step(http, "rowan@test.example", world.password)
    assert response.status_code == 302
    response = http.get(response["Location"], follow=True)
    assert response.redirect_chain[-1][0] == "/portal/"
    assert response.status_code == 200
    assert b"Hello, Rowan" in response.content
    assert signed_in_user_id(http) == str(rowan_user.pk)
    assert not TOTPDevice.objects.filter(user=rowan_user).exists()
    event = AuditEvent.objects.get(action="auth.sign_in", actor_id=rowan_user.pk)
    assert event.detail == {"method": "password"}


def test_staff_get_404_in_the_portal_and_a_client_gets_404_on_staff_pages(world, as_user):
    theo = as_user("theo")
    assert theo.get("/portal/").status_code == 404
    client = as_user("rowan_portal")
    assert client.get("/portal/").status_code == 200
    for path in (
        "/dashboard/",
        "/clients/",
        f"/clients/{world.clients['rowan'].pk}/",
        "/audit/",
        "/accounts/members/",
    ):
        assert client.get(path).status_code == 404, path


# --- Refusals -----------------------------------------------------------------------------------------


def test_wrong_password_and_unknown_email_get_one_and_the_same_generic_message(world):
    world.users["priya"].is_active = False
    world.users["priya"].save()
    responses = {}
    for email, password in (
        ("theo@test.example", "not the password at all"),
        ("nobody@test.example", "not the password at all"),
        ("priya@test.example", world.password),  # right password, deactivated account
    ):
        http = HttpClient()
        response = password_step(http, email, password)
        assert response.status_code == 200
        assert response.content.count(GENERIC_SIGN_IN_ERROR.encode()) == 1
        assert list(response.context["form"].non_field_errors()) == [GENERIC_SIGN_IN_ERROR]
        assert not response.context["form"].has_error("email")
        assert not response.context["form"].has_error("password")
        # The typed email is kept; the typed password is not echoed back.
        assert f'value="{email}"'.encode() in response.content
        assert password.encode() not in response.content
        assert signed_in_user_id(http) is None
        responses[email] = response
    assert LoginFailure.objects.count() == 3
    failures = AuditEvent.objects.filter(action="auth.sign_in", outcome="failure").order_by("id")
    assert [e.actor_email for e in failures] == [
        "theo@test.example",
        "nobody@test.example",
        "priya@test.example",
    ]
    assert all(
        e.actor_id is None and e.detail == {"reason": "credentials", "known_device": False} for e in failures
    )


def test_after_the_free_failures_even_the_right_password_waits_and_is_audited_as_denied(world):
    limit = settings.KAPSTONE_LOGIN_MAX_FAILURES
    http = HttpClient()
    with time_machine.travel(T0, tick=False):
        for _ in range(limit):
            response = password_step(http, "theo@test.example", "wrong password, again")
            assert response.content.count(GENERIC_SIGN_IN_ERROR.encode()) == 1
        assert LoginFailure.objects.filter(email="theo@test.example").count() == limit

        response = password_step(http, "theo@test.example", world.password)
        assert response.status_code == 200
        assert response.content.count(GENERIC_SIGN_IN_ERROR.encode()) == 1
        assert signed_in_user_id(http) is None
        assert http.session.get("_kapstone_pending_uid") is None  # not even the password step passed
        denied = AuditEvent.objects.filter(action="auth.sign_in", outcome="denied").get()
        assert denied.actor_email == "theo@test.example"
        assert denied.detail == {"reason": "throttled", "wait_seconds": 1, "known_device": False}
        assert denied.organization_id == world.org_a.pk  # Larkspur's admin sees the attack on Theo
        # Another account from the same address is not locked by Theo's failures.
        assert password_step(HttpClient(), "tamsin@test.example", world.password)["Location"] == SETUP

    # When the window has passed the right password works again.
    later = T0 + timedelta(seconds=settings.KAPSTONE_LOGIN_WINDOW_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        response = password_step(HttpClient(), "theo@test.example", world.password)
    assert response.status_code == 302
    assert response["Location"] == SETUP


def test_wrong_second_factor_codes_count_towards_the_lock(world):
    secret = add_device(world.users["theo"])
    limit = settings.KAPSTONE_LOGIN_MAX_FAILURES
    http = HttpClient()
    with time_machine.travel(T0, tick=False):
        password_step(http, "theo@test.example", world.password)
        good = code(secret)
        bad = f"{(int(good) + 1) % 1_000_000:06d}"
        for _ in range(limit):
            response = http.post(VERIFY, {"code": bad})
            assert response.status_code == 200
            assert CODE_REFUSED.encode() in response.content
        response = http.post(VERIFY, {"code": good})
    assert response.status_code == 200
    assert response.content.count(GENERIC_SIGN_IN_ERROR.encode()) == 1
    assert signed_in_user_id(http) is None
    assert AuditEvent.objects.filter(action="auth.mfa_verify", outcome="failure").count() == limit


def test_a_totp_code_works_once(world):
    theo = world.users["theo"]
    secret = add_device(theo)
    with time_machine.travel(T0, tick=False):
        first = HttpClient()
        password_step(first, "theo@test.example", world.password)
        used = code(secret)
        assert first.post(VERIFY, {"code": used})["Location"] == "/"
        sign_out(first)

        replay = HttpClient()
        password_step(replay, "theo@test.example", world.password)
        response = replay.post(VERIFY, {"code": used})
        assert response.status_code == 200
        assert CODE_REFUSED.encode() in response.content
        assert signed_in_user_id(replay) is None
        assert TOTPDevice.objects.get(user=theo).last_used_step == int(T0.timestamp()) // 30
        assert (
            AuditEvent.objects.filter(action="auth.mfa_verify", outcome="failure", actor_id=theo.pk).count()
            == 1
        )

    # The previous step's code is refused too (it is older than the one spent); the next step's works.
    with time_machine.travel(T0 + timedelta(seconds=30), tick=False):
        assert replay.post(VERIFY, {"code": used}).status_code == 200
        assert signed_in_user_id(replay) is None
        assert replay.post(VERIFY, {"code": code(secret)})["Location"] == "/"
    assert signed_in_user_id(replay) == str(theo.pk)


def test_a_recovery_code_works_once(world):
    tamsin = world.users["tamsin"]
    http = HttpClient()
    with time_machine.travel(T0, tick=False):
        password_step(http, "tamsin@test.example", world.password)
        secret = http.get(SETUP).context["secret"]
        codes = http.post(SETUP, {"code": code(secret)}).context["codes"]
        sign_out(http)

        lost_phone = HttpClient()
        password_step(lost_phone, "tamsin@test.example", world.password)
        response = lost_phone.post(VERIFY, {"code": f"  {codes[3].upper()} "}, follow=True)
        assert response.redirect_chain[-1][0] == "/dashboard/"
        assert signed_in_user_id(lost_phone) == str(tamsin.pk)
        assert RecoveryCode.objects.filter(user=tamsin, used_at__isnull=False).count() == 1
        used_event = AuditEvent.objects.get(action="auth.recovery_code_used", actor_id=tamsin.pk)
        assert used_event.detail == {"remaining": 9}
        sign_out(lost_phone)

        again = HttpClient()
        password_step(again, "tamsin@test.example", world.password)
        response = again.post(VERIFY, {"code": codes[3]})
    assert response.status_code == 200
    assert CODE_REFUSED.encode() in response.content
    assert signed_in_user_id(again) is None
    assert RecoveryCode.objects.filter(user=tamsin, used_at__isnull=False).count() == 1


def test_the_pending_second_step_expires(world):
    theo = world.users["theo"]
    secret = add_device(theo)
    http = HttpClient()
    with time_machine.travel(T0, tick=False):
        password_step(http, "theo@test.example", world.password)
    with time_machine.travel(T0 + timedelta(seconds=PENDING_SECONDS + 1), tick=False):
        assert http.get(VERIFY)["Location"] == SIGN_IN
        response = http.post(VERIFY, {"code": code(secret)}, follow=True)
    assert response.redirect_chain[0] == (SIGN_IN, 302)
    assert b"Please sign in again." in response.content
    assert signed_in_user_id(http) is None
    assert TOTPDevice.objects.get(user=theo).last_used_step == 0  # the code was not spent
    assert not AuditEvent.objects.filter(action="auth.sign_in", actor_id=theo.pk).exists()


# --- Session identity ----------------------------------------------------------------------------------


def test_the_session_id_changes_at_each_sign_in_step(world, battery):
    secret = add_device(world.users["theo"])
    http = HttpClient()
    planted = http.session  # a session that exists before sign-in (as a fixation attacker would plant)
    planted["planted"] = True
    planted.save()
    before = session_cookie(http)
    with time_machine.travel(T0, tick=False):
        password_step(http, "theo@test.example", world.password)
        after_password = session_cookie(http)
        http.post(VERIFY, {"code": code(secret)})
    after_mfa = session_cookie(http)
    t14(battery, id_reused=3 - len({before, after_password, after_mfa}))
    assert len({before, after_password, after_mfa}) == 3
    assert not Session.objects.filter(session_key__in=[before, after_password]).exists()
    assert Session.objects.filter(session_key=after_mfa).exists()


def test_after_sign_out_the_old_session_cookie_is_worthless(world, battery):
    theo = world.users["theo"]
    secret = add_device(theo)
    http = HttpClient()
    with time_machine.travel(T0, tick=False):
        password_step(http, "theo@test.example", world.password)
        http.post(VERIFY, {"code": code(secret)})
    old = session_cookie(http)
    before = http.get(f"/clients/{world.clients['rowan'].pk}/")  # a PHI page the back button could show
    assert before.status_code == 200

    response = http.post(SIGN_OUT, follow=True)
    no_store_missing = sum(page.get("Cache-Control") != "no-store" for page in (before, response))
    assert response.redirect_chain[-1][0] == SIGN_IN
    assert b"You are signed out." in response.content
    assert not Session.objects.filter(session_key=old).exists()
    assert not UserSession.objects.filter(user=theo).exists()
    assert AuditEvent.objects.filter(action="auth.sign_out", actor_id=theo.pk).count() == 1

    replay = HttpClient()
    replay.cookies[settings.SESSION_COOKIE_NAME] = old
    response = replay.get("/dashboard/")
    t14(battery, replays_accepted=int(response.status_code == 200), no_store_missing=no_store_missing)
    assert no_store_missing == 0
    assert response.status_code == 302
    assert response["Location"] == f"{SIGN_IN}?next=/dashboard/"


def test_sign_out_is_post_only(as_user):
    http = as_user("theo")
    assert http.get(SIGN_OUT).status_code == 405
    assert http.get("/dashboard/").status_code == 200


LONG_EMAIL = "a" * 64 + "@" + ("b" * 60 + ".") * 3 + "example.org"  # 259 characters, well-formed


def test_an_overlong_email_gets_a_message_not_an_error_page(world):
    assert len(LONG_EMAIL) > 254
    response = password_step(HttpClient(), LONG_EMAIL, world.password)
    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [
        "Ensure this value has at most 254 characters (it has 259)."
    ]
    assert not LoginFailure.objects.exists()
    assert not AuditEvent.objects.exists()
