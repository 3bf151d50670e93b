"""Evaluate a client's facts against a screening rule set. Pure Python, no Django.

Every rule's condition is evaluated with three-valued (Kleene) logic: true, false, or *unknown*
when a fact it needs is missing and the known facts do not decide it. So:

* ``flagged``  -- the condition holds (for a clinic-policy item: the item applies);
* ``clear``    -- the condition is decided false by known facts;
* ``insufficient_information`` -- it cannot be decided; the rationale names each missing fact.

A rule whose facts are missing never comes out ``clear``, and removing a fact can only move a
rule from flagged or clear towards insufficient information, never to clear (Kleene logic is
monotone; the property tests check this).

The overall outcome, in order of precedence:

1. ``contraindicated`` -- any contraindicated-level rule is flagged. A known contraindication
   is reported even when other facts are missing: no missing fact can undo it, and it is the
   most important thing for the care team to see. (Scheduling is blocked unless a prescriber
   overrides with a documented reason.)
2. ``insufficient_information`` -- otherwise, any contraindicated-level or prescriber-judgement
   rule cannot be decided. This outranks review flags on purpose: a missing fact may hide a
   contraindication, so the prescriber should not attest to a partial screen. The flags that
   did fire are still listed.
3. ``needs_prescriber_review`` -- otherwise, any prescriber-judgement rule is flagged (each needs
   an attestation).
4. ``no_flags`` -- nothing fired and everything could be decided.

Clinic-policy items never change the outcome; they come back as the ``checklist`` (an item whose
facts are missing is listed as insufficient information, i.e. it may apply).
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from .facts import Facts, Number, validate_facts
from .ruleset_types import (
    CLINIC_POLICY,
    CONTRAINDICATED,
    PRESCRIBER_JUDGEMENT,
    AllOf,
    AnyOf,
    Compare,
    Condition,
    Contains,
    OneOf,
    Rule,
    RuleSet,
    SettingRef,
    describe,
)

CONTRAINDICATED_OUTCOME = "contraindicated"
INSUFFICIENT = "insufficient_information"
NEEDS_REVIEW = "needs_prescriber_review"
NO_FLAGS = "no_flags"
OUTCOMES = (CONTRAINDICATED_OUTCOME, INSUFFICIENT, NEEDS_REVIEW, NO_FLAGS)

FLAGGED = "flagged"
CLEAR = "clear"
RULE_OUTCOMES = (FLAGGED, CLEAR, INSUFFICIENT)

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _json_value(value: object) -> object:
    if isinstance(value, frozenset):
        return sorted(value)
    return value


@dataclass(frozen=True, slots=True)
class RuleResult:
    """One rule's outcome. ``facts`` maps every fact the rule reads to its value (``None`` when
    unknown); ``missing_facts`` lists the unknown ones when the outcome is insufficient."""

    id: str
    level: str
    title: str
    outcome: str
    rationale: str
    source: tuple[str, ...]
    missing_facts: tuple[str, ...]
    facts: Mapping[str, object]

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "level": self.level,
            "title": self.title,
            "outcome": self.outcome,
            "rationale": self.rationale,
            "source": list(self.source),
            "missing_facts": list(self.missing_facts),
            "facts": {k: _json_value(v) for k, v in self.facts.items()},
        }


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The result of one screening. ``rules`` holds the contraindicated and prescriber-judgement
    rules, ``checklist`` the clinic-policy items, both in rule-set order."""

    outcome: str
    summary: str
    ruleset_id: str
    ruleset_version: str
    ruleset_effective: dt.date
    settings: Mapping[str, Number]
    settings_overridden: tuple[str, ...]
    derived_facts: Mapping[str, str]
    rules: tuple[RuleResult, ...]
    checklist: tuple[RuleResult, ...]
    missing_facts: tuple[str, ...]

    def ids(self, level: str, outcome: str) -> tuple[str, ...]:
        results = self.checklist if level == CLINIC_POLICY else self.rules
        return tuple(r.id for r in results if r.level == level and r.outcome == outcome)

    @property
    def contraindications(self) -> tuple[str, ...]:
        return self.ids(CONTRAINDICATED, FLAGGED)

    @property
    def review_flags(self) -> tuple[str, ...]:
        return self.ids(PRESCRIBER_JUDGEMENT, FLAGGED)

    @property
    def undecided(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.rules if r.outcome == INSUFFICIENT)

    def result(self, rule_id: str) -> RuleResult:
        for item in (*self.rules, *self.checklist):
            if item.id == rule_id:
                return item
        raise KeyError(rule_id)

    def to_dict(self) -> dict[str, object]:
        return {
            "outcome": self.outcome,
            "summary": self.summary,
            "ruleset": {
                "id": self.ruleset_id,
                "version": self.ruleset_version,
                "effective": self.ruleset_effective.isoformat(),
            },
            "settings": dict(self.settings),
            "settings_overridden": list(self.settings_overridden),
            "derived_facts": dict(self.derived_facts),
            "contraindicated": list(self.contraindications),
            "needs_review": list(self.review_flags),
            "insufficient_information": list(self.undecided),
            "missing_facts": list(self.missing_facts),
            "rules": [r.to_dict() for r in self.rules],
            "checklist": [r.to_dict() for r in self.checklist],
        }


def truth(cond: Condition, facts: Facts, settings: Mapping[str, Number]) -> bool | None:
    """Three-valued truth of a condition: ``None`` when the known facts do not decide it."""
    if isinstance(cond, Compare):
        value = facts.get(cond.fact)
        if value is None:
            return None
        rhs = settings[cond.value.name] if isinstance(cond.value, SettingRef) else cond.value
        return _OPS[cond.op](value, rhs)
    if isinstance(cond, OneOf):
        value = facts.get(cond.fact)
        return None if value is None else value in cond.values
    if isinstance(cond, Contains):
        held = facts.get(cond.fact)
        return None if held is None else not held.isdisjoint(cond.values)  # type: ignore[attr-defined]
    if isinstance(cond, AllOf):
        result: bool | None = True
        for part in cond.parts:
            r = truth(part, facts, settings)
            if r is False:
                return False
            if r is None:
                result = None
        return result
    if isinstance(cond, AnyOf):
        result = False
        for part in cond.parts:
            r = truth(part, facts, settings)
            if r is True:
                return True
            if r is None:
                result = None
        return result
    return True  # Always


@functools.lru_cache(maxsize=64)
def _texts(ruleset: RuleSet, settings: tuple[tuple[str, Number], ...]) -> tuple[tuple[str, str, str], ...]:
    """Each rule's (title, flagged rationale, clear rationale) under these settings: rendered
    once per rule set and settings, not on every evaluation."""
    values = dict(settings)
    return tuple(
        (
            ruleset.render(rule.title, values),
            ruleset.render(rule.rationale, values),
            f"clear: condition not met: {describe(rule.when, values)}",
        )
        for rule in ruleset.rules
    )


def _evaluate_rule(
    rule: Rule, texts: tuple[str, str, str], facts: Facts, settings: Mapping[str, Number]
) -> RuleResult:
    value = truth(rule.when, facts, settings)
    missing: tuple[str, ...] = ()
    if value is True:
        outcome, rationale = FLAGGED, texts[1]
    elif value is False:
        outcome, rationale = CLEAR, texts[2]
    else:
        missing = tuple(name for name in rule.facts if not facts.known(name))
        outcome, rationale = INSUFFICIENT, f"insufficient information: {', '.join(missing)}"
    return RuleResult(
        id=rule.id,
        level=rule.level,
        title=texts[0],
        outcome=outcome,
        rationale=rationale,
        source=rule.source,
        missing_facts=missing,
        facts=MappingProxyType({name: facts.get(name) for name in rule.facts}),
    )


def _summary(ruleset: RuleSet, outcome: str, rules: tuple[RuleResult, ...], missing: tuple[str, ...]) -> str:
    def ids(level: str | None, wanted: str) -> str:
        return ", ".join(r.id for r in rules if r.outcome == wanted and (level is None or r.level == level))

    if outcome == CONTRAINDICATED_OUTCOME:
        return (
            f"Contraindicated ({ids(CONTRAINDICATED, FLAGGED)}): scheduling is blocked unless a "
            "prescriber overrides with a documented reason."
        )
    if outcome == INSUFFICIENT:
        count = sum(1 for r in rules if r.outcome == INSUFFICIENT)
        return (
            f"Insufficient information: {count} rule(s) cannot be decided until these facts are known: "
            f"{', '.join(missing)}."
        )
    if outcome == NEEDS_REVIEW:
        return f"Needs prescriber review with attestation: {ids(PRESCRIBER_JUDGEMENT, FLAGGED)}."
    return (
        f"No contraindication or review flag under {ruleset.id} {ruleset.version}; "
        "the clinic checklist still applies."
    )


def evaluate(
    ruleset: RuleSet, facts: Mapping[str, object], settings: Mapping[str, object] | None = None
) -> Evaluation:
    """Screen one client's facts (the JSON-shaped document described in ``FACTS.md``).

    ``settings`` are the clinic's overrides of the rule set's named settings. Raises
    ``FactsError`` (facts refused, each field named) or ``SettingsError`` (an override refused)."""
    in_force = ruleset.resolve_settings(settings)
    checked = validate_facts(facts, ruleset.bounds)
    texts = _texts(ruleset, tuple(sorted(in_force.items())))
    results = tuple(
        _evaluate_rule(rule, text, checked, in_force) for rule, text in zip(ruleset.rules, texts, strict=True)
    )
    rules = tuple(r for r in results if r.level != CLINIC_POLICY)
    checklist = tuple(r for r in results if r.level == CLINIC_POLICY)

    missing_set: dict[str, None] = {}
    for r in rules:
        missing_set.update(dict.fromkeys(r.missing_facts))
    missing = tuple(missing_set)

    outcomes = {(r.level, r.outcome) for r in rules}
    if (CONTRAINDICATED, FLAGGED) in outcomes:
        outcome = CONTRAINDICATED_OUTCOME
    elif missing:
        outcome = INSUFFICIENT
    elif (PRESCRIBER_JUDGEMENT, FLAGGED) in outcomes:
        outcome = NEEDS_REVIEW
    else:
        outcome = NO_FLAGS

    return Evaluation(
        outcome=outcome,
        summary=_summary(ruleset, outcome, rules, missing),
        ruleset_id=ruleset.id,
        ruleset_version=ruleset.version,
        ruleset_effective=ruleset.effective,
        settings=MappingProxyType(in_force),
        settings_overridden=tuple(settings or ()),
        derived_facts=checked.derived,
        rules=rules,
        checklist=checklist,
        missing_facts=missing,
    )
