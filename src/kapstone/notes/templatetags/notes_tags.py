"""Template helpers for notes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

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


@register.simple_tag
def cosign_rows(notes: list[Any]) -> SafeString:
    """The co-sign queue's list items in one pass (a supervisor's queue is up to 100 notes; node by
    node through the template engine it cost most of the page). Same markup, escaped by format_html."""
    return format_html_join(
        "\n",
        '  <li><a href="{}"><strong>{}</strong> — {} note by {}</a>\n'
        '    <span class="muted">signed {} UTC</span></li>',
        (
            (
                note.detail_url,
                note.client.display_name,
                note.template_id.upper(),
                note.author.full_name,
                f"{(at := timezone.localtime(note.signed_at)).day} {at:%b %Y %H:%M}",
            )
            for note in notes
        ),
    )
