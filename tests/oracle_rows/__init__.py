"""Access-oracle rows of the capability apps, one module per app (``ROWS: dict[str, Row]``), merged
into the oracle by tests/test_access_oracle.py. A URL name listed twice is an error."""

from __future__ import annotations

import importlib
import pkgutil

from tests.oracle_kit import Row

CAPABILITY_ROWS: dict[str, Row] = {}
for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    _rows: dict[str, Row] = importlib.import_module(f"{__name__}.{_info.name}").ROWS
    _twice = sorted(set(_rows) & set(CAPABILITY_ROWS))
    if _twice:
        raise ValueError(f"oracle rows listed twice: {_twice}")
    CAPABILITY_ROWS.update(_rows)
