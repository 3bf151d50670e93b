"""C-SSRS screener: every skip branch, every risk level, every flag, and skip-logic errors."""

from __future__ import annotations

import pytest

from kapstone.measures.scoring import score

NO = 0
YES = 1


@pytest.mark.parametrize(
    ("answers", "total", "band", "flags"),
    [
        # Q2 no -> Q3-Q5 skipped; Q6 no -> 6b skipped.
        ({"cssrs_1": NO, "cssrs_2": NO, "cssrs_6": NO}, 0, "No risk identified", []),
        ({"cssrs_1": YES, "cssrs_2": NO, "cssrs_6": NO}, 1, "Low risk", ["cssrs_wish_dead"]),
        # Q2 yes -> Q3-Q5 asked.
        (
            {"cssrs_1": NO, "cssrs_2": YES, "cssrs_3": NO, "cssrs_4": NO, "cssrs_5": NO, "cssrs_6": NO},
            1,
            "Low risk",
            ["cssrs_suicidal_thoughts"],
        ),
        (
            {"cssrs_1": YES, "cssrs_2": YES, "cssrs_3": YES, "cssrs_4": NO, "cssrs_5": NO, "cssrs_6": NO},
            2,
            "Moderate risk",
            ["cssrs_wish_dead", "cssrs_suicidal_thoughts", "cssrs_method"],
        ),
        (
            {"cssrs_1": NO, "cssrs_2": YES, "cssrs_3": NO, "cssrs_4": YES, "cssrs_5": NO, "cssrs_6": NO},
            3,
            "High risk",
            ["cssrs_suicidal_thoughts", "cssrs_intent"],
        ),
        (
            {"cssrs_1": NO, "cssrs_2": YES, "cssrs_3": NO, "cssrs_4": NO, "cssrs_5": YES, "cssrs_6": NO},
            3,
            "High risk",
            ["cssrs_suicidal_thoughts", "cssrs_plan"],
        ),
        # Q6 yes -> 6b asked.
        (
            {"cssrs_1": NO, "cssrs_2": NO, "cssrs_6": YES, "cssrs_6b": NO},
            2,
            "Moderate risk",
            ["cssrs_behaviour"],
        ),
        (
            {"cssrs_1": NO, "cssrs_2": NO, "cssrs_6": YES, "cssrs_6b": YES},
            3,
            "High risk",
            ["cssrs_behaviour", "cssrs_recent_behaviour"],
        ),
        # Everything yes.
        (
            {
                "cssrs_1": YES,
                "cssrs_2": YES,
                "cssrs_3": YES,
                "cssrs_4": YES,
                "cssrs_5": YES,
                "cssrs_6": YES,
                "cssrs_6b": YES,
            },
            3,
            "High risk",
            [
                "cssrs_wish_dead",
                "cssrs_suicidal_thoughts",
                "cssrs_method",
                "cssrs_intent",
                "cssrs_plan",
                "cssrs_behaviour",
                "cssrs_recent_behaviour",
            ],
        ),
    ],
)
def test_paths_levels_and_flags(cssrs, answers, total, band, flags):
    result = score(cssrs, answers)
    assert result.errors == []
    assert (result.complete, result.total, result.band) == (True, total, band)
    assert [f["id"] for f in result.flags] == flags
    assert all(f["severity"] == "safety" for f in result.flags)


def test_flags_name_their_item(cssrs):
    result = score(
        cssrs, {"cssrs_1": NO, "cssrs_2": YES, "cssrs_3": NO, "cssrs_4": YES, "cssrs_5": NO, "cssrs_6": NO}
    )
    assert [f["item"] for f in result.flags] == ["cssrs_2", "cssrs_4"]


def test_high_risk_interpretation(cssrs):
    result = score(cssrs, {"cssrs_1": NO, "cssrs_2": NO, "cssrs_6": YES, "cssrs_6b": YES})
    assert result.interpretation.startswith("High risk: yes to Q4 or Q5, or suicidal behaviour within")


def test_skipped_items_may_be_given_as_null(cssrs):
    result = score(
        cssrs,
        {
            "cssrs_1": NO,
            "cssrs_2": NO,
            "cssrs_3": None,
            "cssrs_4": None,
            "cssrs_5": None,
            "cssrs_6": NO,
            "cssrs_6b": None,
        },
    )
    assert (result.complete, result.total) == (True, 0)


@pytest.mark.parametrize(
    ("answers", "errors"),
    [
        ({"cssrs_1": NO, "cssrs_2": NO, "cssrs_3": NO, "cssrs_6": NO}, [("cssrs_3", "must_be_skipped")]),
        ({"cssrs_1": NO, "cssrs_2": NO, "cssrs_6": NO, "cssrs_6b": NO}, [("cssrs_6b", "must_be_skipped")]),
        (
            {"cssrs_1": NO, "cssrs_2": YES, "cssrs_3": NO, "cssrs_5": NO, "cssrs_6": NO},
            [("cssrs_4", "missing")],
        ),
        ({"cssrs_1": NO, "cssrs_2": NO, "cssrs_6": YES}, [("cssrs_6b", "missing")]),
        ({"cssrs_2": NO, "cssrs_6": NO}, [("cssrs_1", "missing")]),
    ],
)
def test_skip_logic_errors(cssrs, answers, errors):
    result = score(cssrs, answers)
    assert (result.complete, result.total, result.band) == (False, None, None)
    assert [(e["item"], e["code"]) for e in result.errors] == errors


def test_an_invalid_answer_to_a_skipped_question_is_reported_once(cssrs):
    result = score(cssrs, {"cssrs_1": NO, "cssrs_2": NO, "cssrs_3": 7, "cssrs_6": NO})
    assert result.errors == [
        {"item": "cssrs_3", "code": "out_of_range", "message": "cssrs_3: 7 is not an allowed answer (0, 1)"}
    ]


def test_must_be_skipped_message_names_the_rule(cssrs):
    result = score(cssrs, {"cssrs_1": NO, "cssrs_2": NO, "cssrs_3": NO, "cssrs_6": NO})
    assert result.errors[0]["message"] == "cssrs_3: answered, but it is asked only if cssrs_2 == 1"


def test_a_yes_that_contradicts_the_skip_logic_still_raises_its_safety_flag(cssrs):
    result = score(cssrs, {"cssrs_1": NO, "cssrs_2": NO, "cssrs_4": YES, "cssrs_6": NO})
    assert result.complete is False
    assert [(f["id"], f["severity"]) for f in result.flags] == [("cssrs_intent", "safety")]


def test_missing_q2_leaves_q3_to_q5_undecided_for_review(cssrs):
    result = score(cssrs, {"cssrs_1": YES, "cssrs_6": NO})
    assert [(e["item"], e["code"]) for e in result.errors] == [("cssrs_2", "missing")]
    assert [(f["id"], f["severity"]) for f in result.flags] == [
        ("cssrs_wish_dead", "safety"),
        ("cssrs_suicidal_thoughts_undetermined", "review"),
        ("cssrs_method_undetermined", "review"),
        ("cssrs_intent_undetermined", "review"),
        ("cssrs_plan_undetermined", "review"),
    ]


def test_recent_behaviour_raised_even_when_q1_missing(cssrs):
    result = score(cssrs, {"cssrs_2": NO, "cssrs_6": YES, "cssrs_6b": YES})
    assert result.complete is False
    ids = [f["id"] for f in result.flags if f["severity"] == "safety"]
    assert ids == ["cssrs_behaviour", "cssrs_recent_behaviour"]
    assert [f["id"] for f in result.flags if f["severity"] == "review"] == ["cssrs_wish_dead_undetermined"]
