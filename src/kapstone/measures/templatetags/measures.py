"""Template helpers for measurement pages."""

from __future__ import annotations

from datetime import datetime
from html import escape as _html_escape
from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from kapstone.access.policy import allows
from kapstone.core.actor import Actor
from kapstone.measures.selectors import Caseload

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


_PK_PLACEHOLDER = 987654321


def escape(value: object) -> str:
    """HTML-escape text (quotes too) for the one-pass builders below: the standard library's escape,
    without the lazy-string wrapper and SafeString Django's adds to every call."""
    return _html_escape(str(value))


def _url_maker(name: str) -> Any:
    """``pk -> URL`` from one reversal of ``name`` (a reversal per row is most of a long table's time)."""
    prefix, _, suffix = reverse(name, args=[_PK_PLACEHOLDER]).partition(str(_PK_PLACEHOLDER))
    return lambda pk: f"{prefix}{pk}{suffix}"


def _when(value: datetime) -> str:
    """Django's ``date:"j M Y H:i"`` in the current time zone, without the template engine."""
    local = timezone.localtime(value)
    return f"{local.day} {local:%b %Y %H:%M}"


_MUTED_DASH = '<span class="muted">—</span>'


@register.simple_tag
def caseload_rows(caseload: Caseload) -> SafeString:
    """The caseload's table body, built in one pass.

    A therapist's caseload is hundreds of rows; rendering them node by node through the template
    engine cost ~1 s per page on this machine kind (bench/), and format_html per cell still ~40 % of
    the page. Same markup: every text from the database goes through ``escape``; numbers, dates and
    the arrows are ours.
    """
    url_of = _url_maker("measures:client")
    rows = []
    for row in caseload.rows:
        cells = []
        for cell in row.cells.values():
            if cell is None:
                cells.append(f"<td>{_MUTED_DASH}</td>")
                continue
            trend = ""
            if cell.arrow:
                direction = "up" if cell.arrow == "↑" else "down" if cell.arrow == "↓" else "unchanged"
                said = f"{direction} from {num(cell.previous)}" + (f", {cell.trend}" if cell.trend else "")
                trend = (
                    f' <span class="trend trend-{escape(cell.trend or "unknown")}" aria-hidden="true">'
                    f'{cell.arrow}</span><span class="visually-hidden">{escape(said)}</span>'
                )
            when = f"{cell.administered_at.day} {cell.administered_at:%b}"
            cells.append(
                f'<td><span class="score">{num(cell.total)}</span>{trend}<br>'
                f'<span class="muted small">{escape(cell.band or "")} · {when}</span></td>'
            )
        safety = (
            f'<strong class="danger-text">{row.open_tasks} open</strong>'
            if row.open_tasks
            else '<span class="muted">None</span>'
        )
        marked = ' class="has-safety"' if row.open_tasks else ""
        rows.append(
            f'<tr{marked}><th scope="row">'
            f'<a href="{url_of(row.client.pk)}">{escape(row.client.display_name)}</a></th>{"".join(cells)}'
            f"<td>{safety}</td><td>{escape(', '.join(row.due)) if row.due else _MUTED_DASH}</td></tr>"
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - every text from the database escaped above


@register.simple_tag
def response_rows(responses: list[Any]) -> SafeString:
    """The "Show the numbers" table body of an instrument's history, one row per response."""
    url_of = _url_maker("measures:response")
    rows = [
        f'<tr><td><a href="{url_of(r.pk)}">{_when(r.administered_at)}</a></td><td>{escape(num(r.total))}</td>'
        f"<td>{escape(r.band or '—')}</td><td>{escape(r.instrument_version)}</td>"
        f"<td>{escape(r.get_source_display())}</td><td>{len(r.flags)}</td></tr>"
        for r in responses
    ]
    return mark_safe("\n".join(rows))  # noqa: S308 - every text from the database escaped above


@register.simple_tag
def chart_svg(chart: object, hid: str) -> SafeString:
    """One measure chart as SVG, built in one pass (the markup of ``_chart.html``, which the template
    engine rendered node by node: a few hundred variable lookups per chart, most of the client page's
    time). Every text goes through ``escape``; numbers are formatted by ``px`` / ``num``."""
    c: Any = chart
    e, h = escape, escape(hid)
    left, right, top, bottom = px(c.left), px(c.right), px(c.top), px(c.bottom)
    parts = [
        f'<figure class="chart">\n  <svg class="chart-svg" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {e(c.width)} {e(c.height)}" '
        f'role="img" aria-labelledby="chart-{h}-title chart-{h}-desc" preserveAspectRatio="xMidYMid meet">\n'
        f'    <title id="chart-{h}-title">{e(c.title)} over time</title>\n'
        f'    <desc id="chart-{h}-desc">{e(c.desc)}</desc>\n    <g class="bands">'
    ]
    for b in c.bands:
        label = e(b.label)
        parts.append(
            f'\n      <rect class="band band-{e(b.shade)}" x="{px(b.x)}" y="{px(b.y)}" '
            f'width="{px(b.width)}" height="{px(b.height)}" data-band="{label}">'
            f"<title>{label} ({num(b.low)}–{num(b.high)})</title></rect>"
        )
        if b.show_label:
            parts.append(
                f'\n      <text class="band-label" x="{px(c.band_label_x)}" y="{px(b.label_y)}" '
                f'text-anchor="end">{label}</text>'
            )
    parts.append(
        f'\n    </g>\n    <g class="axis">\n      <line class="axis-line" x1="{left}" y1="{bottom}" '
        f'x2="{right}" y2="{bottom}"/>\n      <line class="axis-line" x1="{left}" y1="{top}" x2="{left}" '
        f'y2="{bottom}"/>'
    )
    for t in c.y_ticks:
        parts.append(
            f'\n      <line class="grid" x1="{left}" y1="{px(t.pos)}" x2="{right}" y2="{px(t.pos)}"/>'
            f'<text class="tick" x="{px(c.y_tick_x)}" y="{px(t.text_pos)}" text-anchor="end">'
            f"{e(t.label)}</text>"
        )
    for t in c.x_ticks:
        parts.append(
            f'\n      <text class="tick" x="{px(t.pos)}" y="{px(c.x_tick_y)}" text-anchor="middle">'
            f"{e(t.label)}</text>"
        )
    parts.append('\n    </g>\n    <g class="markers">')
    for m in c.markers:
        parts.append(
            f'\n      <line class="marker" x1="{px(m.x)}" y1="{top}" x2="{px(m.x)}" y2="{bottom}" '
            f'stroke-dasharray="5 4"><title>{e(m.title)}</title></line>\n'
            f'      <text class="marker-label" x="{px(m.label_x)}" y="{px(c.marker_label_y)}">Dosing</text>'
        )
    parts.append("\n    </g>\n    ")
    if len(c.points) > 1:
        parts.append(f'<polyline class="line" fill="none" points="{e(c.line)}"/>')
    parts.append('\n    <g class="points">')
    for p in c.points:
        parts.append(
            f'\n      <circle class="point" cx="{px(p.x)}" cy="{px(p.y)}" r="5">'
            f"<title>{e(p.title)}</title></circle>"
        )
    parts.append(f'\n    </g>\n  </svg>\n  <figcaption class="muted">{e(c.desc)}</figcaption>\n</figure>\n')
    return mark_safe("".join(parts))  # noqa: S308 - every text escaped above
