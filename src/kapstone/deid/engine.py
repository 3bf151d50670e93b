"""``deidentify(text, known)``: the proposals a person reviews before anything is shared (no Django).

Order: the known values of the record first (exact, tolerant), then the detectors; overlapping
proposals merge into one span covering all of them (a missed character is a disclosure, an extra
one costs readability), the record's reading winning the class. Placeholders are consistent: the
same person or value gets the same placeholder everywhere in the text. A number no rule explains is
redacted as ``other`` *and* flagged, which holds the case until a person resolves it; so is every
quasi-identifier (a rare condition, a profession, a small community, a named event).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from kapstone.deid import rules
from kapstone.deid.detect import CAP, detector_hits, unexplained_numbers
from kapstone.deid.known import Hit, known_hits
from kapstone.deid.lexicon import COMMUNITY_CUES, EVENT_WORDS, PROFESSIONS, RARE_CONDITIONS
from kapstone.deid.types import PLACEHOLDER, ROLE_LABEL, Flag, Known, KnownPerson, Result, Span, apply

ENGINE = "kapstone-deid"
PLACEHOLDER_RE = re.compile(r"\[[A-Z][A-Z0-9+\-]*\]")


def _word(w: str, plural: bool = False) -> re.Pattern[str]:
    return re.compile(rf"(?<![^\W_]){re.escape(w)}{'s?' if plural else ''}(?![^\W_])", re.IGNORECASE)


QUASI = [
    *((_word(w), "a rare condition") for w in RARE_CONDITIONS),
    *((_word(w, plural=True), "a profession") for w in PROFESSIONS),
    *((_word(w), "a small or singular community") for w in COMMUNITY_CUES),
    (re.compile(rf"(?:\b(?:19|20)\d\d\s+)?(?:{CAP}\s+){{1,3}}(?:{'|'.join(EVENT_WORDS)})s?\b", re.IGNORECASE),
     "a named event"),
    (re.compile(rf"\b(?:Hurricane|Storm|Tropical Storm|Operation)\s+{CAP}\b"), "a named event"),
]  # fmt: skip


def version() -> str:
    return f"{ENGINE}/1+rules-{rules.rules_version()}"


def _age_on(dob: dt.date, on: dt.date) -> int:
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


def _with_derived(known: Known, today: dt.date | None) -> Known:
    """The age the record implies, where it is over 89: it must be grouped wherever it appears."""
    if known.date_of_birth is None or today is None:
        return known
    age = _age_on(known.date_of_birth, today)
    if age <= rules.oldest_shown():
        return known
    values = dict(known.values)
    values["age"] = (*values.get("age", ()), str(age))
    return Known(people=known.people, values=values, dates=known.dates, date_of_birth=known.date_of_birth)


def _clusters(hits: Iterable[Hit]) -> list[list[Hit]]:
    clusters: list[list[Hit]] = []
    end = -1
    for hit in sorted(hits, key=lambda h: (h.start, -h.end)):
        if clusters and hit.start < end:
            clusters[-1].append(hit)
            end = max(end, hit.end)
        else:
            clusters.append([hit])
            end = hit.end
    return clusters


def _winner(cluster: list[Hit]) -> Hit:
    """The class of a merged span: a hit that covers all of it (an email or web address holding a
    name) before the parts; among equals, the record's reading, then the surer detector."""
    start, end = min(h.start for h in cluster), max(h.end for h in cluster)
    whole = [h for h in cluster if h.start == start and h.end == end] or cluster
    if any(h.source == "known" for h in cluster) and all(h.cls in {"name", "place"} for h in whole):
        whole = [h for h in cluster if h.source == "known"]
    return max(whole, key=lambda h: (h.source == "known", h.confidence, h.end - h.start))


class _Placeholders:
    """The same person or value gets the same placeholder; people numbered by role in order met."""

    def __init__(self, people: tuple[KnownPerson, ...]) -> None:
        self.people = people
        self.by_key: dict[str, str] = {}
        self.count: dict[str, int] = {}

    def _numbered(self, key: str, label: str) -> str:
        if key not in self.by_key:
            self.count[label] = self.count.get(label, 0) + 1
            self.by_key[key] = f"[{label}-{self.count[label]}]"
        return self.by_key[key]

    def name(self, hit: Hit) -> str:
        if hit.key.startswith("person:"):
            person = self.people[int(hit.key.split(":", 1)[1])]
            if person.role in {"client", "employer"}:
                return f"[{ROLE_LABEL[person.role]}]"
            return self._numbered(hit.key, ROLE_LABEL[person.role])
        return self._numbered(hit.key, "NAME")


def _replacement(
    hit: Hit, text: str, start: int, end: int, names: _Placeholders, known: Known, today: dt.date | None
) -> str:
    if hit.cls == "name":
        return names.name(hit)
    if hit.cls == "date":
        year_text = hit.key.split(":", 1)[1][:4]
        year = int(year_text) if year_text.isdigit() else None
        return rules.date_placeholder(year, date_of_birth=known.date_of_birth, today=today)
    if hit.cls == "zip":
        digits = re.sub(r"\D", "", text[start:end])
        return rules.zip_placeholder(digits)
    return PLACEHOLDER[hit.cls]


def _quasi_flags(text: str, spans: list[Span]) -> list[Flag]:
    flags: list[Flag] = []
    taken = [(s.start, s.end) for s in spans]
    seen: set[tuple[int, int]] = set()
    for pattern, why in QUASI:
        for m in pattern.finditer(text):
            where = (m.start(), m.end())
            if where in seen or any(a < m.end() and m.start() < b for a, b in taken):
                continue
            if PLACEHOLDER_RE.fullmatch(m.group(0)) or any(
                p.start() <= m.start() < p.end() for p in PLACEHOLDER_RE.finditer(text)
            ):
                continue
            seen.add(where)
            flags.append(Flag("quasi_identifier", m.start(), m.end(), f"{why}: may identify the client"))
    return sorted(flags, key=lambda f: (f.start, f.end))


GAP = re.compile(r"\s+(?:[A-Z]\.?\s+)?|\s*[-‐]\s*")


def _join_people(text: str, spans: list[Span]) -> list[Span]:
    """ "[CLIENT] [CLIENT]" reads as two people: the parts of one name (and a middle initial between
    them) become one span."""
    out: list[Span] = []
    for span in spans:
        prev = out[-1] if out else None
        if (prev is not None and prev.cls == span.cls == "name" and prev.replacement == span.replacement
                and GAP.fullmatch(text[prev.end : span.start])):  # fmt: skip
            out[-1] = Span(prev.cls, prev.start, span.end, prev.why, prev.replacement,
                           max(prev.confidence, span.confidence), prev.source)  # fmt: skip
        else:
            out.append(span)
    return out


def deidentify(text: str, known: Known | None = None, *, today: dt.date | None = None) -> Result:
    """Every identifier the engine can find in ``text``, as reviewed proposals, and the flags that hold it."""
    known = _with_derived(known or Known(), today)
    hits = [*known_hits(text, known), *detector_hits(text, oldest=rules.oldest_shown())]
    guarded = [(m.start(), m.end()) for m in PLACEHOLDER_RE.finditer(text)]
    hits = [h for h in hits if not any(a <= h.start and h.end <= b for a, b in guarded)]
    names = _Placeholders(known.people)
    spans: list[Span] = []
    for cluster in _clusters(hits):
        win = _winner(cluster)
        start, end = min(h.start for h in cluster), max(h.end for h in cluster)
        replacement = _replacement(win, text, start, end, names, known, today)
        spans.append(Span(win.cls, start, end, win.why, replacement, win.confidence, win.source))
    spans = _join_people(text, spans)
    flags: list[Flag] = []
    extra: list[Span] = []
    for start, end in unexplained_numbers(text):
        if any(s.start < end and start < s.end for s in spans):
            continue
        if any(a <= start and end <= b for a, b in guarded):
            continue
        why = "a number no rule explains: remove it, or keep it with a reason"
        extra.append(Span("other", start, end, why, PLACEHOLDER["other"], 0.5, "detector"))
        flags.append(Flag("unclassified", start, end, why))
    spans = sorted(spans + extra, key=lambda s: s.start)
    flags += _quasi_flags(text, spans)
    return Result(source=text, text=apply(text, spans), spans=tuple(spans),
                  flags=tuple(sorted(flags, key=lambda f: (f.start, f.end))), version=version())  # fmt: skip
