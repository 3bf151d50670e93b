"""The fixed mix of public directory searches the benches run (the filters people combine: state,
route, modality, telehealth, accepting, a free-text word, a later page, none). Django-free, so the
HTTP bench's driver can build its query strings without setting Django up."""

from __future__ import annotations

from urllib.parse import urlencode

QUERIES: tuple[dict[str, str], ...] = (
    {"state": "CO"},
    {"route": "im", "modality": "ifs", "state": "CA"},
    {"route": "sublingual", "telehealth": "yes", "accepting": "yes"},
    {"modality": "emdr"},
    {"q": "ember"},
    {"q": "fictional", "state": "NY", "route": "iv"},
    {"telehealth": "yes", "page": "3"},
    {},
)


def query_strings() -> list[str]:
    """Each search as a query string (the empty search as ``page=1``, the same page)."""
    return [urlencode(q) or "page=1" for q in QUERIES]
