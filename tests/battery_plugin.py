"""The security and reliability battery (security.md section 7, issue #17): one line per test T1-T24.

A test records its figure with the `battery` fixture — `battery("T16", "break-glass uses: 3; ...")` —
and asserts its pass bar itself. At the end of the run the terminal summary prints every battery
test in order: the figures recorded in this run (marked FAIL when the recording test failed), the
reason a test is not applicable, or the suite where it runs when this run did not include it. The
catalogue (titles, where each runs, what is not applicable and why) is `security/battery.toml`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CATALOGUE = Path(__file__).parent / "security" / "battery.toml"
_KEY = pytest.StashKey["Battery"]()
_failed_nodeids: set[str] = set()  # pytest_runtest_logreport is not handed the config


@dataclass
class Battery:
    figures: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # id -> (nodeid, line)
    failed: set[str] = field(default_factory=set)

    def record(self, test_id: str, nodeid: str, line: str) -> None:
        self.figures.setdefault(test_id, []).append((nodeid, line))


def catalogue() -> dict[str, dict[str, str]]:
    with CATALOGUE.open("rb") as handle:
        return tomllib.load(handle)


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_KEY] = Battery()


@pytest.fixture
def battery(request: pytest.FixtureRequest) -> Iterator[Callable[[str, str], None]]:
    known = catalogue()
    state = request.config.stash[_KEY]

    def record(test_id: str, line: str) -> None:
        if test_id not in known:
            raise KeyError(f"{test_id} is not in {CATALOGUE.name}")
        state.record(test_id, request.node.nodeid, line)

    yield record


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
        recorded = state.figures.get(test_id, [])
        if not recorded:
            lines.append(f"{head}: not in this run (runs in {entry['runs']})")
            continue
        for nodeid, line in recorded:
            mark = "FAIL" if nodeid in failed else "pass"
            lines.append(f"{head}: {line}  [{mark}]")
    return lines


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    state = config.stash[_KEY]
    if not state.figures:
        return
    terminalreporter.section("security and reliability battery (security.md section 7)")
    for line in summary_lines(state, catalogue(), _failed_nodeids):
        terminalreporter.write_line(line)
