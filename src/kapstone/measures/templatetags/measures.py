"""Template helpers for measurement pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html
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


@register.simple_tag
def caseload_rows(caseload: Caseload) -> SafeString:
    """The caseload's table body, built in one pass.

    A therapist's caseload is hundreds of rows; rendering them node by node through the template
    engine cost ~1 s per page on this machine kind (bench/), most of it variable lookups and a
    ``{% url %}`` per row. Same markup, escaped by format_html, with one URL reversal for all rows.
    """
    url_template = reverse("measures:client", args=[_PK_PLACEHOLDER])
    rows = []
    for row in caseload.rows:
        url = url_template.replace(str(_PK_PLACEHOLDER), str(row.client.pk))
        cells = []
        for cell in row.cells.values():
            if cell is None:
                cells.append(mark_safe('<td><span class="muted">—</span></td>'))  # noqa: S308 - constant markup
                continue
            trend = ""
            if cell.arrow:
                direction = "up" if cell.arrow == "↑" else "down" if cell.arrow == "↓" else "unchanged"
                said = f"{direction} from {num(cell.previous)}" + (f", {cell.trend}" if cell.trend else "")
                trend = format_html(
                    ' <span class="trend trend-{}" aria-hidden="true">{}</span>'
                    '<span class="visually-hidden">{}</span>',
                    cell.trend or "unknown", cell.arrow, said,
                )  # fmt: skip
            when = f"{cell.administered_at.day} {cell.administered_at:%b}"
            cells.append(format_html(
                '<td><span class="score">{}</span>{}<br><span class="muted small">{} · {}</span></td>',
                num(cell.total), trend, cell.band or "", when,
            ))  # fmt: skip
        safety = (
            format_html('<strong class="danger-text">{} open</strong>', row.open_tasks)
            if row.open_tasks
            else mark_safe('<span class="muted">None</span>')  # noqa: S308 - constant markup
        )
        due = ", ".join(row.due) if row.due else None
        rows.append(format_html(
            '<tr{}><th scope="row"><a href="{}">{}</a></th>{}<td>{}</td><td>{}</td></tr>',
            mark_safe(' class="has-safety"') if row.open_tasks else "",  # noqa: S308 - constant markup
            url, row.client.display_name, mark_safe("".join(cells)),  # noqa: S308 - each cell escaped above
            safety, due if due is not None else mark_safe('<span class="muted">—</span>'),  # noqa: S308
        ))  # fmt: skip
    return mark_safe("\n".join(rows))  # noqa: S308 - every row escaped by format_html above


@register.simple_tag
def chart_svg(chart: object, hid: str) -> SafeString:
    """One measure chart as SVG, built in one pass (the markup of ``_chart.html``, which the template
    engine rendered node by node: a few hundred variable lookups per chart, most of the client page's
    time). Every text is escaped by format_html; numbers are formatted by ``px`` / ``num``."""
    c: Any = chart
    parts = [format_html(
        '<figure class="chart">\n  <svg class="chart-svg" xmlns="http://www.w3.org/2000/svg" '
        'viewBox="0 0 {} {}" '
        'role="img" aria-labelledby="chart-{}-title chart-{}-desc" preserveAspectRatio="xMidYMid meet">\n'
        '    <title id="chart-{}-title">{} over time</title>\n    <desc id="chart-{}-desc">{}</desc>\n'
        '    <g class="bands">',
        c.width, c.height, hid, hid, hid, c.title, hid, c.desc,
    )]  # fmt: skip
    for b in c.bands:
        parts.append(format_html(
            '\n      <rect class="band band-{}" x="{}" y="{}" width="{}" height="{}" data-band="{}">'
            "<title>{} ({}–{})</title></rect>",
            b.shade, px(b.x), px(b.y), px(b.width), px(b.height), b.label, b.label, num(b.low), num(b.high),
        ))  # fmt: skip
        if b.show_label:
            parts.append(format_html(
                '\n      <text class="band-label" x="{}" y="{}" text-anchor="end">{}</text>',
                px(c.band_label_x), px(b.label_y), b.label,
            ))  # fmt: skip
    left, right, top, bottom = px(c.left), px(c.right), px(c.top), px(c.bottom)
    parts.append(format_html(
        '\n    </g>\n    <g class="axis">\n      <line class="axis-line" x1="{}" y1="{}" x2="{}" y2="{}"/>\n'
        '      <line class="axis-line" x1="{}" y1="{}" x2="{}" y2="{}"/>',
        left, bottom, right, bottom, left, top, left, bottom,
    ))  # fmt: skip
    for t in c.y_ticks:
        parts.append(format_html(
            '\n      <line class="grid" x1="{}" y1="{}" x2="{}" y2="{}"/><text class="tick" x="{}" y="{}" '
            'text-anchor="end">{}</text>',
            left, px(t.pos), right, px(t.pos), px(c.y_tick_x), px(t.text_pos), t.label,
        ))  # fmt: skip
    for t in c.x_ticks:
        parts.append(format_html(
            '\n      <text class="tick" x="{}" y="{}" text-anchor="middle">{}</text>',
            px(t.pos), px(c.x_tick_y), t.label,
        ))  # fmt: skip
    parts.append(mark_safe('\n    </g>\n    <g class="markers">'))  # noqa: S308 - constant markup
    for m in c.markers:
        parts.append(format_html(
            '\n      <line class="marker" x1="{}" y1="{}" x2="{}" y2="{}" stroke-dasharray="5 4">'
            '<title>{}</title></line>\n      <text class="marker-label" x="{}" y="{}">Dosing</text>',
            px(m.x), top, px(m.x), bottom, m.title, px(m.label_x), px(c.marker_label_y),
        ))  # fmt: skip
    parts.append(mark_safe("\n    </g>\n    "))  # noqa: S308 - constant markup
    if len(c.points) > 1:
        parts.append(format_html('<polyline class="line" fill="none" points="{}"/>', c.line))
    parts.append(mark_safe('\n    <g class="points">'))  # noqa: S308 - constant markup
    for p in c.points:
        parts.append(format_html(
            '\n      <circle class="point" cx="{}" cy="{}" r="5"><title>{}</title></circle>',
            px(p.x), px(p.y), p.title,
        ))  # fmt: skip
    parts.append(format_html(
        '\n    </g>\n  </svg>\n  <figcaption class="muted">{}</figcaption>\n</figure>\n', c.desc
    ))  # fmt: skip
    return mark_safe("".join(parts))  # noqa: S308 - every part escaped above
