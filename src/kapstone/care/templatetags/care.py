"""Template helpers for the care pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from kapstone.access.policy import allows
from kapstone.care.selectors import client_courses, course_overview
from kapstone.core import localtime
from kapstone.core.actor import Actor

register = template.Library()


@register.filter
def px(value: float) -> str:
    """An SVG coordinate with one decimal, never localized."""
    return f"{float(value):.1f}"


@register.filter
def chart_points(series: Any) -> SafeString:
    """A chart series' points as SVG circles, each titled. Written here rather than as a template loop:
    a session's readings make hundreds of points, and the loop's per-point lookups and filters were
    most of an htmx vitals answer's time (about 0.1 ms a point). The markup is the loop's, unchanged."""
    key = escape(series.key)
    return mark_safe(  # noqa: S308 (every value is escaped or a number formatted here)
        "".join(
            f'<circle class="point s-{key}" cx="{float(p.x):.1f}" cy="{float(p.y):.1f}" r="4.5">'
            f"<title>{escape(p.title)}</title></circle>"
            for p in series.points
        )
    )


@register.filter
def hm(value: datetime | None) -> str:
    """The time of day in the person's zone and clock, zone named (kapstone.core.localtime)."""
    return localtime.format_time(value)


@register.filter
def when(value: datetime | None) -> str:
    return localtime.format_datetime(value)


@register.filter
def can(actor: Actor | None, action: str) -> bool:
    return actor is not None and allows(actor, action)


@register.filter
def get(mapping: dict[Any, Any] | None, key: Any) -> Any:
    return (mapping or {}).get(key)


@register.inclusion_tag("care/_client_section.html", takes_context=True)
def care_client_section(context: template.Context, client: Any) -> dict[str, Any]:
    """The courses block on the client page (the client was already read through client_get)."""
    actor = context.get("actor")
    if actor is None or not allows(actor, "course.view"):
        return {"show": False}

    courses = client_courses(client)
    current = next((c for c in courses if c.is_open), None)
    overview = course_overview(current) if current is not None else None
    return {
        "show": True,
        "client": client,
        "courses": courses,
        "current": current,
        "o": overview,
        "can_manage": allows(actor, "course.manage"),
    }
