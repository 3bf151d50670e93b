"""A service's refusal of a person who may not act, audited so the audit row survives the rollback.

Inside a service's transaction a denial's audit row would be rolled back with everything else, so a
service raises ``Denied`` and ``atomic_service`` records it after the transaction has unwound, then
answers ``NotYours`` (the same 404 as a missing row).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from django.db import transaction

from kapstone.audit.models import Outcome
from kapstone.audit.services import record
from kapstone.core.actor import Actor
from kapstone.core.contract import NotYours

P = ParamSpec("P")
R = TypeVar("R")


class Denied(Exception):
    def __init__(self, actor: Actor, action: str, *, object_type: str = "", object_id: object = "",
                 detail: dict[str, Any] | None = None) -> None:  # fmt: skip
        super().__init__(action)
        self.actor, self.action = actor, action
        self.object_type, self.object_id, self.detail = object_type, object_id, detail


def atomic_service(func: Callable[P, R]) -> Callable[P, R]:
    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            with transaction.atomic():
                return func(*args, **kwargs)
        except Denied as exc:
            record(exc.actor, exc.action, outcome=Outcome.DENIED, object_type=exc.object_type,
                   object_id=exc.object_id, detail=exc.detail)  # fmt: skip
            raise NotYours from None

    return wrapper
