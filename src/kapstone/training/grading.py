"""Knowledge-check grading: a pure function over the check's data and the submitted answers.

No Django. ``draw_questions`` picks the attempt's questions from the bank with a seed (the same
seed, the same draw); ``grade`` refuses answers to questions that were not drawn and malformed
answers, grades single / multiple choice and true/false at once and leaves short answers pending a
supervisor, and decides pass / fail / pending with exact fractions (no float rounding at the pass
mark). ``eligibility`` says whether a new attempt may start: attempts allowed, the waiting period,
a deadline, a pass already earned or a grade still pending.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from kapstone.training.curriculum.model import Check, Question

PASSED, FAILED, PENDING = "passed", "failed", "pending"
CORRECT, INCORRECT, UNGRADED = "correct", "incorrect", "pending"
MAX_TEXT = 5000

Answer = int | frozenset[int] | bool | str | None


class SubmissionRefused(ValueError):
    """The submission cannot be graded as sent; ``question`` names the question it is about, if one."""

    def __init__(self, message: str, *, question: str = "") -> None:
        super().__init__(message)
        self.question = question


def draw_questions(check: Check, seed: int) -> tuple[str, ...]:
    """``check.draw`` distinct question ids from the bank, chosen by ``seed`` (in bank order)."""
    ids = [q.id for q in check.questions]
    chosen = set(random.Random(seed).sample(ids, check.draw))  # noqa: S311 (a reproducible draw, not a secret)
    return tuple(ident for ident in ids if ident in chosen)


def _indices(question: Question, values: Sequence[str]) -> frozenset[int]:
    found = set()
    for value in values:
        text = str(value).strip()
        if not text.isdigit() or int(text) >= len(question.options):
            raise SubmissionRefused(f"{value!r} is not an option of this question.", question=question.id)
        found.add(int(text))
    return frozenset(found)


def parse_answer(question: Question, values: Sequence[str]) -> Answer:
    """One question's answer from the submitted form values (empty = unanswered = ``None``)."""
    values = [v for v in values if str(v).strip() != ""]
    if not values:
        return None
    if question.kind == "single":
        if len(values) != 1:
            raise SubmissionRefused("Choose one option.", question=question.id)
        return next(iter(_indices(question, values)))
    if question.kind == "multiple":
        return _indices(question, values)
    if question.kind == "true_false":
        if len(values) != 1 or values[0] not in ("true", "false"):
            raise SubmissionRefused("Answer true or false.", question=question.id)
        return values[0] == "true"
    text = "\n".join(str(v) for v in values).strip()
    if len(text) > MAX_TEXT:
        raise SubmissionRefused(f"Keep the answer under {MAX_TEXT} characters.", question=question.id)
    return text


@dataclass(frozen=True)
class QuestionResult:
    id: str
    kind: str
    points: int
    earned: int
    state: str  # correct | incorrect | pending
    answer: Answer
    feedback: str
    competency: str
    topic: str


@dataclass(frozen=True)
class Result:
    drawn: tuple[str, ...]
    questions: tuple[QuestionResult, ...]
    available: int
    earned: int
    pending_points: int
    pass_mark: Fraction
    status: str  # passed | failed | pending

    @property
    def score(self) -> Fraction:
        return Fraction(self.earned, self.available) if self.available else Fraction(0)

    @property
    def percent(self) -> int:
        return int(self.score * 100)


def pass_fraction(check: Check) -> Fraction:
    return Fraction(str(check.pass_mark)).limit_denominator(10_000)


def _is_correct(question: Question, answer: Answer) -> bool:
    if question.kind == "single":
        return answer is not None and frozenset({answer}) == question.correct
    if question.kind == "multiple":
        return answer == question.correct
    return answer is not None and answer is question.answer


def grade(
    check: Check,
    drawn: Sequence[str],
    answers: Mapping[str, Sequence[str]],
    *,
    marks: Mapping[str, bool] | None = None,
) -> Result:
    """Grade the answers (form values per question id) to the ``drawn`` questions.

    ``marks`` holds a supervisor's verdicts on short answers (question id → correct); a short answer
    without a mark stays pending. Refused: an answer to a question that was not drawn, a drawn id
    the bank does not hold, a malformed answer.
    """
    bank = {q.id: q for q in check.questions}
    unknown = [ident for ident in drawn if ident not in bank]
    if unknown or len(set(drawn)) != len(drawn) or not drawn:
        raise SubmissionRefused("The questions of this attempt do not match the knowledge check.")
    undrawn = sorted(set(answers) - set(drawn))
    if undrawn:
        raise SubmissionRefused(f"Answers to questions that were not drawn: {', '.join(undrawn)}.")
    marks = marks or {}
    results = []
    for ident in drawn:
        question = bank[ident]
        answer = parse_answer(question, answers.get(ident, ()))
        if question.kind == "short_answer" and answer is not None:
            state = UNGRADED if ident not in marks else (CORRECT if marks[ident] else INCORRECT)
        else:
            state = CORRECT if answer is not None and _is_correct(question, answer) else INCORRECT
        earned = question.points if state == CORRECT else 0
        results.append(QuestionResult(ident, question.kind, question.points, earned, state, answer,
                                      question.feedback, question.competency, question.topic))  # fmt: skip
    available = sum(r.points for r in results)
    earned = sum(r.earned for r in results)
    pending = sum(r.points for r in results if r.state == UNGRADED)
    mark = pass_fraction(check)
    threshold = mark * available
    if earned >= threshold:
        status = PASSED
    elif earned + pending < threshold:
        status = FAILED
    else:
        status = PENDING
    return Result(tuple(drawn), tuple(results), available, earned, pending, mark, status)


@dataclass(frozen=True)
class PastAttempt:
    submitted_at: dt.datetime
    status: str  # passed | failed | pending


@dataclass(frozen=True)
class Eligibility:
    allowed: bool
    reason: str = ""
    next_at: dt.datetime | None = None
    attempts_left: int | None = None  # None = unlimited


def eligibility(
    check: Check, past: Sequence[PastAttempt], now: dt.datetime, *, deadline: dt.datetime | None = None
) -> Eligibility:
    """May a new attempt be submitted ``now``, given the earlier attempts on this check?"""
    used = len(past)
    left = None if check.attempts_allowed == 0 else max(check.attempts_allowed - used, 0)
    if any(p.status == PASSED for p in past):
        return Eligibility(False, "You have passed this knowledge check.", attempts_left=left)
    if any(p.status == PENDING for p in past):
        return Eligibility(False, "Your supervisor has not yet graded your last attempt.", attempts_left=left)
    if deadline is not None and now > deadline:
        return Eligibility(
            False, f"This knowledge check closed on {deadline:%Y-%m-%d %H:%M} UTC.", attempts_left=left
        )
    if left == 0:
        return Eligibility(False, f"All {check.attempts_allowed} attempts are used.", attempts_left=0)
    if past:
        last = max(p.submitted_at for p in past)
        ready = last + dt.timedelta(minutes=check.wait_minutes)
        if now < ready:
            return Eligibility(False, f"Your next attempt opens at {ready:%Y-%m-%d %H:%M} UTC.", ready, left)
    return Eligibility(True, attempts_left=left)
