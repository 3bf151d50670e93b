"""Signed checkpoints of the audit chain's head: tamper evidence that covers the END of the log.

The hash chain (``kapstone.audit.services``) detects an edited or removed row in the middle, but
not the removal of the newest rows: what remains is still a valid chain. A checkpoint closes that
gap. It names the head row (id and hash) at a moment and is signed with the instance's Ed25519 key
(kept in the instance's private storage, not in the database). Kept outside the server (exported
by the admin, mailed, or written by ``kapstone audit checkpoint`` from a scheduled job), it lets
``kapstone audit verify --checkpoint FILE`` prove that every row up to that head is still there,
unchanged: a deletion of the newest rows, even followed by new appends, no longer verifies.

The checkpoint signs only the head's id and hash (the chain's shape is untouched), so it works with
whatever the chain becomes as long as rows keep an id and a hash.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

from kapstone.audit.models import AuditEvent
from kapstone.audit.services import GENESIS, ChainReport, verify_chain
from kapstone.core.env import env_str

KIND = "kapstone.audit_checkpoint/1"


class CheckpointError(Exception):
    pass


def key_path() -> Path:
    configured = env_str("KAPSTONE_AUDIT_CHECKPOINT_KEY_FILE")
    return (
        Path(configured) if configured else Path(settings.VAR_DIR) / "keys" / "audit-checkpoint-ed25519.pem"
    )


def _create_key(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
        fh.flush()
        os.fsync(fh.fileno())
    try:
        os.link(temp, path)  # another process may have made it first; theirs wins
    except FileExistsError:
        pass
    finally:
        temp.unlink()


def signing_key(*, create: bool = True) -> Ed25519PrivateKey:
    path = key_path()
    if not path.exists():
        if not create:
            raise CheckpointError(f"No audit checkpoint key at {path}.")
        _create_key(path)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointError(f"{path} is not an Ed25519 private key.")
    return key


def _public_b64(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def _canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def make_checkpoint() -> dict[str, Any]:
    """A signed statement of the chain's head now (an empty log's head is the genesis hash)."""
    head = AuditEvent.objects.order_by("-id").values("id", "hash").first()
    key = signing_key()
    payload = {
        "kind": KIND,
        "site": settings.SITE_URL,
        "head_id": head["id"] if head else 0,
        "head_hash": head["hash"] if head else GENESIS,
        "signed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "public_key": _public_b64(key.public_key()),
    }
    signature = key.sign(_canonical(payload))
    return {**payload, "signature": base64.b64encode(signature).decode("ascii")}


def dumps(checkpoint: dict[str, Any]) -> str:
    return json.dumps(checkpoint, indent=2, sort_keys=True) + "\n"


@dataclass(frozen=True)
class CheckpointReport:
    ok: bool
    reason: str
    chain: ChainReport | None = None


def _check_signature(checkpoint: dict[str, Any]) -> str:
    """'' when the checkpoint is signed by this instance's key; else what is wrong."""
    try:
        payload = {k: v for k, v in checkpoint.items() if k != "signature"}
        if payload.get("kind") != KIND:
            return f"not a Kapstone audit checkpoint (kind {payload.get('kind')!r})"
        signature = base64.b64decode(str(checkpoint["signature"]), validate=True)
        public = Ed25519PublicKey.from_public_bytes(
            base64.b64decode(str(payload["public_key"]), validate=True)
        )
        public.verify(signature, _canonical(payload))
    except (KeyError, ValueError, TypeError, InvalidSignature):
        return "its signature does not verify (the file was altered or is not a checkpoint)"
    if payload["public_key"] != _public_b64(signing_key(create=False).public_key()):
        return "it was signed by another key than this instance's checkpoint key"
    return ""


def verify_against(checkpoint: dict[str, Any]) -> CheckpointReport:
    """The chain verifies AND still holds the checkpoint's head row, unchanged."""
    problem = _check_signature(checkpoint)
    if problem:
        return CheckpointReport(False, f"Checkpoint rejected: {problem}.")
    chain = verify_chain()
    if not chain.ok:
        return CheckpointReport(
            False, f"Audit chain BROKEN at event {chain.first_broken_id}: {chain.reason}.", chain
        )
    head_id, head_hash = int(checkpoint["head_id"]), str(checkpoint["head_hash"])
    if head_id == 0:
        return CheckpointReport(True, "The checkpoint was of an empty log; the chain verifies.", chain)
    row = AuditEvent.objects.filter(id=head_id).values_list("hash", flat=True).first()
    if row is None:
        newest = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
        return CheckpointReport(
            False,
            f"Rows are missing: the checkpoint of {checkpoint['signed_at']} names event {head_id} as the "
            f"head, which no longer exists (the newest rows were deleted; newest left: {newest}).",
            chain,
        )
    if row != head_hash:
        return CheckpointReport(
            False,
            f"Event {head_id} is not the row the checkpoint of {checkpoint['signed_at']} signed "
            "(rows up to it were deleted or rewritten and the chain rebuilt).",
            chain,
        )
    after = AuditEvent.objects.filter(id__gt=head_id).count()
    return CheckpointReport(
        True,
        f"Audit chain intact: {chain.checked} events verified, including every event up to the "
        f"checkpoint's head {head_id} of {checkpoint['signed_at']} ({after} since).",
        chain,
    )


def load(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"{path} cannot be read as a checkpoint: {exc}") from exc
    if not isinstance(value, dict):
        raise CheckpointError(f"{path} is not a checkpoint.")
    return value
