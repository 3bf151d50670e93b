"""The first line: every value the record knows, found wherever it appears in the text (no Django).

Tolerant on purpose: case, punctuation and spacing between the parts of a value, possessives
("Rowan's", "Rowans'"), partial names (given or family name alone), initials ("R.F.", "R. Fictional"),
nicknames ("Robert" finds "Bob"), the common spellings of a known date, a phone number however it is
punctuated, an identifier with or without its separators, an address by its parts.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

from kapstone.deid.lexicon import NICKNAMES, NOT_NAMES, STATE_NAMES_LOWER, STATES
from kapstone.deid.types import Known, KnownPerson

SEP = r"[\s\-‐‑–—'’.,_/:]*"  # anything a person might put between the parts of a value
LEFT = r"(?<![^\W_])"  # not preceded by a letter or digit
RIGHT = r"(?![^\W_])"
POSSESSIVE = r"(?=(?:['’]s|s['’]|['’]|s)?(?![^\W_]))"  # "Rowan", "Rowan's", "Rowans'", "Rowans"
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december")  # fmt: skip
# Words that are also names ("Will", "May", "Hope"): only their capitalised form is taken as the name.
COMMON_WORDS = frozenset(
    """
    will may hope grace faith joy rose june dawn sky summer autumn mark bill jack frank sue art rich pat guy
    ray rob bob chase hunter august april amber ivy lily iris daisy jade ruby pearl crystal holly max miles
    gene dean drew sandy rusty skip chip buck cliff glen wade brook brooke lane hazel clay carol robin wren
    penny star angel king reed rod
    """.split()  # noqa: SIM905
)


@dataclass(frozen=True, slots=True)
class Hit:
    cls: str
    start: int
    end: int
    why: str
    key: str  # what the placeholder is chosen by (a person's index, the value itself)
    confidence: float = 1.0
    source: str = "known"


def _tolerant(value: str) -> str:
    """A regex for ``value``, whatever lies between its words (case is the caller's flag)."""
    parts = [p for p in re.split(r"[^\w]+", value) if p]
    return SEP.join(re.escape(p) for p in parts)


def _tolerant_chars(value: str) -> str:
    """An identifier: its letters and digits in order, any separators (or none) between them."""
    chars = [c for c in value if c.isalnum()]
    return r"[\s\-./_:#]?".join(re.escape(c) for c in chars)


def _finditer(pattern: str, text: str, *, ignore_case: bool = True) -> Iterator[re.Match[str]]:
    flags = re.IGNORECASE if ignore_case else 0
    return re.finditer(pattern, text, flags)


def _name_tokens(name: str) -> list[str]:
    return [t for t in re.split(r"[\s\-‐‑–—'’.,()\"]+", name) if t]


def _person_hits(text: str, person: KnownPerson, key: str, role_why: str) -> Iterator[Hit]:  # noqa: C901 - one case per rule; listed in issue #10 to split
    names = [person.name, *person.aliases]
    tokens: list[str] = []
    for name in names:
        for tok in _name_tokens(name):
            if tok.lower() not in (t.lower() for t in tokens):
                tokens.append(tok)
    nick_tokens = []
    for tok in list(tokens):
        for nick in NICKNAMES.get(tok.lower(), ()):
            nick_tokens.append(nick.title())
    # Whole names, tolerant of punctuation and spacing between their parts.
    for name in names:
        if len(_name_tokens(name)) > 1:
            for m in _finditer(LEFT + _tolerant(name) + POSSESSIVE, text):
                yield Hit("name", m.start(), m.end(), f"{role_why} (full name)", key)
    # Each part alone (partial names); words that are also common words only in capitalised form.
    for tok in tokens + nick_tokens:
        if len(tok) < 2:
            continue
        why = f"{role_why} ({'nickname' if tok in nick_tokens else 'part of the name'})"
        common = tok.lower() in COMMON_WORDS or tok.lower() in NOT_NAMES or tok.lower() in MONTHS
        pattern = (
            LEFT + (re.escape(tok[0].upper() + tok[1:].lower()) if common else re.escape(tok)) + POSSESSIVE
        )
        for m in _finditer(pattern, text, ignore_case=not common):
            yield Hit("name", m.start(), m.end(), why, key)
        if common:  # and in capitals, as a heading or signature writes it
            for m in _finditer(LEFT + re.escape(tok.upper()) + RIGHT, text, ignore_case=False):
                yield Hit("name", m.start(), m.end(), why, key)
    # Initials: "R.F.", "R. F.", "RF", "R. Fictional", "Rowan F."
    for name in names:
        parts = [t for t in _name_tokens(name) if t[0].isalpha()]
        if len(parts) < 2:
            continue
        for initials in {tuple(p[0].upper() for p in parts), (parts[0][0].upper(), parts[-1][0].upper())}:
            dotted = r"\.?\s?".join(initials) + r"\.?"
            for m in _finditer(LEFT + dotted + RIGHT, text, ignore_case=False):
                if "." not in m.group(0) and m.group(0).lower() in NOT_NAMES:
                    continue  # "BP", "IM": a clinical abbreviation, unless written as initials
                yield Hit("name", m.start(), m.end(), f"{role_why} (initials)", key)
        first, last = parts[0], parts[-1]
        for pattern in (
            LEFT + re.escape(first[0].upper()) + r"\.?\s+" + re.escape(last) + POSSESSIVE,
            LEFT + re.escape(first) + r"\s+" + re.escape(last[0].upper()) + r"\.(?!\w)",
        ):
            for m in _finditer(pattern, text):
                yield Hit("name", m.start(), m.end(), f"{role_why} (initial and name)", key)


def _date_patterns(d: dt.date) -> list[str]:
    m, day, y, yy = d.month, d.day, d.year, d.year % 100
    mon = MONTHS[m - 1]
    month_word = rf"(?:{mon}|{mon[:3]}{'t' if mon == 'september' else ''}?)\.?"
    ordinal = rf"0?{day}(?:st|nd|rd|th)?"
    year = rf"(?:,?\s*(?:{y}|'{yy:02d}))?"
    num_sep = r"\s*[/.\-]\s*"
    return [
        rf"{y}{num_sep}0?{m}{num_sep}0?{day}",
        rf"0?{m}{num_sep}0?{day}{num_sep}(?:{y}|{yy:02d})",
        rf"0?{day}{num_sep}0?{m}{num_sep}(?:{y}|{yy:02d})",
        rf"{month_word}\s*{ordinal}{year}",
        rf"{ordinal}\s+(?:of\s+)?{month_word}{year}",
        rf"(?<![\d/.\-])0?{m}/0?{day}(?![\d/])",
    ]


def _phone_hits(text: str, number: str, cls: str, why: str) -> Iterator[Hit]:
    digits = re.sub(r"\D", "", number)
    if len(digits) < 7:
        return
    core = digits[-10:] if len(digits) >= 10 else digits
    for m in re.finditer(r"(?<![\w+])\+?\d[\d\s().\-]{5,}\d(?!\w)", text):
        got = re.sub(r"\D", "", m.group(0))
        if got.endswith(core) and len(got) - len(core) <= 3:
            yield Hit(cls, m.start(), m.end(), why, f"{cls}:{core}")


def _address_hits(text: str, address: str, why: str) -> Iterator[Hit]:
    """A known address: whole, and by its parts (street, city, ZIP); the state may stay."""
    yield from (Hit("address", m.start(), m.end(), why + " (whole)", "address:" + address.lower())
                for m in _finditer(LEFT + _tolerant(address) + RIGHT, text))  # fmt: skip
    for part in re.split(r"[,\n;]+", address):
        part = part.strip()
        if not part:
            continue
        state_zip = re.fullmatch(r"([A-Za-z .]+?)\s+(\d{5}(?:-\d{4})?)", part)
        if state_zip and (
            state_zip.group(1).upper() in STATES or state_zip.group(1).lower() in STATE_NAMES_LOWER
        ):
            yield from _literal_hits(text, state_zip.group(2), "zip", why + " (ZIP)")
            continue
        if re.fullmatch(r"\d{5}(?:-\d{4})?", part):
            yield from _literal_hits(text, part, "zip", why + " (ZIP)")
            continue
        if part.upper() in STATES or part.lower() in STATE_NAMES_LOWER:
            continue  # a state may stay (164.514(b)(2)(i)(B))
        if re.search(r"\d", part):  # the street line: also without its number, and abbreviated
            yield from _literal_hits(text, part, "address", why + " (street)")
            street = re.sub(r"^\s*\d+[A-Za-z]?\s+", "", part)
            street = re.sub(r"\s*(?:apt|unit|suite|#).*$", "", street, flags=re.IGNORECASE)
            words = _name_tokens(street)
            if words and len(street) >= 4:
                body = SEP.join(re.escape(w) for w in words[:-1]) if len(words) > 1 else re.escape(words[0])
                suffix = words[-1].lower()
                alts = {suffix, *STREET_ABBREVIATIONS.get(suffix, ())}
                alt = "|".join(re.escape(a) + ("" if a in FULL_SUFFIXES else r"\.?") for a in sorted(alts))
                pattern = body + (rf"\s+(?:{alt})" if len(words) > 1 else "")
                for m in _finditer(LEFT + pattern + RIGHT, text):
                    yield Hit(
                        "address", m.start(), m.end(), why + " (street name)", "address:" + address.lower()
                    )
        else:
            yield from _literal_hits(text, part, "place", why + " (city or town)")


STREET_ABBREVIATIONS = {
    "street": ("st",), "avenue": ("ave", "av"), "road": ("rd",), "lane": ("ln",), "drive": ("dr",),
    "court": ("ct",), "boulevard": ("blvd",), "place": ("pl",), "terrace": ("ter", "terr"),
    "circle": ("cir",), "parkway": ("pkwy",), "highway": ("hwy",), "square": ("sq",), "trail": ("trl",),
    "st": ("street",), "ave": ("avenue",), "rd": ("road",), "ln": ("lane",), "dr": ("drive",),
    "ct": ("court",), "blvd": ("boulevard",), "pl": ("place",), "way": (),
}  # fmt: skip


FULL_SUFFIXES = frozenset(k for k in STREET_ABBREVIATIONS if len(k) > 4) | {"lane", "road", "way"}


def _literal_hits(text: str, value: str, cls: str, why: str) -> Iterator[Hit]:
    value = value.strip()
    if not value:
        return
    alnum = sum(c.isalnum() for c in value)
    if cls in {"email", "url", "ip_address", "ssn", "record_number", "health_plan_number", "account_number",
               "licence_number", "vehicle_id", "device_id", "biometric_id", "zip", "other", "photo"} and (
        any(c.isdigit() for c in value) or cls in {"email", "url"}
    ):  # fmt: skip
        pattern = _tolerant_chars(value) if alnum <= 64 else re.escape(value)
    else:
        pattern = _tolerant(value)
    if not pattern:
        return
    key = f"{cls}:{re.sub(r'[^0-9a-z]', '', value.lower())}"
    for m in _finditer(LEFT + pattern + RIGHT, text):
        yield Hit(cls, m.start(), m.end(), why, key)
    if cls == "email" and "@" in value:  # the mailbox name alone is as telling as the address
        local = value.split("@", 1)[0]
        if len(local) >= 4:
            for m in _finditer(LEFT + re.escape(local) + RIGHT, text):
                yield Hit(cls, m.start(), m.end(), why + " (mailbox name)", key)
    if cls == "url":  # without its scheme or "www."
        bare = re.sub(r"^(?:https?://)?(?:www\.)?", "", value, flags=re.IGNORECASE).rstrip("/")
        if bare and bare != value:
            for m in _finditer(LEFT + re.escape(bare) + r"(?:/[^\s]*)?", text):
                yield Hit(cls, m.start(), m.end(), why, key)


def _age_hits(text: str, age: str, why: str) -> Iterator[Hit]:
    try:
        years = int(float(age))
    except ValueError:
        return
    if years <= 89:
        return
    n = str(years)
    for pattern in (
        rf"{n}\s*(?:-\s*)?(?:years?|yrs?|y/?o|y\.o\.)(?:\s*-?\s*old)?",
        rf"(?:aged?|age of|turned|turning)\s*:?\s*{n}",
        rf"{n}(?:st|nd|rd|th)\s+birthday",
    ):
        for m in _finditer(LEFT + pattern + RIGHT, text):
            yield Hit("age", m.start(), m.end(), why, "age")


def known_hits(text: str, known: Known) -> list[Hit]:
    """Every place the text shows a value the record knows."""
    hits: list[Hit] = []
    for i, person in enumerate(known.people):
        hits.extend(_person_hits(text, person, f"person:{i}", f"known {person.role} name"))
    for d in (*known.dates, *((known.date_of_birth,) if known.date_of_birth else ())):
        key = f"date:{d.isoformat()}"
        for pattern in _date_patterns(d):
            hits.extend(Hit("date", m.start(), m.end(), "known date from the record", key)
                        for m in _finditer(LEFT + pattern + RIGHT, text))  # fmt: skip
    for cls, values in known.values.items():
        for value in values:
            why = f"known {cls.replace('_', ' ')} from the record"
            if cls in {"phone", "fax"}:
                hits.extend(_phone_hits(text, value, cls, why))
                hits.extend(_literal_hits(text, value, cls, why))
            elif cls == "address":
                hits.extend(_address_hits(text, value, why))
            elif cls == "age":
                hits.extend(_age_hits(text, value, why))
            elif cls == "date":
                continue  # carried as dates
            else:
                hits.extend(_literal_hits(text, value, cls, why))
    return [h for h in hits if h.end > h.start]
