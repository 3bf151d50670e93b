"""Write audit events. Call inside the transaction of the change being audited."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from kapstone.audit.models import AuditEvent, Outcome
from kapstone.core.actor import Actor
from kapstone.core.middleware import serving_read

GENESIS = "0" * 64
HASHED_FIELDS = (
    "at", "actor_id", "actor_email", "organization_id", "role", "action", "object_type", "object_id",
    "client_id", "outcome", "request_id", "source_ip", "detail",
)  # fmt: skip


def _canonical(values: Mapping[str, Any]) -> bytes:
    def default(value: object) -> str:
        if hasattr(value, "isoformat"):
            return str(value.isoformat())
        return str(value)

    return json.dumps(values, sort_keys=True, separators=(",", ":"), default=default).encode()


def compute_hash(prev_hash: str, values: Mapping[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + _canonical(values)).hexdigest()


AUDIT_LOCK_CLASS = 7261001  # the advisory-lock namespace of the audit chains (two-int form)


def chain_key(organization_id: int | None) -> int:
    """The chain a new row links into: its organization's, or chain 0 for events without one."""
    return organization_id if organization_id is not None else 0


def _lock_key(chain: int) -> int:
    # pg_advisory_xact_lock(int4, int4): fold a bigint chain key into int4 (two organizations 2^32
    # apart would share a lock: slower, never wrong).
    return (chain + 2**31) % 2**32 - 2**31


def _serialize_writers(chain: int, *, relaxed: bool = False) -> None:
    # SQLite's IMMEDIATE transactions already hold the one write lock; PostgreSQL needs an explicit
    # lock so two concurrent appends to one chain cannot fork it. One lock per chain: appends for
    # different organizations never wait on each other (the single-int form of the old global lock,
    # pg_advisory_xact_lock(7261001), lives in another key space and is no longer taken).
    # A relaxed read's transaction sets synchronous_commit=off for itself (SET LOCAL, as set_config's
    # third argument says) in the same statement: no round trip more.
    if connection.vendor == "postgresql":
        lock = "pg_advisory_xact_lock(%s, %s)"
        sql = f"SELECT set_config('synchronous_commit', 'off', true), {lock}" if relaxed else f"SELECT {lock}"
        with connection.cursor() as cursor:
            cursor.execute(sql, [AUDIT_LOCK_CLASS, _lock_key(chain)])


def _relaxed_commit(read: bool, outcome: str) -> bool:
    """Whether this row's transaction may commit without waiting for the disk
    (``KAPSTONE_READ_AUDIT_COMMIT=relaxed``): a successful read's row (``read``, or any row a GET
    writes) in a transaction of its own. Inside a caller's transaction the row commits with what the
    caller writes, durably, as every write does; a denial is the row an intrusion leaves, and rare."""
    return (
        settings.KAPSTONE_READ_AUDIT_COMMIT == "relaxed"
        and (read or serving_read.get())
        and str(outcome) == Outcome.SUCCESS
        and not connection.in_atomic_block
    )


# What an app adds to the detail of every row about a client written while the actor holds an
# emergency (break-glass) grant: the grant's id (kapstone.clients.breakglass registers it). Asked only
# when the actor's session holds a grant, so other rows cost nothing more.
EmergencyDetail = Callable[[Actor, int], Mapping[str, Any]]
_EMERGENCY_DETAIL: list[EmergencyDetail] = []


def register_emergency_detail(source: EmergencyDetail) -> EmergencyDetail:
    if source not in _EMERGENCY_DETAIL:
        _EMERGENCY_DETAIL.append(source)
    return source


def record(
    actor: Actor,
    action: str,
    *,
    outcome: str = Outcome.SUCCESS,
    object_type: str = "",
    object_id: object = "",
    client_id: int | None = None,
    detail: Mapping[str, Any] | None = None,
    actor_email: str = "",
    read: bool = False,
) -> AuditEvent:
    """Append one event to the chain. Joins the caller's transaction when there is one.

    ``read``: the row records a read (who viewed what), nothing else; with
    ``KAPSTONE_READ_AUDIT_COMMIT=relaxed`` its own transaction commits without an fsync, as does
    every successful row a GET request commits on its own (see ``_relaxed_commit``)."""
    user = actor.user
    values: dict[str, Any] = {
        "at": timezone.now(),
        "actor_id": actor.user_id,
        "actor_email": actor_email or (user.email if user is not None else ""),
        "organization_id": actor.organization_id,
        "role": actor.role_label,
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id) if object_id != "" else "",
        "client_id": client_id,
        "outcome": str(outcome),
        "request_id": actor.request_id,
        "source_ip": actor.source_ip,
        "detail": dict(detail or {}),
    }
    if client_id is not None and actor.break_glass_until > time.time():
        for source in _EMERGENCY_DETAIL:
            values["detail"].update(source(actor, client_id))
    if actor.upstream_request_id:  # beside our own id, never instead of it (hashed with the detail)
        values["detail"]["upstream_request_id"] = actor.upstream_request_id
    # No savepoint of its own inside the caller's transaction: an audit row that cannot be written
    # fails the whole change with it (and saves two statements per audited write).
    chain = chain_key(actor.organization_id)
    relaxed = _relaxed_commit(read, outcome)
    relax_sqlite = getattr(connection, "relax_next_transaction", None)  # kapstone.core.sqlite_backend
    if relaxed and relax_sqlite is not None:
        relax_sqlite()  # set before BEGIN (SQLite refuses it inside a transaction)
    with transaction.atomic(savepoint=False):
        _serialize_writers(chain, relaxed=relaxed)
        # The chain's newest row, read after the lock is held (index audit_chain_id, backwards).
        prev = (
            AuditEvent.objects.filter(chain=chain).order_by("-id").values_list("hash", flat=True).first()
            or GENESIS
        )
        values["chain"] = chain
        return AuditEvent.objects.create(prev_hash=prev, hash=compute_hash(prev, values), **values)


def chain_label(chain: int | None) -> str:
    """How a report names a chain."""
    if chain is None:
        return "the legacy chain (rows written before per-organization chains)"
    if chain == 0:
        return "the chain of events without an organization"
    return f"organization {chain}'s chain"


@dataclass(frozen=True)
class ChainBreak:
    chain: int | None  # None: the legacy chain
    event_id: int
    reason: str

    @property
    def label(self) -> str:
        return chain_label(self.chain)


@dataclass(frozen=True)
class ChainReport:
    """``checked``: rows verified before the first broken one (every row when intact).
    ``breaks``: the first broken row of each broken chain, in id order."""

    checked: int
    first_broken_id: int | None
    reason: str
    chains: int = 0
    breaks: tuple[ChainBreak, ...] = ()

    @property
    def ok(self) -> bool:
        return self.first_broken_id is None

    @property
    def broken_chain(self) -> str:
        """The first broken chain's name ('' when intact)."""
        return self.breaks[0].label if self.breaks else ""


def _row_values(event: AuditEvent) -> dict[str, Any]:
    # A legacy row (chain NULL) was hashed without the chain, exactly as before migration 0003;
    # a per-organization row hashes its chain too, so it cannot be re-filed into another chain.
    values = {name: getattr(event, name) for name in HASHED_FIELDS}
    if event.chain is not None:
        values["chain"] = event.chain
    return values


def _check_row(event: AuditEvent, prev: str) -> str:
    """'' when the row links to ``prev`` and matches its hash; else what is wrong."""
    if event.prev_hash != prev:
        return "link to the previous row is broken (a row was removed or edited)"
    if compute_hash(prev, _row_values(event)) != event.hash:
        return "row content does not match its hash (the row was edited)"
    if event.chain is not None and event.chain != chain_key(event.organization_id):
        return "row is filed in another organization's chain than its own"
    return ""


def verify_chain(events: Iterator[AuditEvent] | None = None) -> ChainReport:
    """Walk every chain (the legacy one and each organization's) from its first row, in one pass in
    id order; report the first broken row of each broken chain."""
    rows = events if events is not None else AuditEvent.objects.order_by("id").iterator(chunk_size=2000)
    heads: dict[int | None, str] = {}
    breaks: list[ChainBreak] = []
    broken: set[int | None] = set()
    checked = 0
    for event in rows:
        if event.chain in broken:
            continue
        problem = _check_row(event, heads.get(event.chain, GENESIS))
        if problem:
            breaks.append(ChainBreak(event.chain, event.pk, problem))
            broken.add(event.chain)
            continue
        heads[event.chain] = event.hash
        if not breaks:
            checked += 1
    chains = len(heads.keys() | broken)
    if breaks:
        return ChainReport(checked, breaks[0].event_id, breaks[0].reason, chains, tuple(breaks))
    return ChainReport(checked, None, "chain intact", chains)


def broken_message(report: ChainReport) -> str:
    """'Audit chain BROKEN at event N: why, in which chain.' (and the other broken chains, if any)."""
    first, *others = report.breaks
    text = f"Audit chain BROKEN at event {first.event_id}: {first.reason}, in {first.label}."
    if others:
        text += " Also broken: " + "; ".join(f"{b.label} at event {b.event_id}" for b in others) + "."
    return text


def write_access(
    actor: Actor,
    action: str,
    *,
    denied: bool,
    object_type: str,
    object_id: object,
    client_id: int | None,
    detail: Mapping[str, Any] | None,
) -> AuditEvent:
    """The access checks' writer (registered in ``AuditConfig.ready``): a read, or a denial."""
    outcome = Outcome.DENIED if denied else Outcome.SUCCESS
    return record(actor, action, outcome=outcome, object_type=object_type, object_id=object_id,
                  client_id=client_id, detail=detail, read=True)  # fmt: skip
