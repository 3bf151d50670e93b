"""Signing in with a password and an authenticator code, by keyboard, in a real browser."""

from __future__ import annotations

import re

import pyotp
from django.utils import timezone
from playwright.sync_api import Page, expect

from kapstone.accounts.models import TOTPDevice
from kapstone.accounts.services import GENERIC_SIGN_IN_ERROR

PASSWORD = "correct horse battery staple 42"  # the personas' password (tests/conftest.py)


def test_therapist_signs_in_with_password_and_totp_and_sees_role_aware_navigation(page: Page, world) -> None:
    theo = world.users["theo"]
    secret = pyotp.random_base32()
    TOTPDevice.objects.create(user=theo, secret=secret, confirmed_at=timezone.now())

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/sign-in/$"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    # The email field has focus on arrival; everything else is typed from the keyboard.
    expect(page.get_by_label("Email")).to_be_focused()
    page.keyboard.type(theo.email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/accounts/sign-in/verify/$"))
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    code = page.get_by_label("Code from your authenticator app, or a recovery code")
    expect(code).to_be_focused()
    page.keyboard.type(pyotp.TOTP(secret).now())
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_role("heading", name="Welcome, Theo Test")).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Clients", exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="Members")).to_have_count(0)
    expect(nav.get_by_role("link", name="Audit log")).to_have_count(0)
    # Nor anywhere else on the page (the dashboard cards come from the same policy).
    expect(page.get_by_role("link", name="Members")).to_have_count(0)
    expect(page.get_by_role("link", name="Audit log")).to_have_count(0)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_wrong_password_shows_the_generic_error_and_keeps_the_email(page: Page, world) -> None:
    theo = world.users["theo"]
    TOTPDevice.objects.create(user=theo, secret=pyotp.random_base32(), confirmed_at=timezone.now())

    page.goto("/accounts/sign-in/")
    page.get_by_label("Email").fill(theo.email)
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_label("Password").press("Enter")

    expect(page).to_have_url(re.compile(r"/accounts/sign-in/$"))
    expect(page.get_by_role("alert")).to_have_text(GENERIC_SIGN_IN_ERROR)
    expect(page.get_by_label("Email")).to_have_value(theo.email)
    expect(page.get_by_label("Password")).to_have_value("")  # a password is never sent back
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
