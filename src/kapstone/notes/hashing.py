"""Content hashes of signed notes and addenda: SHA-256 of a canonical JSON serialization.

Canonical: keys sorted, no insignificant whitespace, UTF-8, timestamps in UTC ISO 8601 with
microseconds, ids as integers (or null). The serialization names its own kind and version
("kapstone.progress_note/1"), so a future change of the recipe can verify old rows the old way.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

NOTE_KIND = "kapstone.progress_note/1"
ADDENDUM_KIND = "kapstone.addendum/1"


def _instant(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("a signed time must be timezone-aware")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(values: Mapping[str, Any]) -> bytes:
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def note_content(
    *,
    note_id: int,
    organization_id: int,
    client_id: int,
    session_id: int | None,
    template_id: str,
    template_version: str,
    author_id: int,
    signed_by_id: int,
    signed_at: datetime,
    sections: Mapping[str, str],
) -> dict[str, Any]:
    return {
        "kind": NOTE_KIND,
        "note_id": note_id,
        "organization_id": organization_id,
        "client_id": client_id,
        "session_id": session_id,
        "template": {"id": template_id, "version": template_version},
        "author_id": author_id,
        "signed_by_id": signed_by_id,
        "signed_at": _instant(signed_at),
        "sections": {str(k): str(v) for k, v in sections.items()},
    }


def note_hash(**fields: Any) -> str:
    return hashlib.sha256(canonical(note_content(**fields))).hexdigest()


def addendum_hash(*, note_id: int, note_hash: str, author_id: int, text: str, created_at: datetime) -> str:
    values = {
        "kind": ADDENDUM_KIND,
        "note_id": note_id,
        "note_hash": note_hash,
        "author_id": author_id,
        "text": text,
        "created_at": _instant(created_at),
    }
    return hashlib.sha256(canonical(values)).hexdigest()
