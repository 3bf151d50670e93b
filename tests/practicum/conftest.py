"""The practicum tests count only practicum's own derived sources (co-signed notes, supervision
meetings): the training, community and consultation sources belong to apps built alongside, and
are tested through the registry with a stand-in (test_practicum_sources.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _own_sources_only() -> Iterator[dict[str, Any]]:
    """Yields every source registered at import (a test may put them back)."""
    from kapstone.practicum import sources

    saved = dict(sources._SOURCES)
    sources._SOURCES.clear()
    sources._SOURCES.update({k: v for k, v in saved.items() if k in ("notes", "meetings")})
    yield saved
    sources._SOURCES.clear()
    sources._SOURCES.update(saved)
