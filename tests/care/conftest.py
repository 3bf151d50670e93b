"""Fixtures for the care tests. ``ready`` makes Rowan genuinely ready for dosing through the real
intake, screening, clearance and consent services (``readiness_helpers``), so the care module talks
to the real readiness contract (``dosing_readiness``) in every test. Refusal tests set up the real
state that refuses (no clearance yet, consent withdrawn, clearance expired) with the same helpers."""

from __future__ import annotations

from typing import Any

import pytest

from readiness_helpers import Ready, make_ready


@pytest.fixture
def ready(world: Any) -> Ready:
    """Rowan is ready: intake recorded, screening cleared by Priya, consent signed with supportive
    touch ("hand on the shoulder", stop signal "raises a hand")."""
    return make_ready(world)


@pytest.fixture
def ready_without_touch(world: Any) -> Ready:
    """Rowan is ready, but did not agree to supportive touch in the consent."""
    return make_ready(world, touch=False)


@pytest.fixture
def ready_for_im(world: Any) -> Ready:
    """Rowan is ready for an intramuscular course: screened and cleared for racemic ketamine IM."""
    return make_ready(world, route="intramuscular")
