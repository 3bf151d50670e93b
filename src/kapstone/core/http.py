"""Typed requests: what our middleware attaches, so views and mypy agree."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from kapstone.accounts.models import Membership, User
    from kapstone.core.actor import Actor


class KapstoneRequest(HttpRequest):
    request_id: str
    source_ip: str | None
    actor: Actor
    memberships: list[Membership]
    htmx: HtmxDetails


class AuthenticatedRequest(KapstoneRequest):
    user: User
