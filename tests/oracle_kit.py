"""The access oracle's vocabulary, shared by tests/test_access_oracle.py and the capability apps'
rows in tests/oracle_rows/: personas, a row, and the usual expectation builders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

PERSONAS = ("anon", "avery", "theo", "tamsin", "priya", "sam", "toby", "olive", "rowan_portal")
STAFF_IN_A = ("avery", "theo", "tamsin", "priya", "sam", "toby")
CARE_TEAM_OF_ROWAN = ("theo", "priya", "sam", "toby")


@dataclass(frozen=True)
class Row:
    expect: dict[str, int]
    kwargs: Callable[[Any], dict[str, Any]] = field(default=lambda w: {})
    # Namespaces whose views declare access their own way (the JSON API checks in its auth layer).
    query: str = ""

    def status_for(self, persona: str) -> int:
        return self.expect.get(persona, self.expect["*"])


def only(allowed: tuple[str, ...], ok: int = 200, anon: int = 302) -> dict[str, int]:
    """Allowed personas get ``ok``; anonymous people are sent to sign in; everyone else gets 404."""
    return {"*": 404, "anon": anon, **dict.fromkeys(allowed, ok)}
