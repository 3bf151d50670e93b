"""Filters every page may use without loading them (settings: TEMPLATES builtins).

``when`` "2 Dec 2026, 14:30 MST", ``day`` "2 Dec 2026", ``clock`` "14:30 MST" — in the person's zone
and clock (kapstone.core.localtime); ``iso`` for machine-readable attributes (``<time datetime>``);
``label`` a key in plain words (kapstone.core.labels).
"""

from __future__ import annotations

from datetime import date, datetime

from django import template

from kapstone.core import labels, localtime, wording
from kapstone.shell.client_header import client_tabs, header_facts
from kapstone.shell.desk import age
from kapstone.shell.portal import portal_items

register = template.Library()


@register.filter
def when(value: datetime | date | None) -> str:
    if isinstance(value, datetime):
        return localtime.format_datetime(value)
    return localtime.format_date(value)


@register.filter
def day(value: datetime | date | None) -> str:
    return localtime.format_date(value)


@register.filter
def clock(value: datetime | None) -> str:
    return localtime.format_time(value)


@register.filter
def iso(value: datetime | date | None) -> str:
    return localtime.iso(value)


@register.filter
def label(value: object, kind: str = "") -> str:
    return labels.label(str(value), kind=kind) if value not in (None, "") else ""


@register.filter
def plain(value: object) -> str:
    """A message with the internal keys it names in words (kapstone.core.labels.plain)."""
    return labels.plain(str(value)) if value not in (None, "") else ""


@register.filter
def change_words(panel: object) -> str:
    """A measures panel's change from baseline in words (kapstone.core.wording)."""
    change = getattr(panel, "change", None)
    history = getattr(panel, "history", None)
    instrument = getattr(history, "instrument", None)
    if change is None or not getattr(change, "computable", False) or change.baseline_total is None:
        return ""
    name = getattr(instrument, "short_title", "") or str(change.instrument)
    statuses = {
        criterion: str(getattr(getattr(change, criterion, None), "status", ""))
        for criterion in ("response", "remission", "reliable_change", "reliable_change_fixed")
    }
    return wording.change_in_words(
        name,
        change.baseline_total,
        change.latest_total,
        lower_is_better=change.direction != "higher_is_better",
        statuses=statuses,
    )


@register.filter
def waited(value: datetime | None) -> str:
    """How long something has waited: '12 min', '5 h', '3 days'."""

    return age(value)


@register.filter
def reason_words(value: object) -> str:
    """A change criterion's reason without a signed "improvement" (kapstone.core.wording)."""
    return wording.reason_in_words(str(value)) if value not in (None, "") else ""


@register.inclusion_tag("includes/client_header.html", takes_context=True)
def client_header(context: template.Context, client: object) -> dict[str, object]:
    """The client header and tabs (kapstone.shell.client_header) for the acting person."""

    actor = context.get("actor")
    request = context.get("request")
    if actor is None or client is None:
        return {"show": False}
    path = getattr(request, "path", "")
    return {
        "show": True,
        "client": client,
        "facts": header_facts(actor, client),
        "tabs": client_tabs(actor, client, path),
    }


@register.simple_tag
def portal_list(client: object, kind: str) -> list[object]:
    """What apps list on the client's portal home (kapstone.shell.portal)."""

    return list(portal_items(client, kind))


@register.simple_tag
def fact_link(fact: str, client_pk: int) -> str:
    """The address of the form field that supplies a screening fact, for this client."""
    from django.urls import NoReverseMatch, reverse

    url_name, anchor = labels.fact_field(fact)
    try:
        url = reverse(url_name, args=[client_pk])
    except NoReverseMatch:
        return ""
    return f"{url}#{anchor}" if anchor else url
