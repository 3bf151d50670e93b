"""Known devices: a browser in which a person completed sign-in carries a signed cookie naming it.

The cookie does not authenticate anyone (password and second factor are still required); it only
lets sign-in attempts from that browser be throttled on their own counter, so failures caused by
someone elsewhere never delay the person's own device (kapstone.accounts.throttle). It is signed
with the secret key (a forged or edited value is ignored), HttpOnly, SameSite=Lax, Secure with
the ``__Host-`` prefix under HTTPS, and remembers up to ``MAX_ACCOUNTS`` accounts (a shared
workstation).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse

SALT = "kapstone.accounts.known-device"
MAX_AGE_SECONDS = 180 * 24 * 3600
MAX_ACCOUNTS = 8
REMEMBER = "_kapstone_remember_device_for"


def cookie_name() -> str:
    return "__Host-kapstone-device" if settings.SESSION_COOKIE_SECURE else "kapstone-device"


def _read(request: HttpRequest) -> dict[str, object]:
    raw = request.COOKIES.get(cookie_name(), "")
    if not raw:
        return {}
    try:
        value = signing.loads(raw, salt=SALT, max_age=MAX_AGE_SECONDS)
    except signing.BadSignature:
        return {}
    ok = isinstance(value, dict) and isinstance(value.get("d"), str) and isinstance(value.get("u"), list)
    return value if ok else {}


def device_for(request: HttpRequest, user_id: int | None) -> str:
    """This browser's device id if it is known for ``user_id``, else ''."""
    value = _read(request)
    if user_id is None or not value or user_id not in value["u"]:  # type: ignore[operator]
        return ""
    return str(value["d"])[:32]


def any_device(request: HttpRequest) -> str:
    """This browser's device id (for whichever accounts), for counting its failures apart."""
    value = _read(request)
    return str(value["d"])[:32] if value else ""


def remember(request: HttpRequest, user_id: int) -> None:
    """Mark the request so ``set_cookie`` adds this account to the browser's known-device cookie."""
    setattr(request, REMEMBER, user_id)


def set_cookie(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    user_id = getattr(request, REMEMBER, None)
    if user_id is None:
        return response
    value = _read(request) or {"d": secrets.token_hex(16), "u": []}
    accounts = [u for u in value["u"] if u != user_id][-(MAX_ACCOUNTS - 1) :]  # type: ignore[attr-defined]
    payload = {"d": value["d"], "u": [*accounts, user_id]}
    response.set_cookie(
        cookie_name(),
        signing.dumps(payload, salt=SALT, compress=True),
        max_age=MAX_AGE_SECONDS,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
        path="/",
    )
    return response
