"""The small declarative rule language used by flags, skip logic and rule-based scoring.

A condition is one of:

* ``ItemTest``   -- ``{item = "phq9_9", op = ">=", value = 1}``
* ``ScoreTest``  -- ``{score = "total", op = ">=", value = 33}`` (or a subscale id);
  ``{percent_of_max = "mystical", op = ">=", value = 60}`` tests the percentage of maximum
* ``CountTest``  -- ``{at_least = 2, of = ["pcl5_8", ...], op = ">=", value = 2}``
* ``AllOf``      -- ``{all = [cond, ...]}``
* ``AnyOf``      -- ``{any = [cond, ...]}``

``value`` is a number or ``{option = "name"}`` (the instrument option in force).

Conditions are evaluated with three-valued logic: ``True``, ``False`` or ``None`` (cannot be
determined, because an item it needs is missing or invalid, or because scores are not available
on an incomplete response). An item skipped by the instrument's skip logic was not asked, so a
test on it is ``False``. Pure Python, no Django.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Set
from dataclasses import dataclass

OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}


@dataclass(frozen=True, slots=True)
class OptionRef:
    """A threshold taken from an instrument option (``{option = "cutpoint"}``)."""

    name: str


Operand = int | float | OptionRef


@dataclass(frozen=True, slots=True)
class ItemTest:
    item: str
    op: str
    value: Operand


@dataclass(frozen=True, slots=True)
class ScoreTest:
    score: str  # "total" or a subscale id
    percent: bool  # compare the percentage of maximum instead of the raw score
    op: str
    value: Operand


@dataclass(frozen=True, slots=True)
class CountTest:
    at_least: int
    items: tuple[str, ...]
    op: str
    value: Operand


@dataclass(frozen=True, slots=True)
class AllOf:
    parts: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    parts: tuple[Condition, ...]


Condition = ItemTest | ScoreTest | CountTest | AllOf | AnyOf


class Context:
    """What a condition is evaluated against.

    ``values``: validly answered items; ``skipped``: items not asked because of skip logic;
    ``scores`` / ``percents``: total and subscale scores (``None`` while the response is
    incomplete); ``options``: the instrument options in force.
    """

    __slots__ = ("values", "skipped", "scores", "percents", "options")

    def __init__(
        self,
        values: Mapping[str, float],
        skipped: Set[str],
        scores: Mapping[str, float] | None,
        percents: Mapping[str, float] | None,
        options: Mapping[str, object],
    ) -> None:
        self.values = values
        self.skipped = skipped
        self.scores = scores
        self.percents = percents
        self.options = options


Evaluator = Callable[[Context], "bool | None"]


def _operand(value: Operand) -> Callable[[Context], float]:
    if isinstance(value, OptionRef):
        name = value.name
        return lambda ctx: ctx.options[name]  # type: ignore[return-value]
    return lambda ctx: value


def compile_condition(cond: Condition) -> Evaluator:
    """Turn a parsed condition into a closure (done once, when the definition loads)."""
    if isinstance(cond, ItemTest):
        return _compile_item(cond)
    if isinstance(cond, ScoreTest):
        return _compile_score(cond)
    if isinstance(cond, CountTest):
        return _compile_count(cond)
    parts = tuple(compile_condition(p) for p in cond.parts)
    if isinstance(cond, AllOf):
        return _compile_all(parts)
    return _compile_any(parts)


def _compile_item(cond: ItemTest) -> Evaluator:
    item, fn, rhs = cond.item, OPS[cond.op], _operand(cond.value)

    def ev(ctx: Context) -> bool | None:
        v = ctx.values.get(item)
        if v is None:
            return False if item in ctx.skipped else None
        return fn(v, rhs(ctx))

    return ev


def _compile_score(cond: ScoreTest) -> Evaluator:
    key, percent, fn, rhs = cond.score, cond.percent, OPS[cond.op], _operand(cond.value)

    def ev(ctx: Context) -> bool | None:
        table = ctx.percents if percent else ctx.scores
        if table is None:
            return None
        return fn(table[key], rhs(ctx))

    return ev


def _compile_count(cond: CountTest) -> Evaluator:
    need, items, fn, rhs = cond.at_least, cond.items, OPS[cond.op], _operand(cond.value)

    def ev(ctx: Context) -> bool | None:
        threshold = rhs(ctx)
        hits = unknown = 0
        for item in items:
            v = ctx.values.get(item)
            if v is None:
                if item not in ctx.skipped:
                    unknown += 1
            elif fn(v, threshold):
                hits += 1
        if hits >= need:
            return True
        if hits + unknown < need:
            return False
        return None

    return ev


def _compile_all(parts: tuple[Evaluator, ...]) -> Evaluator:
    def ev(ctx: Context) -> bool | None:
        result: bool | None = True
        for part in parts:
            r = part(ctx)
            if r is False:
                return False
            if r is None:
                result = None
        return result

    return ev


def _compile_any(parts: tuple[Evaluator, ...]) -> Evaluator:
    def ev(ctx: Context) -> bool | None:
        result: bool | None = False
        for part in parts:
            r = part(ctx)
            if r is True:
                return True
            if r is None:
                result = None
        return result

    return ev


def condition_items(cond: Condition) -> set[str]:
    """Every item id a condition reads."""
    if isinstance(cond, ItemTest):
        return {cond.item}
    if isinstance(cond, CountTest):
        return set(cond.items)
    if isinstance(cond, ScoreTest):
        return set()
    found: set[str] = set()
    for part in cond.parts:
        found |= condition_items(part)
    return found


def condition_uses_scores(cond: Condition) -> bool:
    if isinstance(cond, ScoreTest):
        return True
    if isinstance(cond, AllOf | AnyOf):
        return any(condition_uses_scores(p) for p in cond.parts)
    return False


def _describe_operand(value: Operand) -> str:
    if isinstance(value, OptionRef):
        return f"option {value.name}"
    return f"{value:g}"


def describe(cond: Condition) -> str:
    """A short human-readable rendering, used in messages and rationales."""
    if isinstance(cond, ItemTest):
        return f"{cond.item} {cond.op} {_describe_operand(cond.value)}"
    if isinstance(cond, ScoreTest):
        what = f"{cond.score} % of maximum" if cond.percent else cond.score
        return f"{what} {cond.op} {_describe_operand(cond.value)}"
    if isinstance(cond, CountTest):
        return (
            f"at least {cond.at_least} of {', '.join(cond.items)} {cond.op} {_describe_operand(cond.value)}"
        )
    joiner = " and " if isinstance(cond, AllOf) else " or "
    return joiner.join(f"({describe(p)})" for p in cond.parts)
