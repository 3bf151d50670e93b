"""What the care module gives other modules through their hooks."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def dosing_dates(client: Any) -> list[datetime]:
    """The times of the client's dosing sessions (their first dose), for the measure charts."""
    from kapstone.care.models import CareSession, DoseRecord

    return list(
        DoseRecord.objects.filter(session__client=client, is_booster=False)
        .exclude(session__status=CareSession.Status.CANCELLED)
        .values_list("given_at", flat=True)
    )
