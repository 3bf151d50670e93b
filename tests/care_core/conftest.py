"""Shared fixtures for the pure dosing-protocol core tests (no Django needed)."""

from __future__ import annotations

import pytest

from kapstone.care.protocol_core import Protocol, Registry, default_registry


@pytest.fixture(autouse=True)
def _fast_hashing() -> None:
    """The project-wide autouse fixture of this name needs pytest-django's ``settings``. This core is
    pure Python, so here it is a no-op and these tests run without Django
    (``pytest -p no:django tests/care_core``)."""


@pytest.fixture(scope="session")
def registry() -> Registry:
    return default_registry()


@pytest.fixture(scope="session")
def spravato(registry: Registry) -> Protocol:
    return registry.get("esketamine_spravato")


@pytest.fixture(scope="session")
def sublingual(registry: Registry) -> Protocol:
    return registry.get("sublingual_kap_series")


@pytest.fixture(scope="session")
def im(registry: Registry) -> Protocol:
    return registry.get("im_kap")


@pytest.fixture(scope="session")
def iv(registry: Registry) -> Protocol:
    return registry.get("iv_induction_series")
