"""Credentials tests sign with keys generated into a temporary private directory, never var/."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _key_dir(settings: object, tmp_path: Path) -> Path:
    folder = tmp_path / "keys"
    settings.KAPSTONE_CREDENTIAL_KEY_DIR = str(folder)  # type: ignore[attr-defined]
    settings.SITE_URL = "https://kapstone.test"  # type: ignore[attr-defined]
    return folder


@pytest.fixture(autouse=True)
def _own_sources_only() -> object:
    """Only practicum's own derived sources (see tests/practicum/conftest.py)."""
    from kapstone.practicum import sources

    saved = dict(sources._SOURCES)
    sources._SOURCES.clear()
    sources._SOURCES.update({k: v for k, v in saved.items() if k in ("notes", "meetings")})
    yield
    sources._SOURCES.clear()
    sources._SOURCES.update(saved)
