"""W3C Bitstring Status List v1.0: a GZIP-compressed bitstring of at least 131,072 entries,
multibase base64url-encoded, published as its own credential. Each issued credential points at
one random index. Kapstone uses one list with ``statusPurpose: "message"`` and 2-bit entries
(0 valid, 1 suspended, 2 revoked; see schemas/README.md for why one entry). Pure Python."""

from __future__ import annotations

import gzip
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from .multibase import decode_u, encode_u

MIN_ENTRIES = 131_072  # the spec's minimum: herd privacy
STATUS_SIZE = 2
VALID, SUSPENDED, REVOKED = 0, 1, 2
MESSAGES = ({"status": "0x0", "message": "valid"}, {"status": "0x1", "message": "suspended"},
            {"status": "0x2", "message": "revoked"})  # fmt: skip
NAMES = {VALID: "valid", SUSPENDED: "suspended", REVOKED: "revoked"}


class StatusListError(ValueError):
    pass


def random_index(used: Iterable[int], *, entries: int = MIN_ENTRIES) -> int:
    """An index no other credential on the list holds, chosen at random (not the next one)."""
    taken = set(used)
    if len(taken) >= entries:
        raise StatusListError("the status list is full")
    while True:
        index = secrets.randbelow(entries)
        if index not in taken:
            return index


def encode(statuses: Mapping[int, int], *, entries: int = MIN_ENTRIES) -> str:
    """The ``encodedList`` for these non-zero statuses (index -> value)."""
    bits = bytearray(entries * STATUS_SIZE // 8)
    for index, value in statuses.items():
        if not 0 <= index < entries or not 0 <= value < 2**STATUS_SIZE:
            raise StatusListError(f"status {value} at index {index} does not fit the list")
        for bit in range(STATUS_SIZE):
            if value >> (STATUS_SIZE - 1 - bit) & 1:
                position = index * STATUS_SIZE + bit  # the first index is the left-most bit
                bits[position // 8] |= 0x80 >> (position % 8)
    return encode_u(gzip.compress(bytes(bits), mtime=0))


def read(encoded_list: str, index: int, *, status_size: int = STATUS_SIZE) -> int:
    try:
        bits = gzip.decompress(decode_u(encoded_list))
    except (OSError, ValueError) as exc:
        raise StatusListError("the status list is not GZIP-compressed base64url") from exc
    entries = len(bits) * 8 // status_size
    if entries < MIN_ENTRIES:
        raise StatusListError(f"the status list has {entries} entries; at least {MIN_ENTRIES} are required")
    if not 0 <= index < entries:
        raise StatusListError(f"index {index} is outside the status list")
    value = 0
    for bit in range(status_size):
        position = index * status_size + bit
        value = value << 1 | (bits[position // 8] >> (7 - position % 8) & 1)
    return value


def list_credential(
    *, list_url: str, issuer: dict[str, Any], encoded_list: str, valid_from: str
) -> dict[str, Any]:
    """The unsigned status list credential."""
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer["id"],
        "validFrom": valid_from,
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "message",
            "statusSize": STATUS_SIZE,
            "statusMessage": list(MESSAGES),
            "encodedList": encoded_list,
        },
    }


def entry(*, list_url: str, index: int) -> dict[str, Any]:
    """The ``credentialStatus`` of a credential at ``index`` on the list."""
    return {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "message",
        "statusListIndex": str(index),
        "statusSize": STATUS_SIZE,
        "statusMessage": list(MESSAGES),
        "statusListCredential": list_url,
    }
