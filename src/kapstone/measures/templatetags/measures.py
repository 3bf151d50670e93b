"""Template helpers for measurement pages."""

from __future__ import annotations

from django import template

from kapstone.access.policy import allows
from kapstone.core.actor import Actor

register = template.Library()


@register.filter
def may(actor: Actor | None, action: str) -> bool:
    """``{% if actor|may:"measure.view" %}``: the policy, never a second list."""
    return actor is not None and allows(actor, action)


@register.filter
def num(value: object) -> str:
    """A score without a trailing ``.0`` (12.0 -> 12, 12.5 -> 12.5); blank for None."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return f"{value:g}" if isinstance(value, float) else str(value)


@register.filter
def px(value: float) -> str:
    """An SVG coordinate with one decimal, never localized."""
    return f"{float(value):.1f}"
