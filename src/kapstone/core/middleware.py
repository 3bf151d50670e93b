from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# True while a GET/HEAD/OPTIONS request is served: it writes no clinical data, so an audit row it
# commits on its own records a read (KAPSTONE_READ_AUDIT_COMMIT, kapstone.audit.services).
serving_read: ContextVar[bool] = ContextVar("serving_read", default=False)


class RequestIdMiddleware:
    """Give every request our own id and its source address.

    A client's ``X-Request-Id`` never becomes our id (it could be forged or reused to muddle the
    audit trail). Behind a configured trusted proxy (``KAPSTONE_BEHIND_PROXY``), a well-formed one is
    kept as ``upstream_request_id`` and recorded beside ours, for correlating with the proxy's logs.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-Id", "")
        trusted = getattr(settings, "KAPSTONE_BEHIND_PROXY", False) and _REQUEST_ID.match(incoming)
        request.request_id = uuid.uuid4().hex  # type: ignore[attr-defined]
        request.upstream_request_id = incoming if trusted else ""  # type: ignore[attr-defined]
        request.source_ip = request.META.get("REMOTE_ADDR") or None  # type: ignore[attr-defined]
        token = serving_read.set(request.method in SAFE_METHODS)
        try:
            response = self.get_response(request)
        finally:
            serving_read.reset(token)
        response["X-Request-Id"] = request.request_id  # type: ignore[attr-defined]
        return response


class NoStoreMiddleware:
    """Pages for a signed-in person may hold client data: never cache them (ASVS 14.3.2)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/static/"):
            response["Cache-Control"] = "no-store"
            response["Pragma"] = "no-cache"
        return response
