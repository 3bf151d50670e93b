"""Plain words for internal keys: one registry, used by every page (``label`` filter) and message.

Keys come from the data files and the code (screening facts, vital signs, roles, access actions,
audit actions, settings). ``label(key)`` gives the registered words; a key with no entry is still
shown in words (``"measure.portal_denied"`` → "Measure: portal denied") rather than raw, and
``missing()`` lets the tests insist every known key has been written down properly.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from kapstone.core.roles import Role
from kapstone.lib.datafile import read_toml

DATA = Path(__file__).with_name("labels.toml")
KINDS = ("facts", "vitals", "values", "settings", "actions", "roles", "units", "vital_units", "fact_fields")
# What an internal key looks like on a page: snake_case words, or dotted names of them.
INTERNAL_KEY = re.compile(
    r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?:\.[a-z0-9_]+)*\b"  # cssrs_risk, org_admin, age_years
    r"|\b[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*_[a-z0-9_]+\b"  # measure.portal_denied
)


@cache
def registry() -> dict[str, dict[str, str]]:
    data, _ = read_toml(DATA)
    tables = {kind: {str(k): str(v) for k, v in data.get(kind, {}).items()} for kind in KINDS}
    tables["roles"] = {str(value): str(text) for value, text in Role.choices}
    return tables


IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*")


def humanize(key: str) -> str:
    """Words for a key nobody has labelled yet: never the raw identifier (other text as it is)."""
    if not IDENTIFIER.fullmatch(key):
        return key
    parts = [part.replace("_", " ").strip() for part in key.split(".") if part]
    if not parts:
        return key
    head, *rest = parts
    text = head[:1].upper() + head[1:]
    return f"{text}: {', '.join(rest)}" if rest else text


def label(key: str, kind: str = "") -> str:
    if "," in key:  # an audit row's roles: "org_admin,therapist"
        return ", ".join(label(part.strip(), kind) for part in key.split(",") if part.strip())
    tables = registry()
    if kind:
        found = tables.get(kind, {}).get(key)
        if found is not None:
            return found
    for name in KINDS:
        if key in tables[name]:
            return tables[name][key]
    return humanize(key)


def unit(raw: str) -> str:
    return registry()["units"].get(raw, raw)


def reading(key: str, value: object, raw_unit: str = "") -> str:
    """'Respiratory rate 9 /min': a reading named in words, with its unit."""
    shown = unit(raw_unit) if raw_unit else ""
    return f"{label(key, 'vitals')} {value}{(' ' + shown) if shown else ''}".strip()


_READING = re.compile(
    r"\b([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*)"  # a key
    r"(\s*(?:=|:)?\s*)"  # "respiratory_rate 9", "bp_systolic: 400"
    r"(-?\d+(?:\.\d+)?)?"  # its reading, if any
    r"(\s*(?:%|mmHg|/min|beats/min|breaths/min)(?![\w/]))?"  # and its unit, if given
)


def plain(text: str) -> str:
    """A message with the internal keys it names put into words, and a vital's reading given its
    unit: "respiratory_rate 9 below 10" → "Respiratory rate 9 /min below 10"."""
    tables = registry()
    known = {
        k for name in ("facts", "vitals", "values", "settings", "roles", "actions") for k in tables[name]
    }

    def swap(match: re.Match[str]) -> str:
        key, gap, number, has_unit = match.group(1), match.group(2), match.group(3), match.group(4)
        if key not in known or ("_" not in key and "." not in key and key not in tables["vitals"]):
            return match.group(0)
        words = label(key, "vitals" if key in tables["vitals"] else "")
        if number is None:
            return words + gap + (has_unit or "")
        shown = has_unit or (f" {tables['vital_units'][key]}" if key in tables.get("vital_units", {}) else "")
        return f"{words} {number}{shown}"

    return _READING.sub(swap, text)


def missing(kind: str, keys: list[str] | tuple[str, ...] | set[str]) -> list[str]:
    """The keys of ``kind`` with no registered label (for the completeness tests)."""
    table = registry().get(kind, {})
    return sorted(k for k in keys if k not in table)


def internal_keys(text: str) -> list[str]:
    """Internal identifiers found in visible text (for the page crawl)."""
    return sorted(set(INTERNAL_KEY.findall(text)))


def fact_field(fact: str) -> tuple[str, str]:
    """(URL name, field id) of the form field that supplies a screening fact; the URL takes the
    client's id. An intake question has the fact's own name (``history.seizure`` → ``id_seizure``)."""
    where = registry()["fact_fields"].get(fact)
    if where is None:
        return "intake:edit", f"id_{fact.rsplit('.', 1)[-1]}"
    url_name, _, anchor = where.partition("#")
    return url_name, anchor
