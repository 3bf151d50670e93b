"""Small helpers shared by the community services and selectors."""

from __future__ import annotations

from kapstone.core.actor import Actor
from kapstone.core.contract import NotYours


def member_ids(actor: Actor) -> tuple[int, int]:
    """The acting user's and their active organization's ids; without both there is nothing to reach."""
    if actor.user_id is None or actor.organization_id is None:
        raise NotYours
    return actor.user_id, actor.organization_id


def as_pk(value: object) -> int:
    """A primary key from a URL or form value; anything else matches no row (0)."""
    text = str(value)
    return int(text) if text.isdigit() and len(text) < 19 else 0
