"""Where the access checks write their audit rows.

The audit app stands above access (its page is guarded by access's decorators), so access cannot
import the audit writer; ``AuditConfig.ready()`` registers it here when Django starts. Fail closed:
until a writer is registered every audited check raises instead of letting a read or a denial go
unrecorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured

from kapstone.core.actor import Actor


class Writer(Protocol):
    def __call__(
        self,
        actor: Actor,
        action: str,
        *,
        denied: bool,
        object_type: str,
        object_id: object,
        client_id: int | None,
        detail: Mapping[str, Any] | None,
    ) -> object: ...


_writers: list[Writer] = []


def register(writer: Writer) -> None:
    """Install the one writer (called again, e.g. by a second ``ready()``, it replaces it)."""
    _writers[:] = [writer]


def write(
    actor: Actor,
    action: str,
    *,
    denied: bool = False,
    object_type: str = "",
    object_id: object = "",
    client_id: int | None = None,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Append one audit row for an access check (a read, or a denial when ``denied``)."""
    if not _writers:
        raise ImproperlyConfigured("no audit writer registered: is kapstone.audit installed?")
    _writers[0](actor, action, denied=denied, object_type=object_type, object_id=object_id,
                client_id=client_id, detail=detail)  # fmt: skip
