"""make bench's verdicts: medians of the rounds, ratios to the bare view, the write limit per
database, and beside every p99 target what the bare view and the floor reached under the same load."""

from __future__ import annotations

import argparse
from typing import Any

import pytest
from bench.__main__ import report


def _rounds(*figures: tuple[float, float]) -> list[dict[str, Any]]:
    """One entry per round: (req/s, p99 ms)."""
    return [
        {"req_per_s": rps, "p50_ms": p99 / 2, "p99_ms": p99, "errors": 0, "statuses": {}}
        for rps, p99 in figures
    ]


RESULTS = {
    "floor": _rounds((900, 26), (880, 30), (910, 24)),
    "chart": _rounds((150, 120), (1, 999), (160, 110)),  # one bad round: the median ignores it
    "chart:bare": _rounds((600, 35), (600, 35), (600, 35)),
    "submit": _rounds((130, 146), (135, 140), (120, 150)),
    "submit:bare": _rounds((540, 46), (540, 46), (540, 46)),
}


def _verdicts(db: str) -> dict[str, tuple[bool, str]]:
    args = argparse.Namespace(db=db, concurrency=16, writers=16)
    goals = report(list(RESULTS), RESULTS, args, locked=0, rss=[98.0, 101.0], inproc={})
    return {name: (ok, said) for name, ok, said in goals}


@pytest.mark.parametrize(
    ("db", "goal", "verdict"),
    [
        ("sqlite", "chart: >= 50 % of its bare baseline's req/s", (False, "25 %")),
        (
            "sqlite",
            "chart: p99 < 100 ms at 16 connections",
            (False, "120.0 ms (bare: 35.0 ms, floor: 26.0 ms)"),
        ),
        (
            "sqlite",
            "submit: p99 < 250 ms with 16 writers (sqlite)",
            (True, "146.0 ms (bare: 46.0 ms, floor: 26.0 ms)"),
        ),
        (
            "postgres",
            "submit: p99 < 50 ms with 16 writers (postgres)",
            (False, "146.0 ms (bare: 46.0 ms, floor: 26.0 ms)"),
        ),
        ("sqlite", "submit: 0 errors with 16 concurrent writers", (True, "0")),
        ("sqlite", "0 'database is locked' in the server log", (True, "0")),
        ("sqlite", "worker RSS < 200 MB", (True, "98 MB, 101 MB")),
    ],
)
def test_each_goal_is_judged_on_the_median_round(db: str, goal: str, verdict: tuple[bool, str]) -> None:
    assert _verdicts(db)[goal] == verdict


def test_the_locked_count_is_a_sqlite_goal_only() -> None:
    assert "0 'database is locked' in the server log" not in _verdicts("postgres")
