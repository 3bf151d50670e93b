"""Hooks other modules fill in, so measures does not import them.

``dosing_marker_dates(client)`` gives the dates of the client's dosing sessions, drawn as markers on
the measure charts. It returns ``[]`` until the care module exists: that module registers its own
source in its ``AppConfig.ready()``::

    from kapstone.measures.hooks import register_dosing_marker_source
    register_dosing_marker_source(lambda client: [s.started_at.date() for s in ...])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

DosingSource = Callable[[Any], Iterable[date | datetime]]

_sources: list[DosingSource] = []


def register_dosing_marker_source(source: DosingSource) -> None:
    if source not in _sources:
        _sources.append(source)


def unregister_dosing_marker_source(source: DosingSource) -> None:
    if source in _sources:
        _sources.remove(source)


def dosing_marker_dates(client: Any) -> list[date]:
    """Sorted, de-duplicated dates of the client's dosing sessions ([] until the care module exists)."""
    found: set[date] = set()
    for source in _sources:
        for value in source(client):
            found.add(value.date() if isinstance(value, datetime) else value)
    return sorted(found)
