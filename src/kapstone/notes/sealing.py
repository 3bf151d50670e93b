"""Envelope encryption of psychotherapy-note bodies (T23; 45 CFR 164.312(a)(2)(iv)).

Each note body is encrypted with its own random 256-bit data key (AES-256-GCM, a fresh 96-bit nonce,
the note's organization, client, author and creation time as associated data, so a ciphertext
cannot be moved to another row unnoticed). The data key is itself encrypted ("wrapped") with a
key-encryption key (KEK) that never enters the database: it comes from ``KAPSTONE_PSYCHNOTE_KEYS``
(or ``KAPSTONE_PSYCHNOTE_KEYS_FILE``), else from the key file in the instance's private storage
(``KAPSTONE_PSYCHNOTE_KEY_FILE``, default ``var/keys/psychnote-keys``, mode 0600), created with one
key the first time a note is written.

A key ring is a list of ``<key id> <urlsafe-base64 32 bytes>`` entries, one per line (or
comma-separated in the variable); the LAST one is the active key that wraps new data keys. Older
keys stay so older rows, and backups taken before a rotation, still open. Rotation adds a key and
re-wraps every data key under it (``kapstone psychnotes rotate-key``); see docs/configuration.md.

Only the ``cryptography`` package's AEAD is used; nothing here is home-made cryptography.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT = b"\x01"  # first byte of every sealed blob: the recipe's version
NONCE_BYTES = 12
KEY_BYTES = 32
DEK_CONTEXT = b"kapstone.psychnote.dek/1|"
BODY_CONTEXT = "kapstone.psychnote.body/1"
ENV_KEYS = "KAPSTONE_PSYCHNOTE_KEYS"


class SealingError(Exception):
    """A psychotherapy note cannot be sealed or opened; the message says what to do."""


class KeyMissing(SealingError):
    pass


class Tampered(SealingError):
    pass


@dataclass(frozen=True)
class KeyRing:
    keys: dict[str, bytes]
    active_id: str
    source: str  # where the ring came from, for messages (never the key itself)

    def key(self, key_id: str) -> bytes:
        try:
            return self.keys[key_id]
        except KeyError:
            raise KeyMissing(
                f"This psychotherapy note is encrypted under key {key_id!r}, which is not in the key "
                f"ring ({self.source}). Restore the key file (or {ENV_KEYS}) that holds {key_id!r}; "
                "without it the note cannot be read."
            ) from None


@dataclass(frozen=True)
class Sealed:
    key_id: str
    wrapped_key: bytes
    ciphertext: bytes


def new_key_line(now: datetime | None = None) -> str:
    """A fresh key entry: an id naming its creation time plus randomness, and 32 random bytes."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d%H%M%S")
    key_id = f"k{stamp}-{secrets.token_hex(3)}"
    return f"{key_id} {base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode('ascii')}"


def parse_ring(text: str, *, source: str) -> KeyRing:
    keys: dict[str, bytes] = {}
    order: list[str] = []
    entries = [part.strip() for line in text.splitlines() for part in line.split(",")]
    for number, entry in enumerate(entries, start=1):
        if not entry or entry.startswith("#"):
            continue
        parts = entry.replace(":", " ").split()
        if len(parts) != 2:
            raise SealingError(f"{source}: entry {number} is not '<key id> <base64 key>'.")
        key_id, encoded = parts
        try:
            raw = base64.urlsafe_b64decode(encoded.encode("ascii"))
        except (binascii.Error, ValueError, UnicodeEncodeError):
            raise SealingError(f"{source}: key {key_id!r} is not valid base64.") from None
        if len(raw) != KEY_BYTES:
            raise SealingError(f"{source}: key {key_id!r} must be {KEY_BYTES} bytes, not {len(raw)}.")
        if key_id in keys:
            raise SealingError(f"{source}: key id {key_id!r} appears twice.")
        keys[key_id] = raw
        order.append(key_id)
    if not order:
        raise SealingError(f"{source} holds no key.")
    return KeyRing(keys, order[-1], source)


def create_key_file(path: Path) -> None:
    """Write a new key file holding one key, atomically and only if none exists (mode 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("# Kapstone psychotherapy-note keys. The last line is the active key. Keep a copy\n")
        fh.write("# apart from the database and its backups: without it the notes cannot be read.\n")
        fh.write(new_key_line() + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    try:
        os.link(temp, path)  # fails if another process created the file first; theirs wins
    except FileExistsError:
        pass
    finally:
        temp.unlink()


def append_key(path: Path) -> str:
    """Add a new active key to the key file; returns its id."""
    line = new_key_line()
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return line.split()[0]


def _aad(*, organization_id: int, client_id: int, author_id: int, created_at: datetime) -> bytes:
    instant = created_at.astimezone(UTC).isoformat(timespec="microseconds")
    return f"{BODY_CONTEXT}|{organization_id}|{client_id}|{author_id}|{instant}".encode()


def _wrap(ring: KeyRing, dek: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    key_id = ring.active_id
    return FORMAT + nonce + AESGCM(ring.key(key_id)).encrypt(nonce, dek, DEK_CONTEXT + key_id.encode())


def _unwrap(ring: KeyRing, key_id: str, wrapped: bytes) -> bytes:
    kek = ring.key(key_id)
    if wrapped[:1] != FORMAT:
        raise Tampered("The note's wrapped data key has an unknown format.")
    nonce, body = wrapped[1 : 1 + NONCE_BYTES], wrapped[1 + NONCE_BYTES :]
    try:
        return AESGCM(kek).decrypt(nonce, body, DEK_CONTEXT + key_id.encode())
    except InvalidTag:
        raise Tampered(
            f"The note's data key does not open under key {key_id!r}: "
            "the key is wrong or the row was altered."
        ) from None


def seal(ring: KeyRing, plaintext: str, **context: object) -> Sealed:
    dek = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(dek).encrypt(nonce, plaintext.encode("utf-8"), _aad(**context))  # type: ignore[arg-type]
    return Sealed(ring.active_id, _wrap(ring, dek), FORMAT + nonce + ciphertext)


def open_sealed(ring: KeyRing, sealed: Sealed, **context: object) -> str:
    dek = _unwrap(ring, sealed.key_id, bytes(sealed.wrapped_key))
    blob = bytes(sealed.ciphertext)
    if blob[:1] != FORMAT:
        raise Tampered("The note's ciphertext has an unknown format.")
    nonce, body = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
    try:
        return AESGCM(dek).decrypt(nonce, body, _aad(**context)).decode("utf-8")  # type: ignore[arg-type]
    except InvalidTag:
        raise Tampered(
            "The psychotherapy note's ciphertext does not verify: it was altered or moved from another row."
        ) from None


def rewrap(ring: KeyRing, sealed: Sealed) -> Sealed:
    """The same ciphertext, its data key wrapped under the ring's active key."""
    if sealed.key_id == ring.active_id:
        return sealed
    dek = _unwrap(ring, sealed.key_id, bytes(sealed.wrapped_key))
    return Sealed(ring.active_id, _wrap(ring, dek), bytes(sealed.ciphertext))
