"""One answer per question while a block runs: what several parts of one page each ask.

The client header's facts come from several apps' providers; two of them ask for the client's dosing
readiness (seven queries). Inside ``shared_answers()`` the first ask computes it and the others reuse
it; outside, ``remember`` simply computes. Only answers about "now" are shared (the block is one
moment of one page), never an answer asked for a given time.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")

_ANSWERS: ContextVar[dict[Hashable, Any] | None] = ContextVar("kapstone_shared_answers", default=None)


@contextmanager
def shared_answers() -> Iterator[None]:
    token = _ANSWERS.set({})
    try:
        yield
    finally:
        _ANSWERS.reset(token)


def remember(key: Hashable, compute: Callable[[], T]) -> T:
    answers = _ANSWERS.get()
    if answers is None:
        return compute()
    if key not in answers:
        answers[key] = compute()
    return answers[key]  # type: ignore[no-any-return]
