"""The care records' clinical words, read once from ``vocabulary.toml`` (issue #10 item 4): the
dissociation scales and their ranges, the emotional states, the integration modalities, the
psychoeducation checklist and who a consent to supportive touch covers. Every entry cites its
sources (shared/reference/clinical.md §7); an entry the reference does not confirm says so in
``unconfirmed``. Pure Python, no Django: a bad file fails at import, naming the file and the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kapstone.lib.datafile import Node, header, read_toml, unique_ids

VOCABULARY_FILE = Path(__file__).resolve().parent / "vocabulary.toml"


@dataclass(frozen=True, slots=True)
class Term:
    id: str
    label: str
    sources: tuple[str, ...]
    unconfirmed: str  # why the reference does not confirm it ('' when it does)


@dataclass(frozen=True, slots=True)
class Scale:
    id: str
    label: str
    low: float
    high: float
    sources: tuple[str, ...]
    unconfirmed: str


@dataclass(frozen=True, slots=True)
class TouchRule:
    """A person holding a ``not_covered`` role and no ``covered`` role may not give supportive touch."""

    covered: tuple[str, ...]
    not_covered: tuple[str, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Vocabulary:
    version: str
    dissociation_scales: tuple[Scale, ...]
    emotional_states: tuple[Term, ...]
    modalities: tuple[Term, ...]
    psychoeducation: tuple[Term, ...]
    touch: TouchRule


def _sources(node: Node) -> tuple[str, ...]:
    sources: tuple[str, ...] = node.strings("sources")
    if not sources:
        raise node.fail("sources", "cite at least one source")
    return sources


def _terms(root: Node, key: str) -> tuple[Term, ...]:
    terms = []
    for node in root.tables(key, required=True):
        terms.append(
            Term(node.ident("id"), node.string("label"), _sources(node), node.string("unconfirmed", ""))
        )
        node.finish()
    unique_ids(root, key, [term.id for term in terms])
    return tuple(terms)


def _scales(root: Node) -> tuple[Scale, ...]:
    scales = []
    for node in root.tables("dissociation_scales", required=True):
        ident, label, low, high = (
            node.ident("id"),
            node.string("label"),
            node.number("low"),
            node.number("high"),
        )
        if low >= high:
            raise node.fail("high", f"the range {low}-{high} is empty")
        scales.append(Scale(ident, label, low, high, _sources(node), node.string("unconfirmed", "")))
        node.finish()
    unique_ids(root, "dissociation_scales", [scale.id for scale in scales])
    return tuple(scales)


def _touch(root: Node) -> TouchRule:
    node = root.table("touch", required=True)
    assert node is not None
    covered: tuple[str, ...] = node.strings("covered")
    not_covered: tuple[str, ...] = node.strings("not_covered")
    if not covered or set(covered) & set(not_covered):
        raise node.fail("covered", "name the roles the consent covers, none of them also not covered")
    rule = TouchRule(covered, not_covered, _sources(node))
    node.finish()
    return rule


def load_vocabulary(path: Path | str | None = None) -> Vocabulary:
    data, source = read_toml(path if path is not None else VOCABULARY_FILE)
    root = Node(data, "", source)
    _ident, version = header(root, "care_vocabulary")
    vocabulary = Vocabulary(
        version,
        _scales(root),
        _terms(root, "emotional_states"),
        _terms(root, "modalities"),
        _terms(root, "psychoeducation"),
        _touch(root),
    )
    root.finish()
    return vocabulary


VOCABULARY = load_vocabulary()  # read once, at import: a bad file stops the app from starting

# The shapes the services and forms use (choices are (id, label) pairs).
DISSOCIATION_SCALES = {s.id: (s.label, s.low, s.high) for s in VOCABULARY.dissociation_scales}
EMOTIONAL_STATES = tuple((t.id, t.label) for t in VOCABULARY.emotional_states)
MODALITIES = tuple((t.id, t.label) for t in VOCABULARY.modalities)
PSYCHOEDUCATION = tuple((t.id, t.label) for t in VOCABULARY.psychoeducation)
TOUCH = VOCABULARY.touch

__all__ = [
    "DISSOCIATION_SCALES",
    "EMOTIONAL_STATES",
    "MODALITIES",
    "PSYCHOEDUCATION",
    "TOUCH",
    "VOCABULARY",
    "Vocabulary",
    "load_vocabulary",
]
