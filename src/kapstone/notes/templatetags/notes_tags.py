"""Template helpers for notes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template

from kapstone.access.policy import allows
from kapstone.clients.models import Client
from kapstone.notes.selectors import note_list

register = template.Library()


@register.filter
def get_section(sections: Mapping[str, str] | None, key: str) -> str:
    return (sections or {}).get(key, "")


@register.inclusion_tag("notes/_client_panel.html", takes_context=True)
def client_notes_panel(context: template.Context, client: Client) -> dict[str, Any]:
    """The latest progress notes on the client page (read through the scoped, audited selector)."""
    actor = context.get("actor")
    if actor is None or not allows(actor, "note.view"):
        return {"show": False}
    return {
        "show": True,
        "client": client,
        "notes": note_list(actor, client)[:5],
        "can_write": allows(actor, "note.write"),
        "can_psychnotes": allows(actor, "psychnote.read"),
    }
