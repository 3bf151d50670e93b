"""What apps above the record plug into the record's pages, registered in their ``AppConfig.ready``.

The record (``clients``) knows nothing that stands on it: the care module tells it how to find a
client's upcoming sessions for the portal, instead of the portal looking the care module up; the
screening module gives it the screening facts an intake holds (to check and compare them, and to
re-require clearance when they change) and a client's dosing readiness for the record's pages.
Without a registered screening module the record refuses rather than guess (fail closed).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured

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


class IntakeFacts(Protocol):
    """Screening's knowledge of an intake, as the record uses it."""

    medication_classes: tuple[str, ...]

    def document(
        self, intake: Any, client: Any, *, medications: Sequence[Mapping[str, Any]] | None = None
    ) -> dict[str, object]:
        """The screening facts the intake (and the client's date of birth) give."""

    def validate(self, intake: Any, medications: Sequence[Mapping[str, Any]] | None) -> None:
        """Raise ``ValidationError`` keyed by intake field where the screening core would refuse."""

    def changed(self, before: Mapping[str, object], after: Mapping[str, object]) -> list[str]:
        """The names of the facts that differ."""

    def supersede(self, actor: Any, client: Any, changed: list[str]) -> tuple[int, int]:
        """Inside the caller's transaction: re-require clearance; returns (clearances, screenings)."""


ReadinessSource = Callable[..., Any]
_intake_facts: list[IntakeFacts] = []
_readiness: list[ReadinessSource] = []


def register_intake_facts(provider: IntakeFacts) -> IntakeFacts:
    _intake_facts[:] = [provider]
    return provider


def intake_facts() -> IntakeFacts:
    if not _intake_facts:
        raise ImproperlyConfigured("No screening module registered the intake facts (kapstone.screening).")
    return _intake_facts[0]


def register_readiness_source(source: ReadinessSource) -> ReadinessSource:
    _readiness[:] = [source]
    return source


def dosing_readiness(client: Any, *, at: datetime | None = None) -> Any:
    """The client's dosing readiness (``kapstone.screening.readiness.Readiness``)."""
    if not _readiness:
        raise ImproperlyConfigured("No screening module registered dosing readiness (kapstone.screening).")
    return _readiness[0](client, at=at)
