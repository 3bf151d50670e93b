"""Template helpers for measurement pages."""

from __future__ import annotations

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
