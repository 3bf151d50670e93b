"""Write audit events. Call inside the transaction of the change being audited."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from kapstone.audit.models import AuditEvent, Outcome
from kapstone.core.actor import Actor

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


def _serialize_writers() -> None:
    # SQLite's IMMEDIATE transactions already hold the one write lock; PostgreSQL needs an explicit
    # lock so two concurrent appends cannot fork the chain.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(7261001)")


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
) -> AuditEvent:
    """Append one event to the chain. Joins the caller's transaction when there is one."""
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
    with transaction.atomic(savepoint=False):
        _serialize_writers()
        prev = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS
        return AuditEvent.objects.create(prev_hash=prev, hash=compute_hash(prev, values), **values)


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_broken_id: int | None
    reason: str

    @property
    def ok(self) -> bool:
        return self.first_broken_id is None


def _row_values(event: AuditEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in HASHED_FIELDS}


def verify_chain(events: Iterator[AuditEvent] | None = None) -> ChainReport:
    """Walk the chain from the first row; report the first row whose link or content is wrong."""
    rows = events if events is not None else AuditEvent.objects.order_by("id").iterator(chunk_size=2000)
    prev = GENESIS
    checked = 0
    for event in rows:
        if event.prev_hash != prev:
            return ChainReport(
                checked, event.pk, "link to the previous row is broken (a row was removed or edited)"
            )
        if compute_hash(prev, _row_values(event)) != event.hash:
            return ChainReport(checked, event.pk, "row content does not match its hash (the row was edited)")
        prev = event.hash
        checked += 1
    return ChainReport(checked, None, "chain intact")


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
                  client_id=client_id, detail=detail)  # fmt: skip
