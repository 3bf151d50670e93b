"""Fixtures for the care tests. ``ready`` stands in for the clients module's readiness contract
(``dosing_readiness(client, *, at=None) -> Readiness``) so these tests do not depend on the whole
screening/consent flow; one test uses the real function to show a refusal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


def _readiness(ready: bool = True, missing: list[str] | None = None, touch: bool = True) -> Any:
    from kapstone.clients.readiness import Readiness, TouchOptIn

    return Readiness(
        ready=ready,
        missing=list(missing or []),
        clearance=None,
        consent=None,
        touch_opt_in=TouchOptIn(True, "hand on the shoulder", "raises a hand")
        if touch
        else TouchOptIn(False),
    )


@pytest.fixture
def readiness(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """``readiness(ready=True, missing=[...], touch=True)`` sets what the contract answers."""
    from kapstone.clients import readiness as module

    def set_to(**kwargs: Any) -> None:
        value = _readiness(**kwargs)
        monkeypatch.setattr(module, "dosing_readiness", lambda client, *, at=None: value)

    set_to()
    return set_to


@pytest.fixture
def ready(readiness: Callable[..., None]) -> None:
    """The client is ready (clearance and consent current, touch agreed)."""
