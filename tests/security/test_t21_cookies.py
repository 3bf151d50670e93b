"""T21 (security.md section 7): the production cookie and transport settings, and no TRACE.

Headers on every signed-in page are checked in the oracle walk (test_t4_t5_t19_t21_walk.py). Here:
the cookie flags and HSTS read from the production settings in a subprocess (the test run itself uses
KAPSTONE_ENV=test), and TRACE refused. TLS itself is terminated by the operator's proxy (docs/), so
its protocol versions are the proxy's to test, not this app's.
"""

from __future__ import annotations

import json
import secrets

import pytest

PRODUCTION = {
    "KAPSTONE_ENV": "production",
    "KAPSTONE_SECRET_KEY": secrets.token_urlsafe(48),
    "KAPSTONE_ALLOWED_HOSTS": "kapstone.example.org",
    "KAPSTONE_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
}
READ = """
import json
import kapstone.settings as s
print(json.dumps({name: getattr(s, name) for name in (
    "SESSION_COOKIE_NAME", "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_NAME", "CSRF_COOKIE_SECURE", "CSRF_COOKIE_SAMESITE", "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_SSL_REDIRECT")}))
"""
CHECKS = {
    "session cookie __Host-": lambda v: v["SESSION_COOKIE_NAME"].startswith("__Host-"),
    "session cookie Secure": lambda v: v["SESSION_COOKIE_SECURE"] is True,
    "session cookie HttpOnly": lambda v: v["SESSION_COOKIE_HTTPONLY"] is True,
    "session cookie SameSite": lambda v: v["SESSION_COOKIE_SAMESITE"] in ("Lax", "Strict"),
    "CSRF cookie __Host-": lambda v: v["CSRF_COOKIE_NAME"].startswith("__Host-"),
    "CSRF cookie Secure": lambda v: v["CSRF_COOKIE_SECURE"] is True,
    "CSRF cookie SameSite": lambda v: v["CSRF_COOKIE_SAMESITE"] in ("Lax", "Strict"),
    "HSTS >= 1 year": lambda v: v["SECURE_HSTS_SECONDS"] >= 31_536_000,
    "HSTS includeSubDomains": lambda v: v["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True,
    "HTTP -> HTTPS": lambda v: v["SECURE_SSL_REDIRECT"] is True,
}


@pytest.mark.django_db
def test_t21_production_cookies_and_transport_and_no_trace(cli, tmp_path, world, as_user, battery):
    values = json.loads(cli.python(READ, env=cli.env(tmp_path / "var", **PRODUCTION)).stdout)
    failed = sorted(name for name, holds in CHECKS.items() if not holds(values))
    trace = as_user("theo").generic("TRACE", f"/clients/{world.clients['rowan'].pk}/")
    failed += ["TRACE answered"] if trace.status_code < 400 else []
    battery(
        "T21",
        f"production cookie/transport checks failed: {len(failed)}/{len(CHECKS) + 1} (incl. TRACE refused); "
        "TLS < 1.2 offered: not applicable here: TLS is terminated by the operator's proxy",
    )
    assert failed == [], failed
