"""Precompiling a validated definition into the structures the scoring engine uses on every call
(item index, fast answer sets, compiled conditions, the band table). Built once, at load. Pure
Python, no Django.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from .instrument import (
    Band,
    CompiledFlag,
    Flag,
    Item,
    Number,
    Option,
    ResponseSet,
    Runtime,
    Scoring,
    render_message,
)
from .rules import compile_condition, condition_uses_scores, describe

_FAST_RANGE_LIMIT = 1000


def precompile(
    options: Mapping[str, Option],
    items: tuple[Item, ...],
    scoring: Scoring,
    bands: tuple[Band, ...],
    flags: tuple[Flag, ...],
    ranges: Mapping[str, tuple[Number, Number]],
) -> Runtime:
    defaults = MappingProxyType({o.id: o.default for o in options.values()})
    compiled = tuple(
        CompiledFlag(
            f,
            compile_condition(f.when),
            render_message(f.message, defaults),
            render_message(f.summary, defaults) if f.summary is not None else None,
            f"Safety rule {f.id} ({describe(f.when)}) cannot be decided because an item it "
            f"needs is missing or invalid: clinician review needed.",
        )
        for f in flags
    )
    plain = tuple(i.id for i in items if i.required and i.ask_if is None)
    table: list[Band] = []
    for band in bands:
        table.extend([band] * (band.max - band.min + 1))
    return Runtime(
        index=MappingProxyType({i.id: i for i in items}),
        item_ids=frozenset(i.id for i in items),
        checks=tuple((i.id, _fast_values(i.response), i.response) for i in items),
        required_plain=frozenset(plain),
        required_order=plain,
        conditional=tuple(
            (i.id, i.required, compile_condition(i.ask_if)) for i in items if i.ask_if is not None
        ),
        levels=tuple(
            (lv.value, compile_condition(lv.when)) for lv in sorted(scoring.levels, key=lambda lv: -lv.value)
        ),
        flags=compiled,
        safety_flags=tuple(c for c in compiled if c.flag.severity == "safety"),
        needs_scores=any(condition_uses_scores(f.when) for f in flags),
        band_table=tuple(table),
        default_options=defaults,
        ranges=MappingProxyType(dict(ranges)),
    )


def _fast_values(response: ResponseSet) -> frozenset[int]:
    """The whole-number answers accepted without further checks (small integer ranges only)."""
    if response.kind == "choice":
        return frozenset(o.value for o in response.options)
    if response.integer and response.max - response.min <= _FAST_RANGE_LIMIT:
        return frozenset(range(int(response.min), int(response.max) + 1))
    return frozenset()
