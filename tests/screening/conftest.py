"""Shared fixtures for the pure screening-core tests (no Django needed:
``pytest -p no:django tests/screening``)."""

from __future__ import annotations

import pytest

from kapstone.screening.ruleset import RuleSet, default_ruleset


@pytest.fixture(scope="session")
def ruleset() -> RuleSet:
    return default_ruleset()


@pytest.fixture(autouse=True)
def _fast_hashing() -> None:
    """The project-wide autouse fixture of this name needs pytest-django's ``settings``; the
    screening core is pure Python, so here it is a no-op."""
