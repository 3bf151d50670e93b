"""Checking a trainee's ledger lines against a requirement set: per requirement met, not yet (what
is missing, in words and numbers) or cannot tell (the fact that would decide it). No Django.

Every rule is monotone by construction: adding a line never lowers what a requirement has, and
removing one never raises it, so a met requirement stays met as hours arrive. Where a fact is
unknown (a group's size, whether a live hour was online), the core computes what is certain (the
lower bound) and what is possible (the upper bound); only if the two straddle the threshold does it
answer "cannot tell", naming the fact.

Two readings, stated once:
- A line with several topics has its minutes split evenly over them (a 60-minute lesson on ethics
  and touch gives 30 minutes to each), so a topic total never counts one hour twice.
- "At least half of online instruction live" (Oregon) is checked as: self-paced hours count only up
  to the live online hours. That is the same rule for a trainee who meets it, and it cannot be
  un-met by logging more self-paced hours.

A set is checked over an index of its lines, built once (the positions of the lines of each kind and
of each topic): each requirement reads only the lines that could count for it, in the ledger's order,
so its sums (and the first unknown fact it names) are exactly those of a walk over every line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from .model import Line, Number, Requirement, RequirementSet, SetReport, Status, Verdict


def hours(minutes: float) -> str:
    """Minutes as hours for people: 90 -> '1.5 h', 600 -> '10 h'."""
    value = round(minutes / 60, 2)
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{text} h"


@dataclass(frozen=True, slots=True)
class _Range:
    low: float  # certain
    high: float  # possible, if every unknown fact went the trainee's way
    unknown: str = ""  # the fact that separates low from high, in words


def _resolve(
    number: Number | None, req_set: RequirementSet, settings: Mapping[str, float]
) -> tuple[float | None, str]:
    """A threshold's value, or None and the name of the unset program setting."""
    if number is None:
        return None, ""
    if number.setting is None:
        return number.value, ""
    if number.setting in settings:
        return float(settings[number.setting]), ""
    setting = req_set.setting(number.setting)
    return setting.default, setting.label


def _share(line: Line, requirement: Requirement) -> float:
    """The fraction of a line's minutes this requirement counts (topic split), 0 if it does not.
    ``line`` comes from ``_Index.lines_for``: of one of the requirement's kinds and, if it names
    topics, carrying one of them."""
    if requirement.sessions and line.session not in requirement.sessions:
        return 0.0
    if requirement.topics:
        matched = sum(1 for topic in line.topics if topic in requirement.topics)
        return matched / len(line.topics)
    return 1.0


def _group_ok(line: Line, limit: float | None) -> bool | None:
    if limit is None or line.kind not in ("group_consultation",):
        return True
    if line.group_size is None:
        return None
    return line.group_size <= limit


def _hours_range(  # noqa: C901 - one case per rule; listed in issue #10 to split
    lines: list[Line], requirement: Requirement, limit: float | None, cap_minutes: float | None
) -> _Range:
    low = high = 0.0
    capped_low = capped_high = 0.0
    self_paced = live_online = live_unknown = 0.0
    unknown: list[str] = []
    cap_kinds = requirement.cap.kinds if requirement.cap else ()
    for line in lines:
        share = _share(line, requirement)
        if not share or line.minutes < requirement.min_minutes_each:
            continue
        minutes = line.minutes * share
        ok = _group_ok(line, limit)
        if ok is False:
            continue
        if ok is None:
            unknown.append("the size of a consultation group")
        if requirement.self_paced_up_to_live_online:
            if line.kind == "didactic_self_paced":
                self_paced += minutes
                continue
            if line.kind == "didactic_live":
                if line.online is True:
                    live_online += minutes
                elif line.online is None:
                    live_unknown += minutes
        if line.kind in cap_kinds:
            capped_high += minutes
            if ok:
                capped_low += minutes
            continue
        high += minutes
        if ok:
            low += minutes
    if cap_minutes is not None:
        capped_low, capped_high = min(capped_low, cap_minutes), min(capped_high, cap_minutes)
    low += capped_low
    high += capped_high
    if requirement.self_paced_up_to_live_online:
        low += min(self_paced, live_online)
        high += min(self_paced, live_online + live_unknown)
        if live_unknown and self_paced > live_online:
            unknown.append("whether live instruction was online or in person")
    return _Range(low, high, unknown[0] if unknown else "")


def _count_range(lines: list[Line], requirement: Requirement, limit: float | None) -> _Range:
    low = high = 0.0
    for line in lines:
        if not _share(line, requirement) or line.minutes < requirement.min_minutes_each:
            continue
        ok = _group_ok(line, limit)
        if ok is False:
            continue
        high += 1
        low += 1 if ok else 0
    return _Range(low, high, "the size of a consultation group" if high > low else "")


def _clients_range(lines: list[Line], requirement: Requirement) -> _Range:
    keys: set[str] = set()
    anonymous = 0
    for line in lines:
        if not _share(line, requirement) or line.minutes < requirement.min_minutes_each:
            continue
        if line.client_key is None:
            anonymous += 1
        else:
            keys.add(line.client_key)
    return _Range(len(keys), len(keys) + anonymous, "which client a session was with" if anonymous else "")


def _measure(
    requirement: Requirement,
    lines: list[Line],
    req_set: RequirementSet,
    settings: Mapping[str, float],
) -> tuple[_Range, float | None, str]:
    limit, unset = _resolve(requirement.max_group_size, req_set, settings)
    if unset and limit is None:
        return _Range(0, 0), None, unset
    if requirement.rule == "hours":
        cap_hours, unset = _resolve(requirement.cap.max_hours if requirement.cap else None, req_set, settings)
        if unset and cap_hours is None:
            return _Range(0, 0), None, unset
        need, unset = _resolve(requirement.min_hours, req_set, settings)
        cap = None if cap_hours is None else cap_hours * 60
        got = _hours_range(lines, requirement, limit, cap)
        return got, None if need is None else need * 60, unset
    if requirement.rule == "count":
        need, unset = _resolve(requirement.min_count, req_set, settings)
        return _count_range(lines, requirement, limit), need, unset
    need, unset = _resolve(requirement.min_clients, req_set, settings)
    return _clients_range(lines, requirement), need, unset


def _amount(requirement: Requirement, value: float) -> str:
    if requirement.rule == "hours":
        return hours(value)
    number = f"{value:g}"
    if requirement.rule == "distinct_clients":
        return f"{number} different client{'s' if value != 1 else ''}"
    return number


class _Index:
    """A ledger's lines indexed once: the positions of the lines of each kind and of each topic."""

    __slots__ = ("by_kind", "by_topic", "lines", "seen")

    def __init__(self, lines: Sequence[Line]) -> None:
        self.lines = lines
        self.by_kind: dict[str, list[int]] = {}
        self.by_topic: dict[str, list[int]] = {}
        self.seen: dict[tuple[tuple[str, ...], tuple[str, ...]], tuple[list[Line], list[Line]]] = {}
        for position, line in enumerate(lines):
            self.by_kind.setdefault(line.kind, []).append(position)
            for topic in set(line.topics):
                self.by_topic.setdefault(topic, []).append(position)

    def lines_for(self, requirement: Requirement) -> tuple[list[Line], list[Line]]:
        """The lines that could count for ``requirement`` (of one of its kinds and, if it names
        topics, carrying one of them), in the ledger's order: the counted ones, and all of them. A
        line left out has no share in the requirement, so the rules would skip it anyway."""
        kinds, topics = requirement.kinds, requirement.topics
        found = self.seen.get((kinds, topics))
        if found is None:
            index, keys = (self.by_topic, topics) if topics else (self.by_kind, kinds)
            positions: set[int] = set()
            for key in keys:
                positions.update(index.get(key, ()))
            every = [line for line in map(self.lines.__getitem__, sorted(positions)) if line.kind in kinds]
            found = self.seen[kinds, topics] = ([line for line in every if line.counted], every)
        return found


def check_requirement(
    requirement: Requirement,
    lines: Sequence[Line],
    req_set: RequirementSet,
    *,
    settings: Mapping[str, float],
    facts: Mapping[str, bool | None],
) -> Verdict:
    return _check(requirement, _Index(lines), req_set, settings=settings, facts=facts)


def _check(
    requirement: Requirement,
    index: _Index,
    req_set: RequirementSet,
    *,
    settings: Mapping[str, float],
    facts: Mapping[str, bool | None],
) -> Verdict:
    base = Verdict(
        requirement_id=requirement.id, title=requirement.title, source=requirement.source,
        status=Status.CANNOT_TELL, message="", unit="",
    )  # fmt: skip
    if requirement.rule == "fact":
        question = req_set.facts[requirement.fact]
        answer = facts.get(requirement.fact)
        if answer is True:
            return replace(base, status=Status.MET, message=f"Yes: {question}")
        if answer is False:
            return replace(base, status=Status.NOT_YET, message=f"Not yet: {question}")
        return replace(
            base, missing_fact=question,
            message=f"Cannot tell: nobody has recorded {question[0].lower() + question[1:]}",
        )  # fmt: skip
    counted, every = index.lines_for(requirement)
    got, need, unset = _measure(requirement, counted, req_set, settings)
    units = {"hours": "h", "distinct_clients": "clients"}
    scale = 60 if requirement.rule == "hours" else 1
    base = replace(base, unit=units.get(requirement.rule, ""), have=got.low / scale)
    if need is None:
        return replace(
            base, missing_fact=f"the program setting “{unset}”",
            message=f"Cannot tell: the program has not set “{unset}”.",
        )  # fmt: skip
    with_pending, _, _ = _measure(requirement, every, req_set, settings)
    pending = max(0.0, with_pending.low - got.low)
    waiting = f" ({_amount(requirement, pending)} more logged, waiting for verification)" if pending else ""
    base = replace(base, need=need / scale, pending=pending / scale)
    of = f"{_amount(requirement, got.low)} of {_amount(requirement, need)}"
    if got.low >= need:
        return replace(base, status=Status.MET, message=f"{of}: met")
    missing = need - got.low
    base = replace(base, missing=missing / scale)
    if got.high >= need:
        return replace(
            base, missing_fact=got.unknown,
            message=f"Cannot tell: {of} certain; it depends on {got.unknown}{waiting}",
        )  # fmt: skip
    return replace(
        base, status=Status.NOT_YET, message=f"{of}: {_amount(requirement, missing)} missing{waiting}"
    )


def check_set(
    req_set: RequirementSet,
    lines: Iterable[Line],
    *,
    settings: Mapping[str, float] | None = None,
    facts: Mapping[str, bool | None] | None = None,
) -> SetReport:
    """Every requirement of the set, in the file's order."""
    index = _Index(list(lines))
    verdicts = tuple(
        _check(r, index, req_set, settings=settings or {}, facts=facts or {}) for r in req_set.requirements
    )
    return SetReport(set_id=req_set.id, version=req_set.version, title=req_set.title, verdicts=verdicts)
