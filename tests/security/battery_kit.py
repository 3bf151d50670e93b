"""Helpers for battery figures that several test modules add to (tests/battery_plugin.py)."""

from __future__ import annotations

from typing import Any

# T14's counters (security.md section 7): tests/accounts/test_sessions.py and test_sign_in.py add to them.
T14 = (
    "expiries",
    "enforced",
    "replays_accepted",
    "id_reused",
    "alive_after_deactivation",
    "no_store_missing",
)


def t14(battery: Any, **counts: int) -> None:
    """Add to T14's figure; counters a test does not measure add 0, so any subset of the tests prints."""
    battery.tally("T14", **{**dict.fromkeys(T14, 0), **counts})
