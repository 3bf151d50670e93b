"""Issue #18's bench paths (the supervision desk, a trainee's ledger, the directory search): judged
beside their bare views in the same run, and a saved result never overwrites an earlier one."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bench.__main__ import report, saved_path
from bench.directory_mix import QUERIES, query_strings


def _rounds(*figures: tuple[float, float]) -> list[dict[str, Any]]:
    """One entry per round: (req/s, p99 ms)."""
    return [
        {"req_per_s": rps, "p50_ms": p99 / 2, "p99_ms": p99, "errors": 0, "statuses": {}}
        for rps, p99 in figures
    ]


RESULTS = {
    "floor": _rounds((900, 26), (880, 30), (910, 24)),
    "ledger": _rounds((30, 900), (31, 700), (29, 950)),
    "ledger:bare": _rounds((50, 400), (50, 400), (50, 400)),
    "ledger@c1": _rounds((20, 80), (20, 80), (20, 80)),
    "directory": _rounds((40, 500), (40, 500), (40, 500)),
    "directory:bare": _rounds((100, 200), (100, 200), (100, 200)),
    "directory@c1": _rounds((60, 120), (60, 120), (60, 120)),
}


def _verdicts() -> dict[str, tuple[bool, str]]:
    args = argparse.Namespace(db="sqlite", concurrency=16, writers=16)
    goals = report(list(RESULTS), RESULTS, args, locked=0, rss=[], inproc={})
    return {name: (ok, said) for name, ok, said in goals}


def test_a_new_path_is_held_to_twice_its_bare_p99_not_to_a_fixed_100_ms() -> None:
    verdicts = _verdicts()
    assert verdicts["ledger: p99 at 16 connections <= 2x the bare view's"] == (
        False,
        "900.0 ms = 2.25x (bare: 400.0 ms, floor: 26.0 ms)",
    )
    assert verdicts["ledger: >= 50 % of its bare baseline's req/s"] == (
        True,
        "60 % (30.0 vs bare 50.0 req/s)",
    )
    assert verdicts["ledger: p99 < 100 ms unloaded (1 connection)"] == (True, "80.0 ms")
    assert verdicts["directory: >= 50 % of its bare baseline's req/s"] == (
        False,
        "40 % (40.0 vs bare 100.0 req/s)",
    )
    assert verdicts["directory: p99 < 100 ms unloaded (1 connection)"] == (False, "120.0 ms")
    assert not any(
        goal.startswith(("ledger: p99 < 100 ms at", "directory: p99 < 100 ms at")) for goal in verdicts
    )


def test_a_saved_result_takes_a_new_name_rather_than_overwrite_one(tmp_path: Path) -> None:
    args = argparse.Namespace(db="sqlite", tier="S", suffix="issue 18/paths")
    first = saved_path(tmp_path, args)
    assert first.name.endswith("-sqlite-S-issue-18-paths.txt")
    first.write_text("earlier run")
    second = saved_path(tmp_path, args)
    assert second.name.endswith("-sqlite-S-issue-18-paths-2.txt")
    assert first.read_text() == "earlier run"


def test_the_directory_mix_is_every_search_of_the_in_process_bench_as_a_query_string() -> None:
    strings = query_strings()
    assert len(strings) == len(QUERIES)
    assert "route=im&modality=ifs&state=CA" in strings
    assert "page=1" in strings  # the search with no filter at all
    assert all("," not in s for s in strings)  # the load driver's --ids is comma-separated
