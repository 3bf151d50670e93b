"""Signed checkpoints of the audit chains' heads: tamper evidence that covers the END of the log.

The hash chains (``kapstone.audit.services``: one per organization, plus the legacy chain of rows
written before) detect an edited or removed row in the middle, but not the removal of a chain's
newest rows: what remains is still a valid chain. A checkpoint closes that gap. It names the head
row (id and hash) of every chain at a moment, with the root of a Merkle tree over those heads (as
certificate-transparency logs do: SHA-256, RFC 6962 leaf/node prefixes, leaves sorted by chain key),
and is signed with the instance's Ed25519 key (kept in the instance's private storage, not in the
database). Kept outside the server (exported by the admin, mailed, or written by ``kapstone audit
checkpoint`` from a scheduled job), it lets ``kapstone audit verify --checkpoint FILE`` prove that
every row up to each head is still there, unchanged: a deletion of the newest rows of any one
organization's chain, even followed by new appends, no longer verifies, and the report names it.

The signature covers the tree head (size and root), as a transparency log's signed tree head does;
the heads in the file are proved by it. The operator's checkpoint carries every head; the one an
organization's admin downloads carries only that organization's head with its inclusion proof, so
it shows nothing of the other organizations' activity.

Single-head checkpoints of the one global chain (kind ``kapstone.audit_checkpoint/1``, made before
per-organization chains) keep verifying: their head is a legacy row, which no append touches again.
"""

from __future__ import annotations

import base64
import hashlib
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
from django.db.models import Max

from kapstone.audit.models import AuditEvent
from kapstone.audit.services import GENESIS, ChainReport, broken_message, chain_label, verify_chain
from kapstone.core.env import env_str

KIND = "kapstone.audit_checkpoint/2"  # every chain's head and their Merkle root
KIND_V1 = "kapstone.audit_checkpoint/1"  # one head of the one global chain (before issue #18)
KINDS = (KIND, KIND_V1)


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


# --- The Merkle tree over the chains' heads (RFC 6962 shape) -----------------------------------------


def _chain_sort_key(chain: int | None) -> int:
    return -1 if chain is None else chain  # the legacy chain first, then by chain key


def leaf_bytes(head: dict[str, Any]) -> bytes:
    """One head as a leaf: 'chain:id:hash' (chain 'legacy' for the legacy chain)."""
    chain = "legacy" if head["chain"] is None else str(int(head["chain"]))
    return f"{chain}:{int(head['id'])}:{head['hash']}".encode("ascii")


def _leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def _node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def _root(leaves: list[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return _node_hash(_root(leaves[:k]), _root(leaves[k:]))


def merkle_root(heads: list[dict[str, Any]]) -> str:
    """The hex root over heads sorted by chain key (the caller's order does not matter)."""
    ordered = sorted(heads, key=lambda head: _chain_sort_key(head["chain"]))
    return _root([_leaf_hash(leaf_bytes(head)) for head in ordered]).hex()


def inclusion_proof(heads: list[dict[str, Any]], chain: int | None) -> list[str]:
    """The audit path (hex sibling hashes, leaf to root) proving ``chain``'s head is in the root."""
    ordered = sorted(heads, key=lambda head: _chain_sort_key(head["chain"]))
    index = [head["chain"] for head in ordered].index(chain)
    leaves = [_leaf_hash(leaf_bytes(head)) for head in ordered]
    path: list[bytes] = []

    def walk(items: list[bytes], i: int) -> None:
        if len(items) <= 1:
            return
        k = _split(len(items))
        if i < k:
            walk(items[:k], i)
            path.append(_root(items[k:]))
        else:
            walk(items[k:], i - k)
            path.append(_root(items[:k]))

    walk(leaves, index)
    return [node.hex() for node in path]


def verify_inclusion(head: dict[str, Any], index: int, size: int, proof: list[str], root: str) -> bool:
    """RFC 6962 (section 2.1.1) audit-path check of leaf ``index`` of ``size`` leaves."""
    node = _leaf_hash(leaf_bytes(head))
    path = [bytes.fromhex(item) for item in proof]

    def climb(i: int, n: int, nodes: list[bytes]) -> bytes:
        if n <= 1:
            return node
        k = _split(n)
        if i < k:
            return _node_hash(climb(i, k, nodes[:-1]), nodes[-1])
        return _node_hash(nodes[-1], climb(i - k, n - k, nodes[:-1]))

    if index >= size or len(path) != _path_length(index, size):
        return False
    return climb(index, size, path).hex() == root


def _path_length(i: int, n: int) -> int:
    if n <= 1:
        return 0
    k = _split(n)
    return 1 + (_path_length(i, k) if i < k else _path_length(i - k, n - k))


# --- Making and checking checkpoints ------------------------------------------------------------------


def chain_heads() -> list[dict[str, Any]]:
    """The newest row (id, hash) of every chain, sorted by chain key (legacy first)."""
    newest = AuditEvent.objects.values("chain").annotate(head=Max("id")).values_list("head", flat=True)
    rows = AuditEvent.objects.filter(id__in=list(newest)).values("chain", "id", "hash")
    return sorted(
        ({"chain": row["chain"], "id": row["id"], "hash": row["hash"]} for row in rows),
        key=lambda head: _chain_sort_key(head["chain"]),
    )


def make_checkpoint(scope: int | None = None) -> dict[str, Any]:
    """A signed tree head over every chain's head now (``tree_size`` leaves, ``merkle_root``).

    For the operator (``scope`` None) the file carries every head, and ``head_id`` names the newest
    row overall. For one organization's admin (``scope`` = its chain key) it carries that chain's head
    only, with its inclusion proof: the other organizations' heads (their activity) stay out of the
    file, and their tails are covered by the operator's checkpoints. An empty log's head is the
    genesis hash.

    Call it inside the transaction that records the checkpoint (``audit.checkpoint``) and hand the
    file out only after that commits: the commit is durable (an fsync), and it makes every head read
    here durable with it, read rows committed relaxed included (``KAPSTONE_READ_AUDIT_COMMIT``): the
    WAL is one sequence, so flushing a later commit flushes every earlier one.
    """
    heads = chain_heads()
    if scope is None:
        carried = heads
    else:
        index = next((i for i, head in enumerate(heads) if head["chain"] == scope), None)
        if index is None:
            raise CheckpointError(f"{chain_label(scope)} has no rows to checkpoint.")
        carried = [heads[index] | {"index": index, "proof": inclusion_proof(heads, scope)}]
    newest = max(carried, key=lambda head: int(head["id"]), default=None)
    key = signing_key()
    payload = {
        "kind": KIND,
        "site": settings.SITE_URL,
        "scope": "all" if scope is None else scope,
        "head_id": newest["id"] if newest else 0,
        "head_hash": newest["hash"] if newest else GENESIS,
        "tree_size": len(heads),
        "merkle_root": merkle_root(heads),
        "signed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "public_key": _public_b64(key.public_key()),
    }
    signature = key.sign(_canonical(payload))  # the heads are proved by the root, not signed alone
    return {**payload, "heads": carried, "signature": base64.b64encode(signature).decode("ascii")}


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
        payload = {k: v for k, v in checkpoint.items() if k not in ("signature", "heads")}
        if payload.get("kind") not in KINDS:
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
    if payload["kind"] == KIND and not _heads_match_root(payload, checkpoint.get("heads")):
        return "its heads do not match its signed Merkle root"
    return ""


def _heads_match_root(payload: dict[str, Any], heads: object) -> bool:
    """Every head carried is a leaf of the signed tree: all of them for an operator's checkpoint
    (recomputed), or one organization's with its inclusion proof."""
    if not isinstance(heads, list):
        return False
    size, root = int(payload["tree_size"]), str(payload["merkle_root"])
    if payload["scope"] == "all":
        return len(heads) == size and merkle_root(heads) == root
    return len(heads) == 1 and all(
        head["chain"] == payload["scope"]
        and verify_inclusion(head, int(head["index"]), size, list(head["proof"]), root)
        for head in heads
    )


def verify_against(checkpoint: dict[str, Any]) -> CheckpointReport:
    """Every chain verifies AND still holds the checkpoint's head row of each chain, unchanged."""
    try:
        problem = _check_signature(checkpoint)
    except (KeyError, ValueError, TypeError, AttributeError):
        problem = "its heads are malformed"
    if problem:
        return CheckpointReport(False, f"Checkpoint rejected: {problem}.")
    chain = verify_chain()
    if not chain.ok:
        return CheckpointReport(False, broken_message(chain), chain)
    signed_at = checkpoint["signed_at"]
    if checkpoint["kind"] == KIND_V1:
        heads = [{"chain": None, "id": checkpoint["head_id"], "hash": checkpoint["head_hash"]}]
        heads = [head for head in heads if int(head["id"]) != 0]
    else:
        heads = list(checkpoint["heads"])
    if not heads:
        return CheckpointReport(True, "The checkpoint was of an empty log; the chain verifies.", chain)
    missing: list[str] = []
    for head in heads:
        problem = _head_problem(head, signed_at, legacy_kind=checkpoint["kind"] == KIND_V1)
        if problem:
            missing.append(problem)
    if missing:
        return CheckpointReport(False, " ".join(missing), chain)
    head_id = int(checkpoint["head_id"])
    after = AuditEvent.objects.filter(id__gt=head_id).count()
    covered = "every event up to the checkpoint's head" + ("s" if len(heads) > 1 else "")
    if checkpoint.get("scope", "all") != "all":
        covered += f" of {chain_label(int(checkpoint['scope']))}"
    return CheckpointReport(
        True,
        f"Audit chain intact: {chain.checked} events verified in {chain.chains} chain(s), including "
        f"{covered} ({len(heads)} chain(s)), signed {signed_at}; newest head {head_id} ({after} since).",
        chain,
    )


def _head_problem(head: dict[str, Any], signed_at: str, *, legacy_kind: bool) -> str:
    """'' when the head row is present, unchanged and in its chain; else what happened, named."""
    head_id, head_hash = int(head["id"]), str(head["hash"])
    key = None if head["chain"] is None else int(head["chain"])
    label = chain_label(key)
    row = AuditEvent.objects.filter(id=head_id).values("hash", "chain").first()
    in_chain = AuditEvent.objects.all() if legacy_kind else AuditEvent.objects.filter(chain=key)
    if row is None:
        newest = in_chain.order_by("-id").values_list("id", flat=True).first()
        return (
            f"Rows are missing from {label}: the checkpoint of {signed_at} names event {head_id} as "
            f"its head, which no longer exists (the newest rows were deleted; newest left: {newest})."
        )
    if row["hash"] != head_hash or (not legacy_kind and row["chain"] != key):
        return (
            f"Event {head_id} is not the row the checkpoint of {signed_at} signed as the head of "
            f"{label} (rows up to it were deleted or rewritten and the chain rebuilt)."
        )
    return ""


def load(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"{path} cannot be read as a checkpoint: {exc}") from exc
    if not isinstance(value, dict):
        raise CheckpointError(f"{path} is not a checkpoint.")
    return value
