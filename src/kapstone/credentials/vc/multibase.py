"""Multibase and multicodec, the few parts Data Integrity needs: base58btc ('z') for proof values
and Ed25519 public keys, base64url without padding ('u') for status lists. Pure Python."""

from __future__ import annotations

import base64

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {c: i for i, c in enumerate(ALPHABET)}
ED25519_PUB = b"\xed\x01"  # multicodec ed25519-pub, as a varint


def b58encode(data: bytes) -> str:
    zeros = len(data) - len(data.lstrip(b"\0"))
    number = int.from_bytes(data, "big")
    out = []
    while number:
        number, rest = divmod(number, 58)
        out.append(ALPHABET[rest])
    return "1" * zeros + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    number = 0
    for char in text:
        if char not in _INDEX:
            raise ValueError(f"not base58btc: {char!r}")
        number = number * 58 + _INDEX[char]
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def encode_z(data: bytes) -> str:
    return "z" + b58encode(data)


def decode_z(text: str) -> bytes:
    if not text.startswith("z"):
        raise ValueError("expected a base58btc multibase value (starting with 'z')")
    return b58decode(text[1:])


def encode_u(data: bytes) -> str:
    return "u" + base64.urlsafe_b64encode(data).decode().rstrip("=")


def decode_u(text: str) -> bytes:
    if not text.startswith("u"):
        raise ValueError("expected a base64url multibase value (starting with 'u')")
    body = text[1:]
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))


def ed25519_public_multibase(raw: bytes) -> str:
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return encode_z(ED25519_PUB + raw)


def ed25519_public_raw(multibase: str) -> bytes:
    data = decode_z(multibase)
    if not data.startswith(ED25519_PUB) or len(data) != 34:
        raise ValueError("not an Ed25519 public key (multicodec 0xed01, 32 bytes)")
    return data[2:]
