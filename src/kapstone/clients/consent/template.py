"""Consent templates: load a TOML template strictly (pure Python, no Django).

A template is versioned data: the shipped default (``default_kap_consent.toml`` beside this file)
or a clinic's edit, stored as text. Every signed consent stores the template id, version and the
text the client saw. A template that leaves out one of the KAP elements (clinical.md §5.4) or one
of the separate opt-ins is refused, naming what is missing; a TOML syntax error names its line.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FORMAT_VERSION = 1
DEFAULT_TEMPLATE = Path(__file__).resolve().parent / "default_kap_consent.toml"

# The KAP consent elements every template must cover (clinical.md §5.4).
REQUIRED_ELEMENTS: tuple[str, ...] = (
    "regulatory_status",  # off-label use, Schedule III
    "experience",  # dissociation and what the session is like
    "risks",
    "vulnerability",  # reduced capacity to negotiate while under the drug
    "alternatives",
    "withdrawal",  # right to withdraw
    "fasting",
    "transport",
    "no_driving",
)
# The separate opt-ins (each is a field on the consent record, so the set is fixed in code).
OPT_INS: tuple[str, ...] = ("touch", "recording", "observers", "at_home", "research")

_ID = re.compile(r"^[a-z][a-z0-9_-]*$")
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_TOML_LINE = re.compile(r"at line (\d+)")


class ConsentTemplateError(ValueError):
    """A template cannot be used; ``line`` is set for TOML syntax errors."""

    def __init__(self, source: str, detail: str, line: int | None = None) -> None:
        self.source = source
        self.detail = detail
        self.line = line
        where = f"{source}, line {line}" if line is not None else source
        super().__init__(f"{where}: {detail}")


@dataclass(frozen=True, slots=True)
class Section:
    key: str
    heading: str
    text: str
    source: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {"key": self.key, "heading": self.heading, "text": self.text, "source": list(self.source)}


@dataclass(frozen=True, slots=True)
class ConsentTemplateDoc:
    id: str
    version: int
    title: str
    effective: dt.date
    intro: str
    sources: dict[str, str]
    elements: tuple[Section, ...]
    opt_ins: tuple[Section, ...]
    text: str  # the TOML it was read from
    sha256: str

    def opt_in(self, key: str) -> Section:
        for section in self.opt_ins:
            if section.key == key:
                return section
        raise KeyError(key)

    @property
    def label(self) -> str:
        return f"{self.id} v{self.version}"

    def snapshot(self) -> dict[str, object]:
        """What the client saw, stored with the signature."""
        return {
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "effective": self.effective.isoformat(),
            "intro": self.intro,
            "elements": [s.to_dict() for s in self.elements],
            "opt_ins": [s.to_dict() for s in self.opt_ins],
            "sources": dict(self.sources),
            "sha256": self.sha256,
        }


def _fail(source: str, message: str) -> ConsentTemplateError:
    return ConsentTemplateError(source, message)


def _text(data: dict[str, Any], key: str, where: str, source: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _fail(source, f"{where}{key}: expected a non-empty string")
    return value.strip()


def _sections(
    raw: object, name: str, sources: dict[str, str], source: str, allowed: tuple[str, ...] | None
) -> tuple[Section, ...]:
    if not isinstance(raw, list) or not raw:
        raise _fail(source, f"{name}: expected an array of tables ([[{name}]])")
    seen: set[str] = set()
    out: list[Section] = []
    for i, entry in enumerate(raw):
        where = f"{name}[{i}]."
        if not isinstance(entry, dict):
            raise _fail(source, f"{name}[{i}]: expected a table")
        unknown = sorted(set(entry) - {"key", "heading", "text", "source"})
        if unknown:
            raise _fail(source, f"{name}[{i}]: unknown key(s): {', '.join(unknown)}")
        key = _text(entry, "key", where, source)
        if not _KEY.match(key):
            raise _fail(source, f"{where}key: {key!r} is not a key (lower-case letters, digits and _)")
        if allowed is not None and key not in allowed:
            raise _fail(source, f"{where}key: {key!r} is not one of {', '.join(allowed)}")
        if key in seen:
            raise _fail(source, f"{where}key: {key!r} is used twice")
        seen.add(key)
        refs = entry.get("source", [])
        if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs):
            raise _fail(source, f"{where}source: expected an array of source keys")
        for ref in refs:
            if ref not in sources:
                raise _fail(source, f"{where}source: {ref!r} is not listed in [[sources]]")
        out.append(
            Section(
                key, _text(entry, "heading", where, source), _text(entry, "text", where, source), tuple(refs)
            )
        )
    return tuple(out)


def loads_consent_template(text: str, source: str = "<consent template>") -> ConsentTemplateDoc:
    """Validate template TOML given as text. Raises ``ConsentTemplateError``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = _TOML_LINE.search(str(exc))
        line = int(match.group(1)) if match else text.count("\n") + 1
        raise ConsentTemplateError(source, f"TOML syntax error: {exc}", line=line) from exc
    known = {"format", "id", "version", "title", "effective", "intro", "sources", "elements", "opt_ins"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise _fail(source, f"unknown key(s): {', '.join(unknown)}")
    if data.get("format") != FORMAT_VERSION or isinstance(data.get("format"), bool):
        raise _fail(source, f"format: expected {FORMAT_VERSION}")
    template_id = _text(data, "id", "", source)
    if not _ID.match(template_id):
        raise _fail(source, f"id: {template_id!r} is not a valid id (lower-case letters, digits, _ and -)")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _fail(source, "version: expected a whole number from 1 (raise it for every change)")
    effective = data.get("effective")
    if not isinstance(effective, dt.date) or isinstance(effective, dt.datetime):
        raise _fail(source, "effective: expected a TOML date such as 2026-01-31")
    sources: dict[str, str] = {}
    raw_sources = data.get("sources", [])
    if not isinstance(raw_sources, list):
        raise _fail(source, "sources: expected an array of tables ([[sources]])")
    for i, entry in enumerate(raw_sources):
        if not isinstance(entry, dict) or set(entry) - {"key", "citation"}:
            raise _fail(source, f"sources[{i}]: expected a table with key and citation")
        key = _text(entry, "key", f"sources[{i}].", source)
        if key in sources:
            raise _fail(source, f"sources[{i}].key: {key!r} is listed twice")
        sources[key] = _text(entry, "citation", f"sources[{i}].", source)
    elements = _sections(data.get("elements"), "elements", sources, source, None)
    missing = [k for k in REQUIRED_ELEMENTS if k not in {s.key for s in elements}]
    if missing:
        raise _fail(source, f"elements: the KAP consent elements {', '.join(missing)} are missing")
    opt_ins = _sections(data.get("opt_ins"), "opt_ins", sources, source, OPT_INS)
    missing = [k for k in OPT_INS if k not in {s.key for s in opt_ins}]
    if missing:
        raise _fail(source, f"opt_ins: the separate opt-ins {', '.join(missing)} are missing")
    return ConsentTemplateDoc(
        id=template_id,
        version=version,
        title=_text(data, "title", "", source),
        effective=effective,
        intro=_text(data, "intro", "", source),
        sources=sources,
        elements=elements,
        opt_ins=opt_ins,
        text=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def load_consent_template(path: Path | str) -> ConsentTemplateDoc:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConsentTemplateError(str(path), f"cannot read the file ({exc})") from exc
    return loads_consent_template(text, str(path))


@functools.cache
def default_consent_template() -> ConsentTemplateDoc:
    """The shipped default template (loaded once)."""
    return load_consent_template(DEFAULT_TEMPLATE)
