"""The role desk: what is waiting for each of the person's roles, with counts and ages.

Apps add queues from a ``desk`` module of their own (found at start-up, as Django's admin finds
``admin`` modules): ``register_queue(role, provider)``; a provider returns a ``Queue`` for this
actor, or None when the queue is not theirs. The ground never imports a domain app.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from kapstone.accounts.models import Role
from kapstone.core.actor import Actor


@dataclass(frozen=True)
class QueueItem:
    label: str
    url: str = ""
    at: datetime | None = None  # since when it has waited
    level: str = ""  # a severity or risk level, for its badge
    note: str = ""


@dataclass(frozen=True)
class Queue:
    key: str
    title: str
    items: list[QueueItem] = field(default_factory=list)
    total: int | None = None  # when the items shown are only the first ones
    url: str = ""  # the full list
    empty: str = "Nothing waiting."
    levels: Mapping[str, int] = field(default_factory=dict)  # e.g. {"High": 1, "Moderate": 2}
    order: int = 50

    @property
    def count(self) -> int:
        return self.total if self.total is not None else len(self.items)

    @property
    def oldest(self) -> datetime | None:
        times = [item.at for item in self.items if item.at is not None]
        return min(times) if times else None


Provider = Callable[[Actor], "Queue | None"]
_PROVIDERS: dict[str, list[Provider]] = {}


def register_queue(role: str, provider: Provider) -> Provider:
    providers = _PROVIDERS.setdefault(role, [])
    if provider not in providers:
        providers.append(provider)
    return provider


@dataclass(frozen=True)
class Desk:
    role: str
    title: str
    queues: list[Queue]

    @property
    def waiting(self) -> int:
        return sum(queue.count for queue in self.queues)


def desks_for(actor: Actor) -> list[Desk]:
    """One desk per role the person holds here, in the order of the roles table."""
    desks = []
    for role in Role:
        if role.value not in actor.roles:
            continue
        queues = [q for provider in _PROVIDERS.get(role.value, []) if (q := provider(actor)) is not None]
        desks.append(Desk(role.value, str(role.label), sorted(queues, key=lambda q: (q.order, q.title))))
    return desks


def age(moment: datetime | None, now: datetime | None = None) -> str:
    """How long something has waited, in the largest whole unit: '12 min', '5 h', '3 days'."""
    if moment is None:
        return ""
    seconds = max(0, int(((now or timezone.now()) - moment).total_seconds()))
    if seconds < 3600:
        return f"{max(1, seconds // 60)} min"
    if seconds < 86400 * 2:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


HealthCheck = Callable[[Actor], "list[QueueItem]"]
_HEALTH: list[HealthCheck] = []


def register_health(check: HealthCheck) -> HealthCheck:
    """A configuration check for the admin's desk: returns what needs doing (empty when healthy)."""
    if check not in _HEALTH:
        _HEALTH.append(check)
    return check


def health(actor: Actor) -> list[QueueItem]:
    return [item for check in _HEALTH for item in check(actor)]
