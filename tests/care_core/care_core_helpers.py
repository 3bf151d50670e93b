"""Helpers for the protocol-core tests."""

from __future__ import annotations

import copy
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kapstone.care.protocol_core import SHIPPED_DIR

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
IDS = ["sublingual_kap_series", "im_kap", "iv_induction_series", "esketamine_spravato"]

_RAW: dict[str, dict[str, Any]] = {}


def raw(protocol_id: str) -> dict[str, Any]:
    """A fresh, mutable copy of a shipped protocol's TOML document."""
    if protocol_id not in _RAW:
        _RAW[protocol_id] = tomllib.loads((SHIPPED_DIR / f"{protocol_id}.toml").read_text(encoding="utf-8"))
    return copy.deepcopy(_RAW[protocol_id])


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path
