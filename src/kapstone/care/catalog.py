"""Protocols as stored rows: the shipped templates installed per organization, clinic versions, and
the parsed ``Protocol`` for a stored version (parsed by the pure core, cached by content hash)."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from pathlib import Path

from kapstone.care.protocol_core import Protocol, default_registry, parse_protocol_text
from kapstone.care.protocol_core._toml import version_key


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@functools.lru_cache(maxsize=64)
def _parse(digest: str, text: str, source: str) -> Protocol:
    protocol = parse_protocol_text(text, source)
    if protocol.ceiling is None:
        # A copy stored before protocols carried a [ceiling]: the shipped template of the same id
        # lends its ceiling. A clinic protocol of its own id gets none, and its doses fail closed.
        shipped = next((p for p in default_registry().all() if p.id == protocol.id), None)
        if shipped is not None and shipped.ceiling is not None:
            protocol = dataclasses.replace(protocol, ceiling=shipped.ceiling)
    return protocol


def parse_stored(text: str, source: str) -> Protocol:
    """The pure core's ``Protocol`` for stored TOML text (raises ``ProtocolError``)."""
    return _parse(sha256(text), text, source)


def parse_new(text: str, source: str) -> Protocol:
    """A protocol text a prescriber is saving, parsed as is: no ceiling is lent to it."""
    return parse_protocol_text(text, source)


def shipped_templates() -> list[tuple[Protocol, str]]:
    """Every shipped template with its file text, in id and version order."""
    return [(p, Path(p.path).read_text(encoding="utf-8")) for p in default_registry().all()]


def is_higher(version: str, than: str) -> bool:
    return version_key(version) > version_key(than)


def version_key_of(version: str) -> tuple[int, ...]:
    return version_key(version)
