"""Exports: the program's trainees' requirement status and ledger entries as CSV (every cell that a
spreadsheet would run as a formula is neutralised), and a trainee's own ledger as PDF. Clients are
never named in an export: a session's client appears as the opaque key the checker counts."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from django.utils import timezone
from fpdf import FPDF

from kapstone.accounts.models import User
from kapstone.core.actor import Actor
from kapstone.practicum.core import hours
from kapstone.practicum.models import KIND_LABELS, LedgerEntry, Supervision
from kapstone.practicum.selectors import LedgerView, check_trainee, supervised_ids
from kapstone.practicum.sources import client_key

STATUS_COLUMNS = (
    "trainee",
    "trainee_email",
    "set",
    "version",
    "requirement",
    "title",
    "status",
    "have",
    "need",
    "missing",
    "unit",
    "pending",
    "missing_fact",
    "message",
)
ENTRY_COLUMNS = (
    "trainee",
    "trainee_email",
    "date",
    "kind",
    "minutes",
    "status",
    "supervisor",
    "topics",
    "group_size",
    "session",
    "client_key",
    "reverses",
    "description",
    "source",
)


def cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def exportable_trainees(actor: Actor) -> list[User]:
    """The admin: every trainee with a supervisor in the organization; a supervisor: their own."""
    if actor.has_role("org_admin"):
        ids = Supervision.objects.filter(organization_id=actor.organization_id or -1, active=True).values(
            "trainee_id"
        )
    else:
        ids = supervised_ids(actor)  # type: ignore[assignment]
    return list(User.objects.filter(pk__in=ids).order_by("full_name", "pk"))


def _rows(trainees: Iterable[User], organization_id: int, what: str) -> Iterator[list[str]]:
    for trainee in trainees:
        _, reports, view = check_trainee(trainee, organization_id)
        who = [trainee.full_name, trainee.email]
        if what == "status":
            for report in reports:
                for v in report.verdicts:
                    yield [
                        cell(x)
                        for x in (
                            *who,
                            report.set_id,
                            report.version,
                            v.requirement_id,
                            v.title,
                            v.status.value,
                            round(v.have, 2),
                            v.need,
                            round(v.missing, 2),
                            v.unit,
                            round(v.pending, 2),
                            v.missing_fact,
                            v.message,
                        )
                    ]
            continue
        entries = LedgerEntry.objects.filter(organization_id=organization_id, trainee=trainee).select_related(
            "supervisor"
        )
        for e in entries.order_by("occurred_on", "pk").iterator(chunk_size=1000):
            key = client_key(organization_id, e.client_id) if e.client_id else ""
            yield [
                cell(x)
                for x in (
                    *who,
                    e.occurred_on,
                    e.kind,
                    e.signed_minutes,
                    e.status,
                    e.supervisor.full_name,
                    " ".join(e.topics),
                    e.group_size,
                    e.session_kind,
                    key,
                    e.reverses_id,
                    e.description,
                    "logged",
                )
            ]
        for d in view.derived:
            x = d.earned
            yield [
                cell(v)
                for v in (
                    *who,
                    x.occurred_on,
                    x.kind,
                    x.minutes,
                    "derived",
                    "",
                    " ".join(x.topics),
                    x.group_size,
                    d.session,
                    x.client_key,
                    "",
                    x.label,
                    d.source_label,
                )
            ]


def cohort_csv(actor: Actor, what: str) -> Iterator[str]:
    """Lines of the CSV: ``what`` is "status" (one row per trainee, set and requirement) or "entries"."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(STATUS_COLUMNS if what == "status" else ENTRY_COLUMNS)
    yield flush()
    for row in _rows(exportable_trainees(actor), actor.organization_id or -1, what):
        writer.writerow(row)
        yield flush()


def _latin(value: object) -> str:
    return str(value).replace("—", "-").replace("·", "-").encode("latin-1", "replace").decode("latin-1")


def ledger_pdf(view: LedgerView, *, organization_name: str) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title(_latin(f"Practicum ledger - {view.trainee.full_name}"))
    pdf.set_creator("Kapstone")
    pdf.set_auto_page_break(True, 14)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, _latin(f"Practicum ledger: {view.trainee.full_name}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(
        0,
        5,
        _latin(f"{organization_name} - printed {timezone.localdate():%Y-%m-%d}"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    for report in view.reports:
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 11)
        pdf.multi_cell(
            0, 6, _latin(f"{report.title} (version {report.version})"), new_x="LMARGIN", new_y="NEXT"
        )
        pdf.set_font("Helvetica", "", 9)
        for v in report.verdicts:
            status = {"met": "met", "not_yet": "not yet", "cannot_tell": "cannot tell"}[v.status.value]
            pdf.multi_cell(0, 5, _latin(f"[{status}] {v.title}: {v.message}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 6, "Totals by kind (counted / waiting for verification)", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    for kind, label in KIND_LABELS.items():
        if kind in view.totals:
            t = view.totals[kind]
            pdf.cell(
                0,
                5,
                _latin(f"{label}: {hours(t['counted'])} / {hours(t['pending'])}"),
                new_x="LMARGIN",
                new_y="NEXT",
            )
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(
        0,
        6,
        _latin(f"Entries (newest {len(view.entries)} of {view.entry_count})"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("Helvetica", "", 8)
    for e in view.entries:
        line = f"{e.occurred_on:%Y-%m-%d}  {e.kind_label}  {e.signed_minutes} min  {e.get_status_display()}"
        pdf.multi_cell(
            0,
            4.5,
            _latin(line + (f"  - {e.description}" if e.description else "")),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    for d in view.derived:
        line = (
            f"{d.earned.occurred_on:%Y-%m-%d}  {d.earned.label}  {d.earned.minutes} min  ({d.source_label})"
        )
        pdf.multi_cell(0, 4.5, _latin(line), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
