"""The battery summary `.ci/run` prints: every catalogued test once, in order, with what this run saw."""

from __future__ import annotations

from battery_plugin import Battery, catalogue, summary_lines


def test_the_catalogue_holds_t1_to_t24_in_order_each_with_where_it_runs_or_why_not():
    known = catalogue()
    assert list(known) == [f"T{n}" for n in range(1, 25)]
    for entry in known.values():
        assert entry["title"] and ("runs" in entry or "not_applicable" in entry)


def test_a_figure_is_marked_by_its_tests_outcome_and_an_absent_test_says_where_it_runs():
    known = {
        "T1": {"title": "Authorization matrix", "runs": "make test"},
        "T2": {"title": "IDOR", "runs": "make test"},
        "T3": {"title": "Mass assignment", "runs": "make test-browser"},
        "T4": {"title": "Segregation", "not_applicable": "no such path here"},
    }
    state = Battery()
    state.record("T1", "tests/a.py::ok", "cells 10 of 10 match")
    state.record("T2", "tests/b.py::bad", "cross-client reads 1")
    state.record("T2", "tests/b.py::ok", "cross-clinic responses not 404: 0")

    lines = summary_lines(state, known, failed={"tests/b.py::bad"})

    assert lines == [
        "T1  Authorization matrix: cells 10 of 10 match  [pass]",
        "T2  IDOR: cross-client reads 1  [FAIL]",
        "T2  IDOR: cross-clinic responses not 404: 0  [pass]",
        "T3  Mass assignment: not in this run (runs in make test-browser)",
        "T4  Segregation: not applicable here: no such path here",
    ]


def test_tallies_from_many_parametrized_tests_print_as_one_figure_failing_if_any_part_failed():
    known = {
        "T1": {"title": "Authorization matrix", "runs": "make test", "figure": "cells {cells}; bad {bad}"}
    }
    state = Battery()
    state.tally("T1", "t.py::a", {"cells": 900, "bad": 0})
    state.tally("T1", "t.py::b", {"cells": 450, "bad": 0})

    assert summary_lines(state, known, failed=set()) == [
        "T1  Authorization matrix: cells 1,350; bad 0  [pass]"
    ]
    assert summary_lines(state, known, failed={"t.py::b"}) == [
        "T1  Authorization matrix: cells 1,350; bad 0  [FAIL]"
    ]
