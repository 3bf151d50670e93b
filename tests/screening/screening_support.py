"""Helpers for the screening-core tests: a complete all-clear facts document and ways to change it."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping

from kapstone.screening.facts import FACT_SPECS

_HISTORY_FLAGS = [s.key for s in FACT_SPECS.values() if s.section == "history" and s.kind == "boolean"]

# A complete facts document on which every contraindicated and prescriber-judgement rule of the
# default rule set is decided and clear (overall outcome: no_flags).
BASELINE: dict[str, object] = {
    "age_years": 40,
    "sex_at_birth": "female",
    "pregnant": False,
    "lactating": False,
    "contraception": True,
    "bp_systolic": 120,
    "bp_diastolic": 78,
    "heart_rate": 70,
    "weight_kg": 70,
    "phq9_item9": 0,
    "cssrs_risk": "none",
    "product": "esketamine",
    "route": "intranasal",
    "history": {**dict.fromkeys(_HISTORY_FLAGS, False), "hepatic_impairment": "none"},
    "allergies": {"ketamine": False, "esketamine": False},
    "medications": [{"name": "sertraline", "classes": ["antidepressant"]}],
}


def baseline() -> dict[str, object]:
    return copy.deepcopy(BASELINE)


def patch(doc: Mapping[str, object], changes: Mapping[str, object]) -> dict[str, object]:
    """A copy of ``doc`` with facts set by name (``history.x`` / ``allergies.x`` go into their
    section; ``medications`` replaces the list)."""
    out = copy.deepcopy(dict(doc))
    for name, value in changes.items():
        section, _, key = name.partition(".")
        if key and section in ("history", "allergies"):
            out.setdefault(section, {})[key] = value  # type: ignore[index]
        else:
            out[name] = value
    return out


def remove(doc: Mapping[str, object], names: Iterable[str]) -> dict[str, object]:
    """A copy of ``doc`` without the named facts (a ``medications.*`` fact removes the list)."""
    out = copy.deepcopy(dict(doc))
    for name in names:
        section, _, key = name.partition(".")
        if section == "medications":
            out.pop("medications", None)
        elif key:
            out.get(section, {}).pop(key, None)  # type: ignore[union-attr]
        else:
            out.pop(name, None)
    return out
