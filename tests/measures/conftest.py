"""Shared fixtures for the pure measurement-core tests (no Django needed)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kapstone.measures.scoring import Instrument, Registry, default_registry


@pytest.fixture(scope="session")
def registry() -> Registry:
    return default_registry()


@pytest.fixture(scope="session")
def get(registry: Registry) -> Callable[[str], Instrument]:
    return registry.get


@pytest.fixture(scope="session")
def phq9(registry: Registry) -> Instrument:
    return registry.get("phq9")


@pytest.fixture(scope="session")
def gad7(registry: Registry) -> Instrument:
    return registry.get("gad7")


@pytest.fixture(scope="session")
def pcl5(registry: Registry) -> Instrument:
    return registry.get("pcl5")


@pytest.fixture(scope="session")
def cssrs(registry: Registry) -> Instrument:
    return registry.get("cssrs_screener")


@pytest.fixture(scope="session")
def meq30(registry: Registry) -> Instrument:
    return registry.get("meq30")


@pytest.fixture(scope="session")
def ebi(registry: Registry) -> Instrument:
    return registry.get("ebi")


@pytest.fixture(scope="session")
def who5(registry: Registry) -> Instrument:
    return registry.get("who5")


@pytest.fixture(autouse=True)
def _fast_hashing(request: pytest.FixtureRequest) -> None:
    """The project-wide autouse fixture of this name needs pytest-django's ``settings``. The
    measurement core is pure Python and its tests also run without Django
    (``pytest -p no:django tests/measures/test_scoring_*.py ...``): then this is a no-op;
    with pytest-django active, the project-wide fixture runs as usual."""
    if request.config.pluginmanager.hasplugin("django"):
        request.getfixturevalue("_fast_hashing")
