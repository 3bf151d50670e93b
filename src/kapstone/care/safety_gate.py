"""The safety tasks the dosing room must honour (issue #11 item 3): an open task at a level that
blocks dosing (high suicide risk) stops the pre-dose go and the dose until a clinician documents a
review; lower open tasks are shown as warnings ("review before the next dose")."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from django.utils import timezone

from kapstone.clients.models import Client
from kapstone.measures.selectors import dosing_blocked_by, open_safety_levels

if TYPE_CHECKING:
    from kapstone.screening.readiness import Readiness


def _when(task: object) -> str:
    opened = timezone.localtime(task.opened_at)  # type: ignore[attr-defined]
    return f"{opened:%Y-%m-%d %H:%M}"


def safety_gaps(client: Client) -> list[str]:
    """What blocks dosing now: each open safety task whose level blocks dosing."""

    return [
        f"{task.get_level_display().lower()} safety task open since {_when(task)} ({task.message}): "
        "a clinician must document a review of it before any dose"
        for task in dosing_blocked_by(client)
    ]


def safety_warnings(client: Client) -> list[str]:
    """Open safety tasks below the blocking level: review before this dose."""

    return [
        f"{task.get_level_display()} safety task open since {_when(task)}: {task.level_info.action} "
        f"({task.message})"
        for task in open_safety_levels(client)
        if not task.blocks_dosing
    ]


def with_safety(readiness: Readiness, client: Client) -> Readiness:
    """The readiness contract with the safety tasks folded in: blocking tasks are missing items."""
    gaps = safety_gaps(client)
    return replace(
        readiness,
        ready=readiness.ready and not gaps,
        missing=[*readiness.missing, *gaps],
        warnings=[*readiness.warnings, *safety_warnings(client)],
    )
