from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from kapstone.access.policy import ACTIONS, allows
from kapstone.access.trail import write

View = TypeVar("View", bound=Callable[..., HttpResponseBase])

PUBLIC = "public"
SIGNED_IN = "signed_in"
PORTAL = "portal"


def _mark(view: Any, access: str) -> None:
    view.kapstone_access = access


def public(view: View) -> View:
    """Reachable without signing in."""
    _mark(view, PUBLIC)
    return view


def _deny(request: HttpRequest, action: str) -> Http404:
    """Every denial writes its row (docs/architecture.md), then answers as "not found"."""
    write(request.actor, action, denied=True, detail={"path": request.path[:200]})  # type: ignore[attr-defined]
    return Http404()


def signed_in(view: View) -> View:
    """Any signed-in staff member; what they see is still scoped by selectors."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_staff_member:
            raise _deny(request, "staff.page")
        return view(request, *args, **kwargs)

    _mark(wrapper, SIGNED_IN)
    return wrapper  # type: ignore[return-value]


def portal(view: View) -> View:
    """A signed-in client in their own portal; staff get the same 404 as a missing page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_portal_client:
            raise _deny(request, "portal.page")
        return view(request, *args, **kwargs)

    _mark(wrapper, PORTAL)
    return wrapper  # type: ignore[return-value]


def requires(action: str) -> Callable[[View], View]:
    """Staff view gated by the policy table. A person whose roles give no scope gets a 404, audited."""
    if action not in ACTIONS:
        raise KeyError(f"Unknown action {action!r}")

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            actor = request.actor  # type: ignore[attr-defined]
            if not request.user.is_staff_member or not allows(actor, action):
                raise _deny(request, action)
            return view(request, *args, **kwargs)

        _mark(wrapper, action)
        return wrapper  # type: ignore[return-value]

    return decorate


def one_transaction(view: View) -> View:
    """On SQLite a POST runs as one transaction: the audited read that finds the record and the write
    it leads to commit together, one write lock and one fsync per request instead of two; 16 writers
    queue for the lock half as often. For hot, short writes only: nothing slow (mail, PDFs, network)
    may run inside the write lock. ``write_transaction`` is the same for part of a view.

    On PostgreSQL writers do not share one database lock, but every audit row takes the audit chain's
    advisory lock until COMMIT; one transaction would hold it across the whole write. There the view
    runs as before (make bench, 1 M clients: 10 % more recorded measures per second that way).
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method != "POST":
            return view(request, *args, **kwargs)
        with write_transaction():
            return view(request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


@contextmanager
def write_transaction() -> Iterator[None]:
    """On SQLite, the block runs as one transaction under the writer lock (``one_transaction``); a
    view finds, checks and writes inside it and draws its answer after COMMIT, so the next writer
    does not wait while a page is rendered. On PostgreSQL the block runs as it would without it.

    The services' own ``atomic`` blocks become savepoints, so a refused write still rolls back only
    its own work. A 404 or 403 raised inside commits what was written before it (the audited denial,
    the audited reads), as it would without this, and is raised again outside; anything else rolls
    the whole block back.
    """
    if connection.vendor != "sqlite":
        yield
        return
    refused: Http404 | PermissionDenied | None = None
    with transaction.atomic():
        try:
            yield
        except (Http404, PermissionDenied) as exc:
            refused = exc
    if refused is not None:
        raise refused
