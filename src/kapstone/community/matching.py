"""Stable matching of mentees to mentors with capacities (the hospital–resident problem).

Pure: no Django. Mentee-proposing deferred acceptance (Gale & Shapley 1962; Roth 1984 for
capacities): each mentee proposes down their list; a mentor keeps the best ``capacity`` proposals by
their own ranking and rejects the rest. The result is stable (no mentee and mentor who both prefer
each other to what they got) and mentee-optimal. A pair appears only where each lists the other;
unlisted means unacceptable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

Id = int


@dataclass(frozen=True)
class Matching:
    pairs: dict[Id, Id]  # mentee -> mentor
    unmatched: tuple[Id, ...]  # mentees with no mentor

    def mentees_of(self, mentor: Id) -> list[Id]:
        return sorted(m for m, t in self.pairs.items() if t == mentor)


def stable_match(
    mentee_prefs: Mapping[Id, Sequence[Id]],
    mentor_prefs: Mapping[Id, Sequence[Id]],
    capacities: Mapping[Id, int],
) -> Matching:
    """Match mentees to mentors; every list is best first. Unknown ids on a list are ignored."""
    rank = {mentor: {mentee: i for i, mentee in enumerate(prefs)} for mentor, prefs in mentor_prefs.items()}
    held: dict[Id, list[Id]] = {mentor: [] for mentor in mentor_prefs}
    next_choice = dict.fromkeys(mentee_prefs, 0)
    free = sorted(mentee_prefs)
    while free:
        mentee = free.pop()
        prefs = mentee_prefs[mentee]
        while next_choice[mentee] < len(prefs):
            mentor = prefs[next_choice[mentee]]
            next_choice[mentee] += 1
            if mentee not in rank.get(mentor, {}) or capacities.get(mentor, 0) < 1:
                continue
            held[mentor].append(mentee)
            held[mentor].sort(key=rank[mentor].__getitem__)
            if len(held[mentor]) > capacities[mentor]:
                rejected = held[mentor].pop()
                if rejected != mentee:
                    free.append(rejected)
                    break
                continue
            break
    pairs = {mentee: mentor for mentor, mentees in held.items() for mentee in mentees}
    unmatched = tuple(sorted(m for m in mentee_prefs if m not in pairs))
    return Matching(pairs=pairs, unmatched=unmatched)


def blocking_pairs(
    matching: Matching,
    mentee_prefs: Mapping[Id, Sequence[Id]],
    mentor_prefs: Mapping[Id, Sequence[Id]],
    capacities: Mapping[Id, int],
) -> list[tuple[Id, Id]]:
    """Mentee–mentor pairs who would both rather be together: empty for a stable matching."""
    found = []
    for mentee, prefs in mentee_prefs.items():
        current = matching.pairs.get(mentee)
        better = prefs[: prefs.index(current)] if current in prefs else list(prefs)
        for mentor in better:
            ranking = list(mentor_prefs.get(mentor, ()))
            if mentee not in ranking or capacities.get(mentor, 0) < 1:
                continue
            theirs = matching.mentees_of(mentor)
            if len(theirs) < capacities[mentor] or any(
                ranking.index(mentee) < ranking.index(m) for m in theirs
            ):
                found.append((mentee, mentor))
    return found
