"""Properties of the checker over random ledgers: adding a line never turns a met requirement unmet;
removing one never turns an unmet one met; a verdict's numbers agree with its status."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kapstone.lib.hours import KINDS
from kapstone.practicum.core import Line, Status, check_set, shipped_sets
from kapstone.practicum.core.model import SESSIONS

TOPICS = ("co.ethics", "co.health", "co.touch", "co.trauma", "co.suicide", "co.screening", "elsewhere")
SETS = shipped_sets().all()
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

lines = st.builds(
    Line,
    kind=st.sampled_from(KINDS),
    minutes=st.integers(0, 3000),
    occurred_on=st.just(dt.date(2026, 1, 1)),
    counted=st.booleans(),
    topics=st.lists(st.sampled_from(TOPICS), max_size=3, unique=True).map(tuple),
    group_size=st.none() | st.integers(1, 12),
    client_key=st.none() | st.sampled_from(["a", "b", "c", "d"]),
    online=st.none() | st.booleans(),
    session=st.none() | st.sampled_from(SESSIONS),
)
ledgers = st.lists(lines, max_size=40)
facts = st.dictionaries(
    st.sampled_from(["kap.modules_complete", "kap.retreat", "or.exam_passed"]), st.none() | st.booleans()
)


def _statuses(ledger: list[Line], known: dict[str, bool | None]) -> list[tuple[str, str, Status]]:
    return [
        (report.set_id, v.requirement_id, v.status)
        for report in (check_set(s, ledger, facts=known) for s in SETS)
        for v in report.verdicts
    ]


@SETTINGS
@given(ledgers, lines, facts)
def test_adding_a_line_never_turns_met_unmet(
    ledger: list[Line], extra: Line, known: dict[str, bool | None]
) -> None:
    before = _statuses(ledger, known)
    after = _statuses([*ledger, extra], known)
    for (set_id, rid, was), (_, _, now) in zip(before, after, strict=True):
        if was is Status.MET:
            assert now is Status.MET, (set_id, rid)


@SETTINGS
@given(ledgers.filter(bool), st.data(), facts)
def test_removing_a_line_never_turns_unmet_met(
    ledger: list[Line], data: st.DataObject, known: dict[str, bool | None]
) -> None:
    index = data.draw(st.integers(0, len(ledger) - 1))
    fewer = ledger[:index] + ledger[index + 1 :]
    for (set_id, rid, was), (_, _, now) in zip(
        _statuses(ledger, known), _statuses(fewer, known), strict=True
    ):
        if was is not Status.MET:
            assert now is not Status.MET, (set_id, rid)


@SETTINGS
@given(ledgers, facts)
def test_numbers_agree_with_status(ledger: list[Line], known: dict[str, bool | None]) -> None:
    for req_set in SETS:
        for v in check_set(req_set, ledger, facts=known).verdicts:
            if v.need is None:
                continue
            if v.status is Status.MET:
                assert v.have >= v.need and v.missing == 0
            else:
                assert v.have < v.need and abs(v.missing - (v.need - v.have)) < 1e-9
            assert v.message  # always something a person can read


@SETTINGS
@given(ledgers)
def test_order_of_lines_does_not_matter(ledger: list[Line]) -> None:
    assert _statuses(ledger, {}) == _statuses(list(reversed(ledger)), {})
