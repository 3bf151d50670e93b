"""What the care module gives other modules through their hooks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from kapstone.care.models import CareSession, DoseRecord

CohortListener = Callable[[int], None]
_cohort_listeners: list[CohortListener] = []


def register_cohort_listener(listener: CohortListener) -> None:
    """Program outcomes listen for a client's latest course changing (registered in its ready())."""
    if listener not in _cohort_listeners:
        _cohort_listeners.append(listener)


def cohort_changed(client_id: int) -> None:
    """The client's latest course changed (call inside the change's transaction)."""
    for listener in _cohort_listeners:
        listener(client_id)


def dosing_dates(client: Any) -> list[datetime]:
    """The times of the client's dosing sessions (their first dose), for the measure charts."""

    return list(
        DoseRecord.objects.filter(session__client=client, is_booster=False)
        .exclude(session__status=CareSession.Status.CANCELLED)
        .values_list("given_at", flat=True)
    )
