"""``scoped_get``: the one way to find an object for an actor, audited, with "not yours" a 404.

Every app's lookups of a row that belongs to somebody (a client's record, a trainee's journal, a
member's post) go through here, so each denial writes its audit row the same way and answers the
same ``NotYours`` (a 404) as a row that does not exist.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet

from kapstone.access.trail import write
from kapstone.core.actor import Actor
from kapstone.core.contract import NotYours

M = TypeVar("M", bound=Model)


def _as_pk(pk: object) -> int | None:
    text = str(pk)
    return int(text) if text.isdigit() and len(text) < 19 else None


def scoped_get(
    actor: Actor,
    scoped: QuerySet[M],
    pk: object,
    *,
    action: str,
    object_type: str,
    client_of: str = "",
    audit_read: bool = True,
    detail: dict[str, Any] | None = None,
) -> M:
    """The row ``pk`` of ``scoped`` (a queryset already narrowed to what the actor may reach).

    A row outside ``scoped``, a missing row and a malformed id all raise ``NotYours`` after a DENIED
    audit row (with the client's id when ``client_of`` names the row's client field and the row
    exists). A found row is audited as a read unless ``audit_read`` is False (a write's own audit
    row then covers it).
    """
    key = _as_pk(pk)
    obj = scoped.filter(pk=key).first() if key is not None else None
    if obj is None:
        client_id = None
        if client_of and key is not None:
            client_id = (
                scoped.model._default_manager.filter(pk=key).values_list(f"{client_of}_id", flat=True).first()
            )
        write(actor, action, denied=True, object_type=object_type,
              object_id=str(pk)[:64], client_id=client_id, detail=detail)  # fmt: skip
        raise NotYours
    if audit_read:
        client_id = getattr(obj, f"{client_of}_id") if client_of else None
        write(actor, action, object_type=object_type, object_id=obj.pk, client_id=client_id, detail=detail)
    return obj


def deny(
    actor: Actor, action: str, *, object_type: str = "", object_id: object = "", client_id: int | None = None
) -> NotYours:
    """Audit a service's refusal of an action the actor may not take, and return the ``NotYours`` to
    raise: the same 404 a view's own denial gives, never a bare PermissionError (a 500 elsewhere)."""
    write(actor, action, denied=True, object_type=object_type,
          object_id=str(object_id)[:64], client_id=client_id)  # fmt: skip
    return NotYours()
