"""The community app's closed vocabularies: one place, so forms, filters and demo data agree."""

from __future__ import annotations

LISTING_KINDS = (
    ("practitioner", "Therapist / practitioner"),
    ("prescriber", "Prescriber"),
    ("clinic", "Clinic"),
    ("program", "Training program"),
)
ROUTES = (
    ("sublingual", "Sublingual (lozenge / troche)"),
    ("im", "Intramuscular (IM)"),
    ("iv", "Intravenous (IV)"),
    ("intranasal_esketamine", "Intranasal esketamine"),
)
MODALITIES = (
    ("ifs", "Internal Family Systems (IFS)"),
    ("somatic", "Somatic experiencing"),
    ("mbct", "Mindfulness-based cognitive therapy"),
    ("emdr", "EMDR"),
    ("act", "Acceptance and commitment therapy"),
    ("psychodynamic", "Psychodynamic"),
    ("cbt", "Cognitive behavioural therapy"),
)
US_STATES = tuple(
    (code, code)
    for code in [
        "AL",
        "AK",
        "AZ",
        "AR",
        "CA",
        "CO",
        "CT",
        "DE",
        "DC",
        "FL",
        "GA",
        "HI",
        "ID",
        "IL",
        "IN",
        "IA",
        "KS",
        "KY",
        "LA",
        "ME",
        "MD",
        "MA",
        "MI",
        "MN",
        "MS",
        "MO",
        "MT",
        "NE",
        "NV",
        "NH",
        "NJ",
        "NM",
        "NY",
        "NC",
        "ND",
        "OH",
        "OK",
        "OR",
        "PA",
        "RI",
        "SC",
        "SD",
        "TN",
        "TX",
        "UT",
        "VT",
        "VA",
        "WA",
        "WV",
        "WI",
        "WY",
    ]
)
ROUTE_CODES = frozenset(code for code, _ in ROUTES)
MODALITY_CODES = frozenset(code for code, _ in MODALITIES)
STATE_CODES = frozenset(code for code, _ in US_STATES)


def encode_set(values: list[str] | tuple[str, ...] | set[str]) -> str:
    """A set of codes stored as ``|a|b|`` so one indexed-free ``LIKE '%|a|%'`` finds it on both
    databases (a JSON ``contains`` lookup is not available on SQLite)."""
    codes = sorted({v.strip() for v in values if v.strip()})
    return f"|{'|'.join(codes)}|" if codes else ""


def decode_set(stored: str) -> list[str]:
    return [code for code in stored.split("|") if code]
