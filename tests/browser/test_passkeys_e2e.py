"""A passkey in a real browser: Chromium's virtual authenticator (over CDP) stands in for the device.

Theo signs in with password and TOTP, adds a passkey on his security page, signs out, and signs in
again with password and the passkey instead of a code. The site runs at the live server's address
(``localhost``, a secure context for WebAuthn), which SITE_URL names as the relying party.
"""

from __future__ import annotations

import re
from typing import Any

import pyotp
from django.utils import timezone
from playwright.sync_api import Page, expect

from kapstone.accounts.models import Passkey, TOTPDevice
from kapstone.audit.models import AuditEvent

PASSWORD = "correct horse battery staple 42"  # the personas' password (tests/conftest.py)


def virtual_authenticator(page: Page) -> Any:
    """A platform authenticator with user verification that answers every prompt at once."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp


def password(page: Page, email: str) -> None:
    page.goto("/accounts/sign-in/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    expect(page).to_have_url(re.compile(r"/accounts/sign-in/verify/$"))


def test_staff_member_adds_a_passkey_and_signs_in_with_it(
    page: Page, world, live_server, settings, page_errors
) -> None:
    settings.SITE_URL = live_server.url  # http://localhost:<port>: the RP id is "localhost"
    theo = world.users["theo"]
    secret = pyotp.random_base32()
    TOTPDevice.objects.create(user=theo, secret=secret, confirmed_at=timezone.now())
    virtual_authenticator(page)

    password(page, theo.email)
    expect(page.get_by_role("button", name="Sign in with a passkey")).to_have_count(0)  # none yet
    page.get_by_label("Code from your authenticator app, or a recovery code").fill(pyotp.TOTP(secret).now())
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))

    page.goto("/accounts/security/")
    expect(page.get_by_role("heading", name="Sign-in security")).to_be_visible()
    expect(page.get_by_text("You have no passkeys yet.")).to_be_visible()
    page.get_by_label("Name for this passkey").fill("Test laptop")
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_text("Passkey “Test laptop” added.")).to_be_visible()
    expect(page.get_by_role("cell", name="Test laptop", exact=True)).to_be_visible()
    assert Passkey.objects.filter(user=theo, name="Test laptop").count() == 1

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/sign-in/$"))

    password(page, theo.email)
    passkey_button = page.get_by_role("button", name="Sign in with a passkey")
    passkey_button.focus()
    page.keyboard.press("Enter")  # by keyboard, like the rest of sign-in
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_role("heading", name="Welcome, Theo Test")).to_be_visible()

    passkey = Passkey.objects.get(user=theo)
    assert passkey.last_used_at is not None and passkey.sign_count >= 1
    assert AuditEvent.objects.filter(action="auth.sign_in", detail__method="password+passkey").count() == 1

    # Removing it asks for the password again, all by keyboard.
    page.goto("/accounts/security/")
    summary = page.locator("summary", has_text="Remove")
    summary.focus()
    page.keyboard.press("Enter")  # opens the disclosure
    page.get_by_label("Your password, to remove “Test laptop”").fill(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_text("Passkey “Test laptop” removed.")).to_be_visible()
    expect(page.get_by_text("You have no passkeys yet.")).to_be_visible()
    assert not Passkey.objects.filter(user=theo).exists()
    assert page_errors(page) == []  # no CSP violation, no script error
