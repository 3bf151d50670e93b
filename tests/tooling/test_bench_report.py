"""make bench's verdicts (issue #18's targets): medians of the rounds, every path's req/s beside its
bare view's (half of it; 80 % for the paths that were there already), its p99 under load at most
twice the bare view's with what the bare view and the floor reached beside it, and its p99 with one
connection under 100 ms with the bare view's beside it."""

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
    "chart@c1": _rounds((60, 30)),
    "chart:bare@c1": _rounds((200, 9)),
    "submit@c1": _rounds((50, 140)),
    "caseload": _rounds((45, 300), (44, 320), (46, 310)),
    "caseload:bare": _rounds((60, 200), (60, 200), (60, 200)),
}


def _verdicts(db: str) -> dict[str, tuple[bool, str]]:
    args = argparse.Namespace(db=db, concurrency=16, writers=16)
    goals = report(list(RESULTS), RESULTS, args, locked=0, rss=[98.0, 101.0], inproc={})
    return {name: (ok, said) for name, ok, said in goals}


@pytest.mark.parametrize(
    ("db", "goal", "verdict"),
    [
        (
            "sqlite",
            "chart: >= 50 % of its bare baseline's req/s",
            (False, "25 % (150.0 vs bare 600.0 req/s)"),
        ),
        (
            "sqlite",
            "chart: p99 at 16 connections <= 2x the bare view's",
            (False, "120.0 ms = 3.43x (bare: 35.0 ms, floor: 26.0 ms)"),
        ),
        ("sqlite", "chart: p99 < 100 ms unloaded (1 connection)", (True, "30.0 ms (bare: 9.0 ms)")),
        (
            "sqlite",
            "caseload: >= 80 % of its bare baseline's req/s",
            (False, "75 % (45.0 vs bare 60.0 req/s)"),
        ),
        (
            "postgres",
            "caseload: p99 at 16 connections <= 2x the bare view's",
            (True, "310.0 ms = 1.55x (bare: 200.0 ms, floor: 26.0 ms)"),
        ),
        (
            "sqlite",
            "submit: >= 50 % of its bare baseline's req/s",
            (False, "24 % (130.0 vs bare 540.0 req/s)"),
        ),
        (
            "postgres",
            "submit: p99 at 16 writers <= 2x the bare view's",
            (False, "146.0 ms = 3.17x (bare: 46.0 ms, floor: 26.0 ms)"),
        ),
        ("postgres", "submit: p99 < 100 ms unloaded (1 connection)", (False, "140.0 ms")),
        ("sqlite", "submit: 0 errors with 16 concurrent writers", (True, "0")),
        ("sqlite", "0 'database is locked' in the server log", (True, "0")),
        ("sqlite", "worker RSS < 200 MB", (True, "98 MB, 101 MB")),
    ],
)
def test_each_goal_is_judged_on_the_median_round(db: str, goal: str, verdict: tuple[bool, str]) -> None:
    assert _verdicts(db)[goal] == verdict


def test_no_path_is_held_to_a_fixed_p99_under_load() -> None:  # issue #18: twice the bare view's instead
    assert not any(" ms at " in goal or " ms with " in goal for goal in _verdicts("sqlite"))


def test_the_locked_count_is_a_sqlite_goal_only() -> None:
    assert "0 'database is locked' in the server log" not in _verdicts("postgres")
