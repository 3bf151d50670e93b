"""What the protocol checks share: formatting numbers and times, requiring aware datetimes,
the severity of a breached limit, and the findings list a dose check fills."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from .._toml import is_number
from ..inputs import InvalidInput
from ..protocol import HARD_STOP as LIMIT_HARD_STOP
from ..protocol import Value
from ..results import HARD_STOP, LEVEL_RANK, NEEDS_JUSTIFICATION, OK, Finding

_OPS: Mapping[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
_OP_WORDS = {">": "above", ">=": "at or above", "<": "below", "<=": "at or below"}
_REL = 1e-9  # relative tolerance when comparing a computed dose with a limit (floating point only)


def _fmt(value: float) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M %Z").strip()


def _aware(moment: object, name: str) -> datetime:
    if not isinstance(moment, datetime):
        raise InvalidInput(name, f"expected a date and time, got {moment!r}")
    if moment.utcoffset() is None:
        raise InvalidInput(name, "must be timezone-aware (a time without a zone is ambiguous)")
    return moment


def _result_level(limit: Value) -> str:
    return HARD_STOP if limit.level == LIMIT_HARD_STOP else NEEDS_JUSTIFICATION


def _consequence(level: str) -> str:
    if level == HARD_STOP:
        return "hard stop: not to be given under this protocol"
    return "outside protocol: the prescriber must document a justification"


def _worst(levels: Iterable[str]) -> str:
    return max(levels, key=LEVEL_RANK.__getitem__, default=OK)


class _Findings:
    def __init__(self) -> None:
        self.items: list[Finding] = []
        self.complete = True

    def add(self, code: str, level: str, message: str, **extra: object) -> None:
        self.items.append(Finding(code, level, message, **extra))  # type: ignore[arg-type]

    def missing(self, code: str, message: str) -> None:
        self.complete = False
        self.add(code, HARD_STOP, f"cannot check: {message}")

    def limit(
        self,
        code: str,
        limit: Value | None,
        actual: float | None,
        unit: str,
        what: str,
        label: str,
        *,
        upper: bool = True,
        extra: str = "",
    ) -> None:
        """Compare ``actual`` with ``limit`` (an upper bound unless ``upper`` is false)."""
        if limit is None or actual is None:
            return
        bound = float(limit.value)
        breached = actual > bound * (1 + _REL) if upper else actual < bound * (1 - _REL)
        cite = limit.cite()
        common = {
            "limit": limit.field,
            "limit_value": bound,
            "actual": actual,
            "unit": unit,
            "sources": limit.provenance.sources,
            "clinic_setting": limit.provenance.clinic_setting,
        }
        if breached:
            level = _result_level(limit)
            side = "above" if upper else "below"
            self.add(
                code,
                level,
                f"{what} {_fmt(actual)} {unit} is {side} {label} of {_fmt(limit.value)} {unit} "
                f"({cite}){extra}; {_consequence(level)}",
                **common,
            )
        else:
            self.add(
                code,
                OK,
                f"{what} {_fmt(actual)} {unit} is within {label} of {_fmt(limit.value)} {unit} "
                f"({cite}){extra}",
                **common,
            )


def _positive(value: object) -> bool:
    return is_number(value) and float(value) > 0  # type: ignore[arg-type]
