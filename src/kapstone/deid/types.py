"""The engine's plain data: the Safe Harbor classes, what the record knows, and what the engine proposes.

No Django. A ``Span`` is a proposal for a person to review (never applied without review in the app);
``Flag`` marks what cannot be removed safely by rule (a quasi-identifier, an unclassifiable number).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# The 18 classes of 45 CFR 164.514(b)(2)(i), as the KNOWN.json keys name them (security.md §1.5):
# (A) name, (B) address/place/zip, (C) date/age, (D) phone, (E) fax, (F) email, (G) ssn,
# (H) record_number, (I) health_plan_number, (J) account_number, (K) licence_number, (L) vehicle_id,
# (M) device_id, (N) url, (O) ip_address, (P) biometric_id, (Q) photo, (R) other.
CLASSES = (
    "name", "address", "place", "zip", "date", "age", "phone", "fax", "email", "ssn", "record_number",
    "health_plan_number", "account_number", "licence_number", "vehicle_id", "device_id", "url",
    "ip_address", "biometric_id", "photo", "other",
)  # fmt: skip

# Roles of the people a record knows; each gets its own consistent placeholder.
ROLES = ("client", "family", "contact", "support", "employer", "referrer", "clinician", "person")
ROLE_LABEL = {
    "client": "CLIENT", "family": "FAMILY", "contact": "CONTACT", "support": "SUPPORT",
    "employer": "EMPLOYER", "referrer": "REFERRER", "clinician": "CLINICIAN", "person": "PERSON",
}  # fmt: skip

PLACEHOLDER = {
    "address": "[ADDRESS]", "place": "[PLACE]", "phone": "[PHONE]", "fax": "[FAX]", "email": "[EMAIL]",
    "ssn": "[SSN]", "record_number": "[RECORD-NO]", "health_plan_number": "[HEALTH-PLAN-NO]",
    "account_number": "[ACCOUNT-NO]", "licence_number": "[LICENCE-NO]", "vehicle_id": "[VEHICLE-ID]",
    "device_id": "[DEVICE-ID]", "url": "[URL]", "ip_address": "[IP-ADDRESS]", "biometric_id": "[BIOMETRIC]",
    "photo": "[PHOTO]", "other": "[ID]", "age": "[AGE-90+]", "date": "[DATE]", "zip": "[ZIP]",
    "name": "[NAME]",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class KnownPerson:
    """Someone the record names: the client, a family member, a contact, the employer, ..."""

    name: str
    role: str = "person"
    aliases: tuple[str, ...] = ()  # nicknames, preferred names, former names

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}; expected one of {', '.join(ROLES)}")


@dataclass(frozen=True)
class Known:
    """Everything the record knows, as plain values by Safe Harbor class (names as people)."""

    people: tuple[KnownPerson, ...] = ()
    values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    dates: tuple[dt.date, ...] = ()
    date_of_birth: dt.date | None = None

    @classmethod
    def from_json(cls, data: Any) -> Known:
        """KNOWN.json: ``{class: [strings]}``; the first ``name`` is the client, dates ISO, ages numbers."""
        if not isinstance(data, dict):
            raise ValueError("KNOWN.json must be an object whose keys are Safe Harbor class names")
        people: list[KnownPerson] = []
        values: dict[str, tuple[str, ...]] = {}
        dates: list[dt.date] = []
        for key, items in data.items():
            if key not in CLASSES:
                raise ValueError(f"KNOWN.json: unknown class {key!r}; expected one of {', '.join(CLASSES)}")
            if not isinstance(items, list):
                raise ValueError(f"KNOWN.json: {key!r} must be a list")
            for item in items:
                if key == "age":
                    if isinstance(item, bool) or not isinstance(item, int | float | str):
                        raise ValueError(f"KNOWN.json: an age must be a number, not {item!r}")
                    try:
                        float(item)
                    except ValueError:
                        raise ValueError(f"KNOWN.json: an age must be a number, not {item!r}") from None
                elif not isinstance(item, str) or not item.strip():
                    raise ValueError(f"KNOWN.json: {key!r} must hold non-empty strings, not {item!r}")
            if key == "name":
                people.extend(KnownPerson(n, "client" if not people and i == 0 else "person")
                              for i, n in enumerate(items))  # fmt: skip
            elif key == "date":
                for item in items:
                    try:
                        dates.append(dt.date.fromisoformat(item))
                    except ValueError:
                        raise ValueError(f"KNOWN.json: a date must be YYYY-MM-DD, not {item!r}") from None
            else:
                values[key] = tuple(str(v) for v in items)
        return cls(people=tuple(people), values=values, dates=tuple(dates))

    def all_values(self) -> list[tuple[str, str]]:
        """(class, value) for every planted value, dates in ISO form: what must never survive."""
        out = [("name", p.name) for p in self.people] + [("name", a) for p in self.people for a in p.aliases]
        out += [(k, v) for k, vs in self.values.items() for v in vs]
        out += [("date", d.isoformat()) for d in self.dates]
        if self.date_of_birth:
            out.append(("date", self.date_of_birth.isoformat()))
        return out


@dataclass(frozen=True, slots=True)
class Span:
    cls: str
    start: int
    end: int
    why: str
    replacement: str
    confidence: float = 1.0
    source: str = "detector"  # "known" (from the record) or "detector" (found without knowing it)

    def as_dict(self) -> dict[str, Any]:
        return {"class": self.cls, "start": self.start, "end": self.end, "why": self.why,
                "replacement": self.replacement, "confidence": round(self.confidence, 2),
                "source": self.source}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Flag:
    """Something a person must decide: a quasi-identifier, or a number the engine cannot classify."""

    kind: str  # "quasi_identifier" | "unclassified"
    start: int
    end: int
    why: str

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "start": self.start, "end": self.end, "why": self.why}


@dataclass(frozen=True)
class Result:
    source: str
    text: str  # the source with every suggested replacement applied
    spans: tuple[Span, ...]
    flags: tuple[Flag, ...]
    version: str

    @property
    def held(self) -> bool:
        """Held until a person resolves every flag: never posted as is."""
        return bool(self.flags)

    def as_dict(self) -> dict[str, Any]:
        return {"text": self.text, "spans": [s.as_dict() for s in self.spans],
                "flags": [f.as_dict() for f in self.flags], "held": self.held,
                "engine_version": self.version}  # fmt: skip


def apply(text: str, spans: Sequence[Span], replacements: Mapping[int, str] | None = None) -> str:
    """``text`` with each (non-overlapping, sorted) span replaced; ``replacements`` overrides by index."""
    out: list[str] = []
    at = 0
    for i, span in enumerate(spans):
        out.append(text[at : span.start])
        out.append(replacements.get(i, span.replacement) if replacements else span.replacement)
        at = span.end
    out.append(text[at:])
    return "".join(out)
