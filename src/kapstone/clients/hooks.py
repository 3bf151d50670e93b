"""What apps above the record plug into the record's pages, registered in their ``AppConfig.ready``.

The record (``clients``) knows nothing that stands on it: the care module tells it how to find a
client's upcoming sessions for the portal, instead of the portal looking the care module up.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

UpcomingSessions = Callable[[Any], Sequence[Any]]
_upcoming: list[UpcomingSessions] = []


def register_upcoming_sessions_source(provider: UpcomingSessions) -> UpcomingSessions:
    if provider not in _upcoming:
        _upcoming.append(provider)
    return provider


def upcoming_sessions(client: Any) -> list[Any] | None:
    """The client's upcoming sessions (times and kinds only); ``None`` when no module provides them."""
    if not _upcoming:
        return None
    return [session for provider in _upcoming for session in provider(client)]
