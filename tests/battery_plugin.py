"""The security and reliability battery (security.md section 7, issue #17): one line per test T1-T24.

A test records its figure with the `battery` fixture — `battery("T16", "break-glass uses: 3; ...")` —
and asserts its pass bar itself. Parametrized tests add to one figure instead —
`battery.tally("T1", cells=9, unexpected_allows=0)` — printed once through the catalogue's `figure`
template, e.g. "cells {cells}; unexpected allows {unexpected_allows}". At the end of the run the
terminal summary prints every battery test in order: the figures recorded in this run (marked FAIL
when a recording test failed), the reason a test is not applicable, or the suite where it runs when
this run did not include it. The catalogue (titles, where each runs, what is not applicable and
why) is `security/battery.toml`.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CATALOGUE = Path(__file__).parent / "security" / "battery.toml"
_KEY = pytest.StashKey["Battery"]()
_failed_nodeids: set[str] = set()  # pytest_runtest_logreport is not handed the config


@dataclass
class Battery:
    figures: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # id -> (nodeid, line)
    tallies: dict[str, Counter[str]] = field(default_factory=dict)  # id -> summed counters
    tallied_by: dict[str, set[str]] = field(default_factory=dict)  # id -> nodeids that added to it

    def record(self, test_id: str, nodeid: str, line: str) -> None:
        self.figures.setdefault(test_id, []).append((nodeid, line))

    def tally(self, test_id: str, nodeid: str, counts: dict[str, int]) -> None:
        self.tallies.setdefault(test_id, Counter()).update(counts)
        self.tallied_by.setdefault(test_id, set()).add(nodeid)


class Recorder:
    """What a test holds: `battery(id, line)` for a figure, `battery.tally(id, **counts)` to add to one."""

    def __init__(self, state: Battery, known: dict[str, dict[str, str]], nodeid: str) -> None:
        self.state, self.known, self.nodeid = state, known, nodeid

    def _check(self, test_id: str) -> None:
        if test_id not in self.known:
            raise KeyError(f"{test_id} is not in {CATALOGUE.name}")

    def __call__(self, test_id: str, line: str) -> None:
        self._check(test_id)
        self.state.record(test_id, self.nodeid, line)

    def tally(self, test_id: str, **counts: int) -> None:
        self._check(test_id)
        if "figure" not in self.known[test_id]:
            raise KeyError(f"{test_id} has no figure template in {CATALOGUE.name}")
        self.state.tally(test_id, self.nodeid, counts)


def catalogue() -> dict[str, dict[str, str]]:
    with CATALOGUE.open("rb") as handle:
        return tomllib.load(handle)


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_KEY] = Battery()


@pytest.fixture
def battery(request: pytest.FixtureRequest) -> Iterator[Recorder]:
    yield Recorder(request.config.stash[_KEY], catalogue(), request.node.nodeid)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.failed:
        _failed_nodeids.add(report.nodeid)


def summary_lines(state: Battery, known: dict[str, dict[str, str]], failed: set[str]) -> list[str]:
    lines = []
    for test_id, entry in known.items():
        head = f"{test_id:<4}{entry['title']}"
        if "not_applicable" in entry:
            lines.append(f"{head}: not applicable here: {entry['not_applicable']}")
            continue
        recorded = list(state.figures.get(test_id, []))
        if test_id in state.tallies:
            by = state.tallied_by[test_id]
            nodeid = next(iter(by & failed), next(iter(by)))
            counts = {key: f"{value:,}" for key, value in state.tallies[test_id].items()}
            recorded.insert(0, (nodeid, entry["figure"].format_map(counts)))
        if not recorded:
            lines.append(f"{head}: not in this run (runs in {entry['runs']})")
            continue
        for nodeid, line in recorded:
            mark = "FAIL" if nodeid in failed else "pass"
            lines.append(f"{head}: {line}  [{mark}]")
    return lines


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    state = config.stash[_KEY]
    if not state.figures and not state.tallies:
        return
    terminalreporter.section("security and reliability battery (security.md section 7)")
    for line in summary_lines(state, catalogue(), _failed_nodeids):
        terminalreporter.write_line(line)
