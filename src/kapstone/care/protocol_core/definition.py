"""Dosing-protocol definitions: load a TOML file, validate it strictly, and build a ``Protocol``.

The file format is documented in ``kapstone/care/protocols/README.md``. Everything is validated at
load time (unknown keys, types, provenance of every number, ranges, references), so the checks never
meet a malformed protocol. The seams: ``protocol.py`` holds the parsed protocol (frozen dataclasses
and vocabularies), ``parser.py`` validates each section into it. Pure Python, no Django.
"""

from __future__ import annotations

from pathlib import Path

from ._toml import ProtocolError, loads_toml, read_toml
from .parser import parse_protocol
from .protocol import ALERT_SEVERITIES, LIMIT_LEVELS, OPS, PRODUCTS, ROUTES, VITALS, Ceiling, Protocol

__all__ = [
    "ALERT_SEVERITIES",
    "LIMIT_LEVELS",
    "OPS",
    "PRODUCTS",
    "ROUTES",
    "VITALS",
    "Ceiling",
    "Protocol",
    "ProtocolError",
    "load_protocol",
    "parse_protocol",
    "parse_protocol_text",
]


def load_protocol(path: Path | str) -> Protocol:
    """Read and validate one protocol file. Raises ``ProtocolError``."""
    data, source = read_toml(path)
    return parse_protocol(data, source)


def parse_protocol_text(text: str, source: str = "<protocol>") -> Protocol:
    """Parse and validate protocol TOML held as text (e.g. a clinic's stored copy). Raises
    ``ProtocolError`` naming the line (syntax) or the field (meaning), exactly as for a file."""
    return parse_protocol(loads_toml(text, source), source)
