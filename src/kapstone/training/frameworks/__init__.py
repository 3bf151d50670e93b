"""Competency frameworks and topic ids as data (pure: no Django).

``load_framework("phelps-kap")`` reads ``frameworks/phelps-kap.toml``: the rating scale (levels with
names), and per competency its title, its source and one behavioural anchor per level. ``topics()``
reads ``topics.toml``: the topic ids lessons and questions are tagged with.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from kapstone.lib.datafile import DataFileError, Node, read_toml, unique_ids

HERE = Path(__file__).resolve().parent
FRAMEWORK_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
COMPETENCY_ID = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Level:
    level: int
    name: str
    description: str


@dataclass(frozen=True)
class Competency:
    id: str
    title: str
    source: str
    anchors_source: str
    anchors: tuple[str, ...]  # one per level, lowest first


@dataclass(frozen=True)
class Framework:
    id: str
    version: str
    title: str
    last_reviewed: dt.date
    sources: dict[str, str]  # key -> citation
    scale: tuple[Level, ...]
    competencies: tuple[Competency, ...]
    path: str = ""

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(c.id for c in self.competencies)

    @property
    def levels(self) -> tuple[int, ...]:
        return tuple(level.level for level in self.scale)

    def competency(self, ident: str) -> Competency:
        for competency in self.competencies:
            if competency.id == ident:
                return competency
        raise LookupError(f"framework {self.id} has no competency {ident!r}")

    def check_level(self, level: object) -> int:
        """The level if it is on the scale; otherwise ``ValueError`` naming the scale."""
        if isinstance(level, bool) or not isinstance(level, int) or level not in self.levels:
            low, high = min(self.levels), max(self.levels)
            raise ValueError(f"level {level!r} is outside the scale {low}–{high}")
        return level


def parse_framework(root: Node) -> Framework:
    head = root.table("framework", required=True)
    assert head is not None
    ident: str = head.string("id")
    if not FRAMEWORK_ID.match(ident):
        raise head.fail("id", f"{ident!r} is not a valid framework id")
    version: str = head.string("version")
    title: str = head.string("title")
    reviewed = head.get("last_reviewed")
    if not isinstance(reviewed, dt.date) or isinstance(reviewed, dt.datetime):
        raise head.fail("last_reviewed", "expected a date such as 2026-12-01")
    sources: dict[str, str] = {}
    for node in head.tables("sources", required=True):
        key: str = node.string("key")
        sources[key] = node.string("citation")
        node.string("url", None)
        node.finish()
    head.finish()
    scale = []
    for node in root.tables("scale", required=True):
        level = node.integer("level")
        scale.append(Level(level, node.string("name"), node.string("description")))
        node.finish()
    levels = [s.level for s in scale]
    if levels != list(range(1, len(levels) + 1)):
        raise root.fail("scale", "levels must be 1, 2, 3, … in order")
    competencies = []
    for node in root.tables("competencies", required=True):
        cid: str = node.string("id")
        if not COMPETENCY_ID.match(cid):
            raise node.fail("id", f"{cid!r} is not a competency id such as phelps.presence")
        for key in ("source", "anchors_source"):
            if node.string(key) not in sources:
                raise node.fail(key, f"{node.data[key]!r} is not one of the framework's sources")
        anchors = node.strings("anchors")
        if len(anchors) != len(scale):
            raise node.fail("anchors", f"expected one anchor per level ({len(scale)}), found {len(anchors)}")
        competencies.append(Competency(cid, node.string("title"), node.data["source"],
                                       node.data["anchors_source"], anchors))  # fmt: skip
        node.finish()
    unique_ids(root, "competencies", [c.id for c in competencies])
    root.finish()
    return Framework(ident, version, title, reviewed, sources, tuple(scale), tuple(competencies), root.source)


def read_framework(path: Path | str) -> Framework:
    data, source = read_toml(path)
    return parse_framework(Node(data, "", source))


@cache
def load_framework(ident: str) -> Framework:
    """The installed framework ``ident`` (a file in this folder)."""
    if not FRAMEWORK_ID.match(ident):
        raise LookupError(f"no competency framework {ident!r}")
    path = HERE / f"{ident}.toml"
    if not path.is_file():
        raise LookupError(f"no competency framework {ident!r} is installed")
    framework = read_framework(path)
    if framework.id != ident:
        raise DataFileError(str(path), f"the file declares id {framework.id!r}", field="framework.id")
    return framework


@dataclass(frozen=True)
class Topic:
    id: str
    title: str
    min_hours: int


@cache
def topics() -> tuple[Topic, ...]:
    data, source = read_toml(HERE / "topics.toml")
    root = Node(data, "", source)
    src = root.table("source", required=True)
    assert src is not None
    src.string("key")
    src.string("citation")
    src.finish()
    found = []
    for node in root.tables("topics", required=True):
        found.append(Topic(node.string("id"), node.string("title"), node.integer("min_hours")))
        node.finish()
    root.finish()
    return tuple(found)


def topic_ids() -> frozenset[str]:
    return frozenset(t.id for t in topics())
