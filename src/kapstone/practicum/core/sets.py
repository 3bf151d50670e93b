"""Reading requirement sets (``practicum/requirements/*.toml``) strictly: a wrong key, kind, topic
or an undeclared setting is a ``DataFileError`` naming the file and the field. No Django."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from kapstone.lib.datafile import DataFileError, Node, header, read_toml, unique_ids
from kapstone.lib.hours import KINDS
from kapstone.lib.registry import VersionedRegistry

from .model import (
    RULES,
    SESSIONS,
    Cap,
    Number,
    Requirement,
    RequirementSet,
    Setting,
    Source,
)

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "requirements"


class RequirementSets(VersionedRegistry[RequirementSet]):
    kind = "requirement set"


def _number(node: Node, key: str, settings: dict[str, Setting]) -> Number | None:
    value = node.get(key, None)
    if value is None:
        return None
    if isinstance(value, str):
        if not value.startswith("setting:") or value[8:] not in settings:
            raise node.fail(
                key, f"{value!r}: give a number or 'setting:<id>' of a declared [[settings]] entry"
            )
        return Number(setting=value[8:])
    number = node.number(key)
    if number < 0:
        raise node.fail(key, "cannot be negative")
    return Number(value=float(number))


def _kinds(node: Node, key: str) -> tuple[str, ...]:
    kinds: tuple[str, ...] = node.strings(key, ())
    for kind in kinds:
        if kind not in KINDS:
            raise node.fail(key, f"{kind!r} is not a kind of hours ({', '.join(KINDS)})")
    return kinds


def _requirement(node: Node, settings: dict[str, Setting], sources: set[str], facts: set[str]) -> Requirement:
    rule = node.choice("rule", RULES)
    source = node.string("source")
    if source not in sources:
        raise node.fail("source", f"{source!r} is not one of the file's [[sources]]")
    sessions: tuple[str, ...] = node.strings("sessions", ())
    for session in sessions:
        if session not in SESSIONS:
            raise node.fail("sessions", f"{session!r} is not one of {', '.join(SESSIONS)}")
    cap_node = node.table("cap")
    cap = None
    if cap_node is not None:
        max_hours = _number(cap_node, "max_hours", settings)
        if max_hours is None:
            raise cap_node.fail("max_hours", "required key is missing")
        cap = Cap(kinds=_kinds(cap_node, "kinds"), max_hours=max_hours)
        cap_node.finish()
    requirement = Requirement(
        id=node.ident("id"),
        title=node.string("title"),
        rule=rule,
        source=source,
        kinds=_kinds(node, "kinds"),
        topics=node.strings("topics", ()),
        sessions=sessions,
        min_hours=_number(node, "min_hours", settings),
        min_count=_number(node, "min_count", settings),
        min_minutes_each=node.integer("min_minutes_each", 0),
        min_clients=_number(node, "min_clients", settings),
        max_group_size=_number(node, "max_group_size", settings),
        cap=cap,
        self_paced_up_to_live_online=node.boolean("self_paced_up_to_live_online", False),
        fact=node.string("fact", ""),
        note=node.string("note", ""),
    )
    needs = {"hours": "min_hours", "count": "min_count", "distinct_clients": "min_clients", "fact": "fact"}
    if not getattr(requirement, needs[rule]):
        raise node.fail(needs[rule], f"a {rule!r} requirement needs {needs[rule]}")
    if rule != "fact" and not requirement.kinds:
        raise node.fail("kinds", f"a {rule!r} requirement names the kinds of hours it counts")
    if rule == "fact" and requirement.fact not in facts:
        raise node.fail("fact", f"{requirement.fact!r} is not one of the file's [[facts]]")
    node.finish()
    return requirement


def parse_set(doc: dict[str, object], source: str) -> RequirementSet:
    root = Node(doc, "", source)
    ident, version = header(root, "requirement_set")
    sources: list[Source] = []
    for node in root.tables("sources", required=True):
        sources.append(Source(id=node.string("id"), cite=node.string("cite"), url=node.string("url", "")))
        node.finish()
    unique_ids(root, "sources", [s.id for s in sources])
    settings: dict[str, Setting] = {}
    for node in root.tables("settings"):
        default = node.number("default", None)
        setting = Setting(
            id=node.ident("id"),
            label=node.string("label"),
            default=None if default is None else float(default),
            unconfirmed=node.string("unconfirmed", ""),
            source=node.string("source", ""),
        )
        node.finish()
        if setting.id in settings:
            raise node.fail("id", f"id {setting.id!r} is used twice")
        settings[setting.id] = setting
    facts: dict[str, str] = {}
    for node in root.tables("facts"):
        facts[node.string("id")] = node.string("question")
        node.finish()
    nodes = root.tables("requirements", required=True)
    requirements = [_requirement(n, settings, {s.id for s in sources}, set(facts)) for n in nodes]
    unique_ids(root, "requirements", [r.id for r in requirements])
    result = RequirementSet(
        id=ident,
        version=version,
        title=root.string("title"),
        summary=root.string("summary"),
        path=source,
        sources=tuple(sources),
        settings=tuple(settings.values()),
        requirements=tuple(requirements),
        facts=facts,
    )
    root.finish()
    return result


def load_set(path: Path | str) -> RequirementSet:
    doc, source = read_toml(path)
    return parse_set(doc, source)


def load_sets(dirs: Iterable[Path | str]) -> RequirementSets:
    found: list[RequirementSet] = []
    for folder in dirs:
        for path in sorted(Path(folder).glob("*.toml")):
            found.append(load_set(path))
    if not found:
        raise DataFileError(", ".join(str(d) for d in dirs), "no requirement set (*.toml) found")
    return RequirementSets(found)


@lru_cache(maxsize=1)
def shipped_sets() -> RequirementSets:
    return load_sets([SHIPPED_DIR])
