"""The checker reads each requirement's own lines through an index built once per set: the verdicts
are those of checking each requirement on its own, and lines no requirement counts change nothing,
wherever they sit in the ledger."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st
from test_practicum_requirement_properties import SETS, SETTINGS, facts, ledgers

from kapstone.practicum.core import Line, check_requirement, check_set

DAY = dt.date(2026, 1, 1)
# Instruction on a topic no shipped set names, and a kind of hours with a topic it never carries.
UNCOUNTED = (
    Line(kind="didactic_live", minutes=600, occurred_on=DAY, topics=("elsewhere",)),
    Line(kind="didactic_self_paced", minutes=600, occurred_on=DAY, topics=("elsewhere",), counted=False),
)


@SETTINGS
@given(ledgers, facts)
def test_a_set_checks_each_requirement_as_it_would_alone(
    ledger: list[Line], known: dict[str, bool | None]
) -> None:
    for req_set in SETS:
        alone = tuple(
            check_requirement(r, ledger, req_set, settings={}, facts=known) for r in req_set.requirements
        )
        assert check_set(req_set, ledger, facts=known).verdicts == alone


@SETTINGS
@given(ledgers, st.data())
def test_lines_no_topic_requirement_counts_change_no_topic_verdict(
    ledger: list[Line], data: st.DataObject
) -> None:
    at = data.draw(st.integers(0, len(ledger)))
    padded = [*ledger[:at], *UNCOUNTED, *ledger[at:]]
    for req_set in SETS:
        before = check_set(req_set, ledger).verdicts
        after = check_set(req_set, padded).verdicts
        for was, now, requirement in zip(before, after, req_set.requirements, strict=True):
            if requirement.topics:
                assert now == was, requirement.id
