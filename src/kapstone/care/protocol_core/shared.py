"""Data shared by every protocol: physiological plausibility bounds for readings, and the
adverse-event categories. Both are TOML files in ``kapstone/care/protocols/shared/``."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from kapstone.lib.datafile import cited, open_data_file

from ._toml import GRADES, SOURCE_ID, Node, ProtocolError, unique_ids
from .protocol import VITALS, Number

SHARED_DIR = Path(__file__).resolve().parent.parent / "protocols" / "shared"


# --------------------------------------------------------------------------------------------
# Physiological bounds
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bound:
    name: str
    label: str
    unit: str
    min: Number
    max: Number
    integer: bool
    below: str | None  # another field of the same reading this one must be strictly below


@dataclass(frozen=True, slots=True)
class VitalBounds:
    id: str
    version: str
    vitals: Mapping[str, Bound]
    weight: Bound
    path: str


def _bound(node: Node, name: str) -> Bound:
    low: Number = node.number("min")
    high: Number = node.number("max")
    if low >= high:
        raise node.fail("max", "must be greater than min")
    bound = Bound(
        name,
        node.string("label"),
        node.string("unit"),
        low,
        high,
        node.boolean("integer", False),
        node.choice("below", VITALS, None),
    )
    node.finish()
    return bound


def load_vital_bounds(path: Path | str | None = None) -> VitalBounds:
    """Load the physiological plausibility bounds (default: the shipped file)."""
    root, ident, version, source = open_data_file(
        path if path is not None else SHARED_DIR / "vital_bounds.toml", "vital_bounds"
    )
    root.string("note", None)
    vnode = root.table("vitals", required=True)
    assert vnode is not None
    vitals: dict[str, Bound] = {}
    for name in VITALS:
        child = vnode.table(name, required=True)
        assert child is not None
        vitals[name] = _bound(child, name)
    vnode.finish()
    wnode = root.table("weight", required=True)
    assert wnode is not None
    weight = _bound(wnode, "weight_kg")
    root.finish()
    return VitalBounds(ident, version, MappingProxyType(vitals), weight, source)


@functools.cache
def default_vital_bounds() -> VitalBounds:
    return load_vital_bounds()


# --------------------------------------------------------------------------------------------
# Adverse-event categories
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AeTerm:
    id: str
    label: str


@dataclass(frozen=True, slots=True)
class AeCategory:
    id: str
    label: str
    terms: tuple[AeTerm, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AeCatalog:
    id: str
    version: str
    categories: tuple[AeCategory, ...]
    record_fields: tuple[str, ...]
    seriousness: tuple[str, ...]
    note: str | None
    record_note: str | None
    sources: Mapping[str, str]  # id -> citation
    path: str

    def category_of(self, term_id: str) -> AeCategory | None:
        return next((c for c in self.categories if any(t.id == term_id for t in c.terms)), None)


def load_ae_categories(path: Path | str | None = None) -> AeCatalog:
    """Load the adverse-event categories (default: the shipped file)."""
    root, ident, version, source = open_data_file(
        path if path is not None else SHARED_DIR / "ae_categories.toml", "ae_categories"
    )
    root.string("reference", None)
    note: str | None = root.string("note", None)
    sources: dict[str, str] = {}
    for snode in root.tables("sources", required=True):
        sid: str = snode.string("id")
        if not SOURCE_ID.match(sid) or sid in sources:
            raise snode.fail("id", f"{sid!r} is not a new, valid source id")
        snode.choice("grade", GRADES, None)
        snode.string("url", None)
        sources[sid] = snode.string("citation")
        snode.finish()

    def refs(node: Node) -> tuple[str, ...]:
        return cited(node, listed=sources, at_least_one=False)

    categories: list[AeCategory] = []
    for cnode in root.tables("categories", required=True):
        terms: list[AeTerm] = []
        for tnode in cnode.tables("terms", required=True):
            terms.append(AeTerm(tnode.ident("id"), tnode.string("label")))
            tnode.finish()
        categories.append(AeCategory(cnode.ident("id"), cnode.string("label"), tuple(terms), refs(cnode)))
        cnode.finish()
    unique_ids(root, "categories", [c.id for c in categories])
    unique_ids(root, "categories", [t.id for c in categories for t in c.terms])
    rnode = root.table("record", required=True)
    assert rnode is not None
    fields: tuple[str, ...] = rnode.strings("fields")
    seriousness: tuple[str, ...] = rnode.strings("seriousness")
    record_note: str | None = rnode.string("note", None)
    refs(rnode)
    rnode.finish()
    root.finish()
    if not fields:
        raise ProtocolError(source, "list at least one field", field="record.fields")
    return AeCatalog(
        ident,
        version,
        tuple(categories),
        fields,
        seriousness,
        note,
        record_note,
        MappingProxyType(sources),
        source,
    )


@functools.cache
def default_ae_categories() -> AeCatalog:
    return load_ae_categories()


# --------------------------------------------------------------------------------------------
# Safety floors: readings that always alert, whatever a protocol's own alerts say
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SafetyFloor:
    vital: str
    at_or_above: Number
    label: str
    action: str
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SafetyFloors:
    id: str
    version: str
    floors: tuple[SafetyFloor, ...]
    path: str


def load_safety_floors(path: Path | str | None = None) -> SafetyFloors:
    """Load the in-session safety floors (default: the shipped file)."""
    root, ident, version, source = open_data_file(
        path if path is not None else SHARED_DIR / "safety_floors.toml", "safety_floors"
    )
    root.string("note")
    floors: list[SafetyFloor] = []
    for node in root.tables("floors", required=True):
        sources = cited(node)
        floors.append(
            SafetyFloor(
                node.choice("vital", VITALS),
                node.number("at_or_above"),
                node.string("label"),
                node.string("action"),
                sources,
            )
        )
        node.finish()
    root.finish()
    return SafetyFloors(ident, version, tuple(floors), source)


@functools.cache
def default_safety_floors() -> SafetyFloors:
    return load_safety_floors()


# --------------------------------------------------------------------------------------------
# Current mental state asked before every dose (issue #11)
# --------------------------------------------------------------------------------------------

CURRENT_STATE_OUTCOMES = ("no_go", "needs_justification")


@dataclass(frozen=True, slots=True)
class StateQuestion:
    id: str
    label: str
    if_yes: str  # no_go | needs_justification
    message: str
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CurrentState:
    id: str
    version: str
    questions: tuple[StateQuestion, ...]
    path: str


def load_current_state(path: Path | str | None = None) -> CurrentState:
    """Load the pre-dose current-state questions (default: the shipped file)."""
    root, ident, version, source = open_data_file(
        path if path is not None else SHARED_DIR / "current_state.toml", "current_state"
    )
    root.string("note")
    questions: list[StateQuestion] = []
    for node in root.tables("questions", required=True):
        sources = cited(node)
        questions.append(
            StateQuestion(
                node.ident("id"),
                node.string("label"),
                node.choice("if_yes", CURRENT_STATE_OUTCOMES),
                node.string("message"),
                sources,
            )
        )
        node.finish()
    unique_ids(root, "questions", [q.id for q in questions])
    root.finish()
    return CurrentState(ident, version, tuple(questions), source)


@functools.cache
def default_current_state() -> CurrentState:
    return load_current_state()
