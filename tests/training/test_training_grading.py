"""Property tests of the grading core (pure): draws, refusals, scores, the pass decision with short
answers pending, and who may attempt when."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kapstone.training.curriculum import Check, Question
from kapstone.training.grading import (
    FAILED,
    PASSED,
    PENDING,
    PastAttempt,
    SubmissionRefused,
    draw_questions,
    eligibility,
    grade,
)

SETTINGS = settings(max_examples=200, deadline=None)
T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


@st.composite
def questions(draw: st.DrawFn, ident: str) -> Question:
    kind = draw(st.sampled_from(("single", "multiple", "true_false", "short_answer")))
    points = draw(st.integers(1, 5))
    base = {"id": ident, "kind": kind, "prompt": "p", "feedback": "f", "competency": "phelps.effects",
            "topic": "co.ethics", "points": points}  # fmt: skip
    if kind in ("single", "multiple"):
        n = draw(st.integers(2, 5))
        options = tuple(f"option {i}" for i in range(n))
        if kind == "single":
            correct = frozenset({draw(st.integers(0, n - 1))})
        else:
            correct = frozenset(draw(st.sets(st.integers(0, n - 1), min_size=1)))
        return Question(**base, options=options, correct=correct)
    if kind == "true_false":
        return Question(**base, answer=draw(st.booleans()))
    return Question(**base, guidance="g")


@st.composite
def checks(draw: st.DrawFn) -> Check:
    size = draw(st.integers(1, 8))
    bank = tuple(draw(questions(f"q{i}")) for i in range(size))
    return Check(
        pass_mark=draw(st.sampled_from((0.5, 0.6, 0.7, 0.75, 0.8, 0.9, 1.0))),
        attempts_allowed=draw(st.integers(0, 4)),
        wait_minutes=draw(st.integers(0, 120)),
        draw=draw(st.integers(1, size)),
        questions=bank,
    )


def right(q: Question) -> list[str]:
    if q.kind in ("single", "multiple"):
        return [str(i) for i in sorted(q.correct)]
    if q.kind == "true_false":
        return ["true" if q.answer else "false"]
    return ["an answer in words"]


def wrong(q: Question) -> list[str]:
    if q.kind == "single":
        return [str(next(i for i in range(len(q.options)) if i not in q.correct))]
    if q.kind == "multiple":
        return [str(i) for i in range(len(q.options)) if i not in q.correct] or []
    if q.kind == "true_false":
        return ["false" if q.answer else "true"]
    return []  # an unanswered short answer earns nothing


@given(checks(), st.integers())
@SETTINGS
def test_a_draw_is_seeded_sized_distinct_and_from_the_bank(check: Check, seed: int) -> None:
    drawn = draw_questions(check, seed)
    assert drawn == draw_questions(check, seed)
    assert len(drawn) == len(set(drawn)) == check.draw
    assert set(drawn) <= {q.id for q in check.questions}


@given(checks(), st.integers(), st.data())
@SETTINGS
def test_score_is_a_fraction_of_the_drawn_points_and_decides_at_the_exact_pass_mark(
    check: Check, seed: int, data: st.DataObject
) -> None:
    drawn = draw_questions(check, seed)
    answers = {i: data.draw(st.sampled_from((right, wrong)))(check.question(i)) for i in drawn}
    marks = {i: data.draw(st.booleans()) for i in drawn if check.question(i).kind == "short_answer"}
    result = grade(check, drawn, answers, marks=marks)
    assert result.available == sum(check.question(i).points for i in drawn)
    assert 0 <= result.score <= 1 and result.pending_points == 0
    threshold = Fraction(str(check.pass_mark)) * result.available
    assert result.status == (PASSED if result.earned >= threshold else FAILED)


@given(checks(), st.integers())
@SETTINGS
def test_all_right_passes_with_full_marks_and_all_wrong_earns_nothing(check: Check, seed: int) -> None:
    drawn = draw_questions(check, seed)
    marks = dict.fromkeys(drawn, True)
    best = grade(check, drawn, {i: right(check.question(i)) for i in drawn}, marks=marks)
    assert best.status == PASSED and best.score == 1
    worst = grade(
        check, drawn, {i: wrong(check.question(i)) for i in drawn}, marks=dict.fromkeys(drawn, False)
    )
    assert worst.earned == 0 and worst.status == FAILED


@given(checks(), st.integers(), st.data())
@SETTINGS
def test_correcting_one_answer_never_lowers_the_score(check: Check, seed: int, data: st.DataObject) -> None:
    drawn = draw_questions(check, seed)
    answers = {i: wrong(check.question(i)) for i in drawn}
    marks = dict.fromkeys(drawn, False)
    before = grade(check, drawn, answers, marks=marks)
    fixed = data.draw(st.sampled_from(drawn))
    marks[fixed] = True
    after = grade(check, drawn, {**answers, fixed: right(check.question(fixed))}, marks=marks)
    assert after.earned >= before.earned


@given(checks(), st.integers(), st.data())
@SETTINGS
def test_pending_means_the_supervisor_can_still_decide_either_way(
    check: Check, seed: int, data: st.DataObject
) -> None:
    drawn = draw_questions(check, seed)
    answers = {i: data.draw(st.sampled_from((right, wrong)))(check.question(i)) for i in drawn}
    unmarked = grade(check, drawn, answers)
    shorts = [i for i in drawn if check.question(i).kind == "short_answer" and answers[i]]
    assert unmarked.pending_points == sum(check.question(i).points for i in shorts)
    outcomes = {grade(check, drawn, answers, marks=dict.fromkeys(shorts, verdict)).status
                for verdict in (True, False)}  # fmt: skip
    if unmarked.status == PENDING:
        assert outcomes == {PASSED, FAILED}
    else:
        assert outcomes == {unmarked.status}


@given(checks(), st.integers(), st.text(min_size=1, max_size=8).filter(lambda s: not s.startswith("q")))
@SETTINGS
def test_an_answer_to_a_question_not_drawn_is_refused(check: Check, seed: int, stray: str) -> None:
    drawn = draw_questions(check, seed)
    undrawn = [q.id for q in check.questions if q.id not in drawn]
    for ident in [stray, *undrawn]:
        with pytest.raises(SubmissionRefused, match="not drawn"):
            grade(check, drawn, {ident: ["0"]})


@given(checks(), st.integers(), st.data())
@SETTINGS
def test_the_order_of_chosen_options_does_not_matter(check: Check, seed: int, data: st.DataObject) -> None:
    drawn = draw_questions(check, seed)
    answers = {i: right(check.question(i)) for i in drawn}
    shuffled = {i: data.draw(st.permutations(v)) for i, v in answers.items()}
    assert grade(check, drawn, answers).earned == grade(check, drawn, shuffled).earned


def test_a_malformed_answer_is_refused_naming_the_question() -> None:
    check = Check(0.5, 3, 0, 1, (Question("a", "single", "p", "f", "c.x", "co.ethics", options=("x", "y"),
                                           correct=frozenset({0})),))  # fmt: skip
    for bad in (["7"], ["0", "1"], ["x"]):
        with pytest.raises(SubmissionRefused) as caught:
            grade(check, ("a",), {"a": bad})
        assert caught.value.question == "a"


@given(checks(), st.lists(st.integers(0, 600), max_size=6), st.integers(0, 1000))
@SETTINGS
def test_attempts_allowed_and_the_waiting_period_hold(check: Check, gaps: list[int], later: int) -> None:
    past, when = [], T0
    for gap in gaps:
        when += dt.timedelta(minutes=gap)
        past.append(PastAttempt(when, FAILED))
    now = when + dt.timedelta(minutes=later)
    verdict = eligibility(check, past, now)
    exhausted = check.attempts_allowed and len(past) >= check.attempts_allowed
    waiting = bool(past) and later < check.wait_minutes
    assert verdict.allowed == (not exhausted and not waiting)
    if verdict.allowed and check.attempts_allowed:
        assert verdict.attempts_left == check.attempts_allowed - len(past) > 0


def test_a_pass_a_pending_grade_and_a_deadline_each_close_the_check() -> None:
    check = Check(0.5, 0, 0, 1, (Question("a", "true_false", "p", "f", "c.x", "co.ethics", answer=True),))
    assert not eligibility(check, [PastAttempt(T0, PASSED)], T0).allowed
    assert "not yet graded" in eligibility(check, [PastAttempt(T0, PENDING)], T0).reason
    closed = eligibility(check, [], T0, deadline=T0 - dt.timedelta(seconds=1))
    assert not closed.allowed and "closed" in closed.reason
