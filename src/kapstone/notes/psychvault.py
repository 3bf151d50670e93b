"""Where the psychotherapy-note key ring comes from, and sealing/opening a note row with it.

The pure cryptography is ``kapstone.notes.sealing``; this module adds Django settings, the key file
in the instance's private storage, the rows, and rotation (see docs/configuration.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction

from kapstone.core.env import env_str
from kapstone.notes.sealing import (
    ENV_KEYS,
    KeyMissing,
    KeyRing,
    Sealed,
    SealingError,
    append_key,
    create_key_file,
    open_sealed,
    parse_ring,
    rewrap,
    seal,
)


class SealableRow(Protocol):
    organization_id: int
    client_id: int
    author_id: int
    created_at: datetime
    key_id: str
    wrapped_key: Any
    ciphertext: Any


def key_file() -> Path:
    return Path(settings.KAPSTONE_PSYCHNOTE_KEY_FILE)


def keys_from_environment() -> bool:
    return bool(env_str(ENV_KEYS))


def load_ring(*, create: bool = False) -> KeyRing:
    """The key ring: the environment variable if set, else the key file (created when ``create``)."""
    text = env_str(ENV_KEYS)
    if text:
        return parse_ring(text, source=f"the {ENV_KEYS} variable")
    path = key_file()
    if not path.exists():
        if not create:
            raise KeyMissing(
                f"No psychotherapy-note key: {path} does not exist and {ENV_KEYS} is not set. "
                "Restore the key file from where you keep it; psychotherapy notes cannot be read without it."
            )
        create_key_file(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise KeyMissing(f"The psychotherapy-note key file {path} cannot be read: {exc.strerror}.") from exc
    return parse_ring(text, source=str(path))


def _context(row: SealableRow) -> dict[str, Any]:
    return {
        "organization_id": row.organization_id,
        "client_id": row.client_id,
        "author_id": row.author_id,
        "created_at": row.created_at,
    }


def seal_into(row: SealableRow, body: str, ring: KeyRing | None = None) -> None:
    """Encrypt ``body`` into the row's key_id / wrapped_key / ciphertext (the row is not saved)."""
    sealed = seal(ring or load_ring(create=True), body, **_context(row))
    row.key_id, row.wrapped_key, row.ciphertext = sealed.key_id, sealed.wrapped_key, sealed.ciphertext


def read_body(row: SealableRow, ring: KeyRing | None = None) -> str:
    """The note's text. Raises ``SealingError`` (a ``KeyMissing`` when the key is absent) with a
    message saying what is wrong; never returns anything but the true text."""
    if not row.key_id or row.ciphertext is None:
        raise SealingError("This psychotherapy note has no encrypted body.")
    sealed = Sealed(row.key_id, bytes(row.wrapped_key), bytes(row.ciphertext))
    return open_sealed(ring or load_ring(), sealed, **_context(row))


@dataclass(frozen=True)
class RotationReport:
    active_key_id: str
    rewrapped: int
    already_current: int
    new_key: bool


def rewrap_all(
    model: Any, ring: KeyRing, *, progress: Callable[[int], None] | None = None
) -> tuple[int, int]:
    """Re-wrap every row's data key under the ring's active key, in small transactions.

    Each row is checked to open (its data key unwrapped and the body verified) before it is written,
    so a rotation never stores something that cannot be read back.
    """
    changed = current = 0
    pks = list(model.objects.exclude(key_id=ring.active_id).values_list("pk", flat=True).order_by("pk"))
    current = model.objects.filter(key_id=ring.active_id).count()
    for start in range(0, len(pks), 200):
        with transaction.atomic():
            for row in model.objects.filter(pk__in=pks[start : start + 200]).order_by("pk"):
                read_body(row, ring)
                fresh = rewrap(ring, Sealed(row.key_id, bytes(row.wrapped_key), bytes(row.ciphertext)))
                updated = model.objects.filter(pk=row.pk, key_id=row.key_id).update(
                    key_id=fresh.key_id, wrapped_key=fresh.wrapped_key
                )
                changed += updated
        if progress:
            progress(changed)
    return changed, current


def rotate(model: Any) -> RotationReport:
    """A new active key (key file only), then every data key re-wrapped under it."""
    if keys_from_environment():
        raise SealingError(
            f"The keys come from {ENV_KEYS}: add a new key there as the LAST entry "
            "(`kapstone psychnotes new-key` prints one), restart, then run `kapstone psychnotes rewrap`."
        )
    path = key_file()
    created = not path.exists()
    if created:
        create_key_file(path)
    else:
        load_ring()  # the current ring must parse before we add to it
        append_key(path)
    ring = load_ring()
    changed, current = rewrap_all(model, ring)
    return RotationReport(ring.active_id, changed, current, True)
