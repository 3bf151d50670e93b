"""The structured Safe Harbor rules, from the versioned data file beside this module (no Django)."""

from __future__ import annotations

import datetime as dt
import tomllib
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "safe_harbor.toml"


@cache
def _rules() -> dict[str, object]:
    with DATA.open("rb") as fh:
        data = tomllib.load(fh)
    if data.get("kind") != "deid_rules":
        raise ValueError(f"{DATA}: kind must be 'deid_rules'")
    return data


def rules_version() -> str:
    return str(_rules()["version"])


def restricted_zip3() -> frozenset[str]:
    zip3 = _rules()["zip3"]
    assert isinstance(zip3, dict)
    return frozenset(str(z) for z in zip3["restricted"])


def oldest_shown() -> int:
    age = _rules()["age"]
    assert isinstance(age, dict)
    return int(age["oldest_shown"])


def zip_placeholder(zip_code: str) -> str:
    """ZIP reduced to its first three digits, or 000 where that area is too small to keep."""
    digits = "".join(c for c in zip_code if c.isdigit())[:3]
    if len(digits) < 3 or digits in restricted_zip3():
        return "[ZIP-000]"
    return f"[ZIP-{digits}]"


def date_placeholder(
    year: int | None, *, date_of_birth: dt.date | None = None, today: dt.date | None = None
) -> str:
    """A date reduced to its year; no year at all where the year would show an age over 89."""
    if year is None:
        return "[DATE]"
    very_old = (
        date_of_birth is not None and today is not None and today.year - date_of_birth.year > oldest_shown()
    )
    if very_old and date_of_birth is not None and year <= date_of_birth.year + 1:
        return "[DATE-90+]"
    if today is not None and year < today.year - oldest_shown():
        return "[DATE]"  # a year that old can itself show an age over 89
    return f"[DATE-{year}]"
