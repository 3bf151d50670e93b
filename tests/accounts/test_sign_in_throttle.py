"""Sign-in cannot be used to lock a clinician out (issue #17 item 6; security.md T15).

Failures slow the source down with growing delays; there is no account lock. A clinician's own
browser (known-device cookie) signs in whatever an attacker elsewhere does, and the organization's
admin sees the failed attempts on its members.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine
from django.conf import settings
from django.test import Client as HttpClient
from django.utils import timezone

from kapstone.accounts import devices, throttle
from kapstone.accounts.models import LoginFailure, TOTPDevice
from kapstone.accounts.services import GENERIC_SIGN_IN_ERROR
from kapstone.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

SIGN_IN = "/accounts/sign-in/"
VERIFY = "/accounts/sign-in/verify/"
T0 = datetime.fromtimestamp(int(time.time()) // 30 * 30 + 10, tz=UTC)
THEO = "theo@test.example"
CLINIC_IP, ATTACKER_IP = "198.51.100.7", "203.0.113.9"


def browser(ip: str) -> HttpClient:
    return HttpClient(REMOTE_ADDR=ip)


def full_sign_in(http: HttpClient, world, secret: str) -> bool:
    first = http.post(SIGN_IN, {"email": THEO, "password": world.password})
    if first.status_code != 302 or first["Location"] != VERIFY:
        return False
    done = http.post(VERIFY, {"code": pyotp.TOTP(secret).now()})
    return done.status_code == 302 and http.session.get("_auth_user_id") == str(world.users["theo"].pk)


@pytest.fixture
def theo_secret(world) -> str:
    secret = pyotp.random_base32()
    TOTPDevice.objects.create(user=world.users["theo"], secret=secret, confirmed_at=timezone.now())
    return secret


def attack(n: int, ip: str = ATTACKER_IP, email: str = THEO, *, spread: bool = False) -> None:
    """``n`` wrong passwords from one address (or, ``spread``, each from a new one)."""
    for i in range(n):
        source = f"203.0.113.{i % 250 + 1}" if spread else ip
        response = browser(source).post(SIGN_IN, {"email": email, "password": "guess guess guess"})
        assert response.status_code == 200 and GENERIC_SIGN_IN_ERROR in response.content.decode()


def test_an_attack_from_elsewhere_never_locks_out_the_clinicians_own_browser(world, theo_secret, battery):
    with time_machine.travel(T0, tick=False) as clock:
        own = browser(CLINIC_IP)
        assert full_sign_in(own, world, theo_secret)
        assert own.cookies[devices.cookie_name()]["httponly"]
        own.post("/accounts/sign-out/")
        clock.shift(timedelta(seconds=31))  # a fresh TOTP step for the next sign-in
        attack(60, spread=True)  # the attacker tries Theo's address from many places, the clinic too
        attack(20, ip=CLINIC_IP)
        # A browser that never signed in as Theo is slowed down, wherever it is...
        fresh = browser("192.0.2.200").post(SIGN_IN, {"email": THEO, "password": world.password})
        assert GENERIC_SIGN_IN_ERROR in fresh.content.decode()
        # ...but Theo's own browser signs in at once, password and second factor.
        assert full_sign_in(own, world, theo_secret)
    refused = AuditEvent.objects.filter(action="auth.sign_in", outcome="denied", detail__known_device=True)
    battery(
        "T15",
        "attacker sign-in attempts on one clinician: 80; "
        f"the clinician's own-browser sign-ins refused: {refused.count()} of 1",
    )
    assert not refused.exists()


def test_delays_grow_with_each_failure_and_refused_attempts_do_not_count(world):
    free = settings.KAPSTONE_LOGIN_MAX_FAILURES
    waits = []
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(free + 5):
            wait = throttle.wait_seconds(THEO, ATTACKER_IP)
            waits.append(wait)
            clock.shift(timedelta(seconds=wait))
            assert throttle.wait_seconds(THEO, ATTACKER_IP) == 0
            attack(1)
        before = LoginFailure.objects.count()
        for _ in range(10):  # hammering during a delay: refused without a password check
            browser(ATTACKER_IP).post(SIGN_IN, {"email": THEO, "password": "guess guess guess"})
        assert LoginFailure.objects.count() == before
    assert waits == [0] * free + [1, 2, 4, 8, 16]


def test_a_distributed_guesser_gets_at_most_100_password_checks_an_hour(world, battery):
    """ASVS 4.0.3 2.2.1: each attempt from a new address, fired the moment the throttle allows."""
    checked = 0
    with time_machine.travel(T0, tick=False) as clock:
        end = timezone.now() + timedelta(hours=1)
        while timezone.now() < end:
            ip = f"10.{checked // 250 % 250}.{checked % 250}.1"
            wait = throttle.wait_seconds(THEO, ip)
            if wait:
                clock.shift(timedelta(seconds=wait))
                continue
            throttle.note_failure(THEO, ip)
            checked += 1
            clock.shift(timedelta(seconds=1))
    battery(
        "T15",
        f"failed password checks allowed per hour on one account (unknown browsers): {checked} (bar: 100)",
    )
    assert 0 < checked <= 100


def test_a_forged_or_foreign_device_cookie_earns_nothing(world, theo_secret):
    with time_machine.travel(T0, tick=False):
        attack(30, spread=True)
        forged = browser("192.0.2.201")
        forged.cookies[devices.cookie_name()] = "eyJkIjoiYWJjIiwidSI6WzFdfQ:forged:signature"
        response = forged.post(SIGN_IN, {"email": THEO, "password": world.password})
        assert GENERIC_SIGN_IN_ERROR in response.content.decode()
        # Tamsin's own browser is not a known device for Theo.
        tamsin = browser(CLINIC_IP)
        assert (
            tamsin.post(SIGN_IN, {"email": "tamsin@test.example", "password": world.password}).status_code
            == 302
        )
        tamsin.cookies[devices.cookie_name()] = devices_cookie_for(world.users["tamsin"].pk)
        response = tamsin.post(SIGN_IN, {"email": THEO, "password": world.password})
        assert GENERIC_SIGN_IN_ERROR in response.content.decode()


def devices_cookie_for(user_id: int) -> str:
    from django.core import signing

    return signing.dumps({"d": "d" * 32, "u": [user_id]}, salt=devices.SALT, compress=True)


def test_failed_sign_ins_on_members_are_recorded_with_the_organization_and_shown_to_its_admin(world, as_user):
    with time_machine.travel(T0, tick=False):
        attack(3)
        attack(2, ip="192.0.2.44", email="olive@test.example")  # Otherbrook's member
        attack(1, email="nobody@test.example")
    rows = AuditEvent.objects.filter(action="auth.sign_in", outcome="failure")
    assert set(rows.filter(actor_email=THEO).values_list("organization_id", flat=True)) == {world.org_a.pk}
    assert set(rows.filter(actor_email="olive@test.example").values_list("organization_id", flat=True)) == {
        world.org_b.pk
    }
    assert rows.get(actor_email="nobody@test.example").organization_id is None
    page = as_user("avery").get("/accounts/members/")
    text = page.content.decode()
    assert page.status_code == 200 and "Failed sign-ins to members" in text
    assert "theo@test.example</span></td><td>3</td><td>1</td><td>0</td>" in text
    assert "olive@test.example" not in text and "nobody@test.example" not in text
    # Only the admin sees it: a therapist gets the same 404 as for any page not theirs.
    assert as_user("theo").get("/accounts/members/").status_code == 404


def test_signing_in_clears_only_that_browsers_failures(world, theo_secret):
    with time_machine.travel(T0, tick=False):
        attack(4)
        own = browser(CLINIC_IP)
        own.post(SIGN_IN, {"email": THEO, "password": "typo typo typo"})
        assert full_sign_in(own, world, theo_secret)
    counted = LoginFailure.objects.filter(email=THEO, cleared=False)
    assert counted.count() == 4 and set(counted.values_list("source_ip", flat=True)) == {ATTACKER_IP}
    assert LoginFailure.objects.filter(email=THEO, cleared=True, source_ip=CLINIC_IP).count() == 1
