"""Hooks other modules fill in, so measures does not import them.

``response_stored`` and ``thresholds_stored`` tell listeners (program outcomes) about a stored
response or changed clinic options, inside the storing transaction; outcomes registers itself in its
``AppConfig.ready()``.

``dosing_marker_dates(client)`` gives the dates of the client's dosing sessions, drawn as markers on
the measure charts. It returns ``[]`` until the care module exists: that module registers its own
source in its ``AppConfig.ready()``::

    from kapstone.measures.hooks import register_dosing_marker_source
    register_dosing_marker_source(lambda client: [s.started_at.date() for s in ...])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
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


ResponseListener = Callable[[Any, Mapping[str, object] | None], None]
ThresholdsListener = Callable[[int, str, Mapping[str, object] | None], None]
_response_listeners: list[ResponseListener] = []
_thresholds_listeners: list[ThresholdsListener] = []


def register_response_listener(listener: ResponseListener) -> None:
    if listener not in _response_listeners:
        _response_listeners.append(listener)


def register_thresholds_listener(listener: ThresholdsListener) -> None:
    if listener not in _thresholds_listeners:
        _thresholds_listeners.append(listener)


def response_stored(response: Any, options: Mapping[str, object] | None) -> None:
    """A response was stored (call inside its transaction, so listeners move with it)."""
    for listener in _response_listeners:
        listener(response, options)


def thresholds_stored(organization_id: int, instrument_id: str, options: Mapping[str, object] | None) -> None:
    """A clinic changed an instrument's options (inside the change's transaction)."""
    for listener in _thresholds_listeners:
        listener(organization_id, instrument_id, options)
