from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime

from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kapstone.access.decorators import requires
from kapstone.audit.checkpoint import dumps, make_checkpoint
from kapstone.audit.forms import AuditFilterForm
from kapstone.audit.selectors import audit_events
from kapstone.audit.services import chain_key, record
from kapstone.core.http import AuthenticatedRequest
from kapstone.core.localtime import iso

EXPORT_COLUMNS = (
    "id", "at", "actor_email", "role", "action", "object_type", "object_id", "client_id", "outcome",
    "request_id", "source_ip", "hash",
)  # fmt: skip


@requires("audit.view")
@require_GET
def audit_log(request: AuthenticatedRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    events = audit_events(request.actor, form.to_filter())
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/log.html", {"form": form, "page": page, "query": query.urlencode()})


def _cell(value: object) -> str:
    # Times in ISO 8601, UTC (machine exports: kapstone.core.localtime.iso), whatever the viewer's zone.
    text = "" if value is None else iso(value) if isinstance(value, datetime) else str(value)
    # A cell that a spreadsheet would run as a formula is neutralised (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class _Echo:
    def write(self, value: str) -> str:
        return value


@requires("audit.export")
@require_GET
def audit_export(request: AuthenticatedRequest) -> StreamingHttpResponse:
    form = AuditFilterForm(request.GET or None)
    flt = form.to_filter()
    record(
        request.actor,
        "audit.export",
        object_type="audit_log",
        detail={"filter": request.GET.urlencode()[:500]},
    )
    writer = csv.writer(_Echo())

    def rows() -> Iterator[str]:
        yield writer.writerow(EXPORT_COLUMNS)
        for event in audit_events(request.actor, flt).iterator(chunk_size=2000):
            yield writer.writerow([_cell(getattr(event, column)) for column in EXPORT_COLUMNS])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="kapstone-audit.csv"'
    return response


@requires("audit.export")
@require_GET
def audit_checkpoint(request: AuthenticatedRequest) -> HttpResponse:
    """A signed checkpoint of this organization's chain head (proved against the signed tree of
    every chain's head, whose other heads stay out of the file), to keep off this server (tamper
    evidence for the newest rows: `kapstone audit verify --checkpoint FILE`)."""
    with transaction.atomic():
        record(request.actor, "audit.checkpoint", object_type="audit_log")  # covered by the checkpoint
        checkpoint = make_checkpoint(scope=chain_key(request.actor.organization_id))
    response = HttpResponse(dumps(checkpoint), content_type="application/json; charset=utf-8")
    name = f"kapstone-audit-checkpoint-{checkpoint['head_id']}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
