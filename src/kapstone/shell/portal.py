"""What apps list on the client's portal home after sign-in (registered from their ``desk`` module).

A provider returns ``PortalItem`` rows for the client: e.g. the questionnaires still open for them,
so a client who signed in does not need the mailed link.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class PortalItem:
    kind: str  # "questionnaire", ...
    title: str
    note: str = ""
    post_url: str = ""  # a button that starts it (a POST: starting changes state)
    url: str = ""
    until: datetime | None = None


PortalProvider = Callable[[Any], "list[PortalItem]"]
_PROVIDERS: list[PortalProvider] = []


def register_portal_items(provider: PortalProvider) -> PortalProvider:
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)
    return provider


def portal_items(client: Any, kind: str) -> list[PortalItem]:
    return [item for provider in _PROVIDERS for item in provider(client) if item.kind == kind]
