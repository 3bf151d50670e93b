"""Suicide-risk follow-up levels as data (issue #11 item 3): which level a response's safety flags
reach, and what that level asks of the care team. Pure Python, no Django.

``triage(levels, instrument_id, flags, missing)`` folds every safety flag of one response (and any
safety item left unanswered) into ONE finding at the highest level reached; a flag the data file
does not know is treated as the highest level (fail closed).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from kapstone.lib.datafile import cited, open_data_file, unique_ids

LEVELS_FILE = Path(__file__).resolve().parent.parent / "safety" / "levels.toml"
NOTIFY = ("urgent", "same_day", "routine")


@dataclass(frozen=True, slots=True)
class Level:
    id: str
    rank: int
    label: str
    action: str
    notify: str
    blocks_dosing: bool
    needs_safety_plan: bool
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Unanswered:
    instrument: str
    item: str
    flag: str
    level: str
    message: str
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SafetyLevels:
    id: str
    version: str
    levels: tuple[Level, ...]
    flag_levels: Mapping[str, str]
    unanswered: tuple[Unanswered, ...]
    path: str

    def level(self, level_id: str) -> Level:
        return next(level for level in self.levels if level.id == level_id)

    @property
    def highest(self) -> Level:
        return max(self.levels, key=lambda level: level.rank)


@dataclass(frozen=True, slots=True)
class Finding:
    """One response's safety follow-up: the level, the flag that set it, and every flag raised."""

    level: Level
    flag_id: str
    message: str
    flags: tuple[dict[str, object], ...]


def load_safety_levels(path: Path | str | None = None) -> SafetyLevels:
    root, ident, version, source = open_data_file(path if path is not None else LEVELS_FILE, "safety_levels")
    root.string("note")
    levels: list[Level] = []
    for node in root.tables("levels", required=True):
        rank = node.integer("rank")
        if rank < 1:
            raise node.fail("rank", "a rank is 1 or more (higher is more urgent)")
        levels.append(
            Level(
                node.ident("id"),
                rank,
                node.string("label"),
                node.string("action"),
                node.choice("notify", NOTIFY),
                node.boolean("blocks_dosing"),
                node.boolean("needs_safety_plan"),
                cited(node),
            )
        )
        node.finish()
    unique_ids(root, "levels", [level.id for level in levels])
    if len({level.rank for level in levels}) != len(levels):
        raise root.fail("levels", "two levels share a rank")
    top = max(levels, key=lambda level: level.rank)
    if not top.blocks_dosing:
        raise root.fail("levels", f"the highest level ({top.id}) must block dosing until a review")
    known = {level.id for level in levels}
    flag_levels: dict[str, str] = {}
    for node in root.tables("flags"):
        flag = node.ident("flag")
        level_id = node.choice("level", tuple(sorted(known)))
        node.string("note", None)
        cited(node)
        node.finish()
        if flag in flag_levels:
            raise node.fail("flag", f"flag {flag!r} is listed twice")
        flag_levels[flag] = level_id
    unanswered: list[Unanswered] = []
    for node in root.tables("unanswered"):
        node.string("note", None)
        unanswered.append(
            Unanswered(
                node.ident("instrument"),
                node.ident("item"),
                node.ident("flag"),
                node.choice("level", tuple(sorted(known))),
                node.string("message"),
                cited(node),
            )
        )
        node.finish()
    root.finish()
    return SafetyLevels(ident, version, tuple(levels), flag_levels, tuple(unanswered), source)


@functools.cache
def default_safety_levels() -> SafetyLevels:
    return load_safety_levels()


def unanswered_flags(
    levels: SafetyLevels, instrument_id: str, missing: Iterable[str]
) -> list[dict[str, object]]:
    """Safety items of this instrument left unanswered, as flags (``unanswered``: True)."""
    gone = set(missing)
    return [
        {"id": u.flag, "item": u.item, "message": u.message, "severity": "safety", "unanswered": True}
        for u in levels.unanswered
        if u.instrument == instrument_id and u.item in gone
    ]


def triage(levels: SafetyLevels, flags: Iterable[Mapping[str, object]]) -> Finding | None:
    """The one finding for these safety flags (None when there are none). The level is the highest
    any flag reaches; an unknown flag reaches the highest level."""
    raised = [dict(flag) for flag in flags]
    if not raised:
        return None
    unanswered = {u.flag: u.level for u in levels.unanswered}

    def level_of(flag: Mapping[str, object]) -> Level:
        flag_id = str(flag["id"])
        level_id = levels.flag_levels.get(flag_id) or unanswered.get(flag_id)
        return levels.level(level_id) if level_id else levels.highest

    ranked = sorted(raised, key=lambda flag: level_of(flag).rank, reverse=True)
    top = ranked[0]
    level = level_of(top)
    message = f"{level.label}: " + " ".join(str(flag.get("message", "")) for flag in ranked)
    return Finding(level, str(top["id"]), message.strip(), tuple(ranked))
