"""Trauma-informed principles shown next to the decisions they shape (pure; data in
``trauma_informed.toml``)."""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parent / "trauma_informed.toml"


@dataclass(frozen=True, slots=True)
class Principle:
    key: str
    name: str
    text: str
    framework: str
    framework_title: str


@dataclass(frozen=True, slots=True)
class DecisionPrinciples:
    decision: str
    note: str
    principles: tuple[Principle, ...]

    @property
    def names(self) -> str:
        return ", ".join(p.name for p in self.principles)


@functools.cache
def _load() -> dict[str, DecisionPrinciples]:
    data = tomllib.loads(DATA.read_text(encoding="utf-8"))
    frameworks = data["frameworks"]
    principles = {
        key: Principle(key, p["name"], p["text"], p["framework"], frameworks[p["framework"]]["title"])
        for key, p in data["principles"].items()
    }
    return {
        name: DecisionPrinciples(name, d.get("note", ""), tuple(principles[k] for k in d["principles"]))
        for name, d in data["decisions"].items()
    }


def principles_for(decision: str) -> DecisionPrinciples:
    """The principles shaping a decision (``touch``, ``recording``, ``music`` ...)."""
    return _load()[decision]


def all_decisions() -> dict[str, DecisionPrinciples]:
    return dict(_load())
