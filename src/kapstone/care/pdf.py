"""Printable records as PDF (fpdf2, pure Python): a dosing-session record laid out like a REMS-style
monitoring form (pre-dose, dose, vitals through to discharge, sedation/dissociation, AEs, discharge)
and a course summary for the prescriber. Built from the same selector data the pages show."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.utils import timezone
from fpdf import FPDF

from kapstone.care.models import CareSession, VitalReading
from kapstone.care.selectors import CourseOverview, DosingBoard
from kapstone.core import labels, localtime

_ASCII = str.maketrans({
    "—": "-", "–": "-", "·": "-", "…": "...", "≥": ">=", "≤": "<=", "→": "->", "“": '"', "”": '"',
    "‘": "'", "’": "'", "×": "x", "•": "-", "§": "S.", "\u00a0": " ",
})  # fmt: skip


def text(value: object) -> str:
    """The core PDF fonts are Latin-1: map the typography we use, replace anything else. Internal
    keys a stored message names are put into words first ("Respiratory rate 9 /min", issue #12)."""
    return (
        labels.plain(str(value if value is not None else ""))
        .translate(_ASCII)
        .encode("latin-1", "replace")
        .decode("latin-1")
    )


def _when(moment: datetime | None) -> str:
    """The one format of the pages (kapstone.core.localtime): '2 Dec 2026, 14:30 MST'."""
    return localtime.format_datetime(moment) if moment else "-"


def _word(key: object) -> str:
    """A stored status or level ('not_checked') in words (kapstone.core.labels)."""
    return labels.label(str(key)) if key not in (None, "") else ""


def _hm(moment: datetime | None) -> str:
    return localtime.format_time(moment) if moment else "-"


class _Doc(FPDF):
    def __init__(self, title: str, subtitle: str) -> None:
        super().__init__(format="A4")
        self.doc_title = title
        self.subtitle = subtitle
        self.set_margins(14, 14, 14)
        self.set_auto_page_break(True, 16)
        self.set_title(text(title))
        self.set_creator("Kapstone")

    def header(self) -> None:
        self.set_font("Helvetica", "B", 13)
        self.cell(0, 7, text(self.doc_title), new_x="LMARGIN", new_y="NEXT")
        self.set_font("Helvetica", "", 9)
        self.cell(0, 5, text(self.subtitle), new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", "", 8)
        self.cell(
            0, 5, text(f"Kapstone - printed {_when(timezone.now())} - page {self.page_no()}"), align="C"
        )

    def section(self, title: str) -> None:
        self.ln(2)
        self.set_font("Helvetica", "B", 11)
        self.cell(0, 6, text(title), new_x="LMARGIN", new_y="NEXT")
        self.set_font("Helvetica", "", 9)

    def para(self, value: str) -> None:
        self.set_font("Helvetica", "", 9)
        self.multi_cell(0, 4.6, text(value), new_x="LMARGIN", new_y="NEXT")

    def facts(self, rows: Iterable[tuple[str, object]]) -> None:
        for label, value in rows:
            self.set_font("Helvetica", "B", 9)
            self.cell(52, 4.8, text(label))
            self.set_font("Helvetica", "", 9)
            self.multi_cell(
                0, 4.8, text(value if value not in (None, "") else "-"), new_x="LMARGIN", new_y="NEXT"
            )

    def grid(self, head: Sequence[str], rows: Sequence[Sequence[object]], widths: Sequence[int]) -> None:
        if not rows:
            self.para("None recorded.")
            return
        self.set_font("Helvetica", "", 8.5)
        with self.table(col_widths=tuple(widths), text_align="LEFT", line_height=4.6) as table:
            header = table.row()
            for cell in head:
                header.cell(text(cell))
            for values in rows:
                row = table.row()
                for value in values:
                    row.cell(text(value if value not in (None, "") else "-"))


def _vitals(v: VitalReading) -> list[object]:
    if v.systolic is not None and v.diastolic is not None:
        bp: object = f"{v.systolic}/{v.diastolic}"
    else:
        bp = v.systolic or ""
    return [bp, v.heart_rate, v.spo2, v.respiratory_rate]


def dosing_record(board: DosingBoard, *, compress: bool = True) -> bytes:
    """The dosing-session record: one PDF fit for a prescriber or a REMS-style monitoring form."""
    session = board.session
    client = session.client
    detail = session.dosing
    course = session.course
    doc = _Doc(
        f"Dosing session record - {client.given_name} {client.family_name}",
        f"Session {session.number or '-'} of course {course.pk}; protocol {course.protocol_key} "
        f"{course.protocol_version}; {session.get_status_display()}",
    )
    doc.set_compression(compress)
    doc.add_page()
    doc.facts(
        [
            ("Client", f"{client.given_name} {client.family_name} (DOB {client.date_of_birth or '-'})"),
            ("Protocol", f"{board.protocol.title} ({board.protocol.id} {board.protocol.version})"),
            ("Setting", session.get_location_display()),
            ("Started (go)", _when(session.started_at)),
            ("Discharged", _when(detail.discharged_at)),
            ("Weight", f"{detail.weight_kg} kg" if detail.weight_kg is not None else "-"),
            ("Supportive touch", detail.touch_scope or ("agreed" if detail.touch_opt_in else "not agreed")),
        ]
    )
    doc.section("Pre-dose check")
    result = detail.pre_dose_result or {}
    doc.facts(
        [("Decision", detail.get_decision_display() or "-"), ("Rationale", result.get("rationale", "-"))]
    )
    if detail.decision_justification:
        who = detail.decision_justified_by.full_name if detail.decision_justified_by else "-"
        doc.facts([("Prescriber justification", f"{detail.decision_justification} ({who})")])
    items = result.get("items") or []
    doc.grid(
        ["Item", "Status", "Detail"],
        [[i.get("label"), _word(i.get("status")), i.get("message")] for i in items],
        (45, 22, 115),
    )
    doc.section("Dose(s)")
    doc.grid(
        ["Time", "Dose", "mg/kg", "Route / formulation", "Given by", "Lot", "Protocol check"],
        [
            [
                _hm(d.given_at),
                f"{float(d.amount_mg):g} mg" + (" (booster)" if d.is_booster else ""),
                f"{d.mg_per_kg:.2f}" if d.mg_per_kg is not None else "",
                f"{d.route}; {d.formulation}",
                d.given_by.full_name,
                d.lot,
                _word(d.level)
                + (f"; justified by {d.justified_by.full_name}: {d.justification}" if d.justified_by else ""),
            ]
            for d in board.doses
        ],
        (14, 22, 14, 44, 26, 16, 46),
    )
    doc.section("Vital signs")
    origin = board.first_dose_at
    doc.grid(
        ["Time", "After dose", "BP", "HR", "SpO2", "RR", "Symptoms / note"],
        [
            [
                _hm(v.taken_at),
                "pre-dose" if v.phase == "pre_dose" or origin is None else
                f"{round((v.taken_at - origin).total_seconds() / 60):+d} min",
                *_vitals(v),
                ", ".join(v.symptoms) + (f" {v.note}" if v.note else ""),
            ]
            for v in board.vitals
        ],
        (14, 20, 20, 12, 12, 12, 92),
    )  # fmt: skip
    doc.section("Sedation, dissociation and emotional state")
    doc.grid(
        ["Time", "MOAA/S", "Dissociation", "Emotional state", "Note"],
        [
            [
                _hm(r.taken_at),
                r.moaas,
                f"{r.dissociation_scale.upper()} {float(r.dissociation_score):g}"
                if r.dissociation_score is not None
                else "",
                r.emotional_state,
                r.note,
            ]
            for r in board.ratings
        ],
        (14, 18, 30, 34, 86),
    )
    doc.section("Interventions")
    doc.grid(
        ["Time", "Intervention", "Detail"],
        [[_hm(i.at), i.get_kind_display(), i.description] for i in session.interventions.order_by("at")],
        (14, 40, 128),
    )
    doc.section("Adverse events")
    doc.grid(
        ["Onset", "Event", "Severity", "Serious", "Action", "Outcome", "Related", "REMS"],
        [
            [
                _hm(e.onset_at),
                f"{e.term.replace('_', ' ')} ({e.category})",
                e.get_severity_display(),
                "yes" if e.serious else "no",
                e.action_taken,
                e.get_outcome_display(),
                e.get_relatedness_display(),
                "yes" if e.rems_report else "no",
            ]
            for e in session.adverse_events.order_by("onset_at")
        ],
        (14, 40, 18, 14, 40, 22, 20, 14),
    )
    doc.section("Alerts")
    doc.grid(
        ["Raised", "Severity", "Alert", "Acknowledged", "Action taken"],
        [
            [
                _hm(a.raised_at),
                _word(a.severity),
                a.message,
                f"{_hm(a.acknowledged_at)} {a.acknowledged_by.full_name if a.acknowledged_by else ''}"
                if a.acknowledged_at
                else "OPEN",
                a.action_taken,
            ]
            for a in session.alerts.select_related("acknowledged_by").order_by("raised_at")
        ],
        (14, 16, 82, 30, 40),
    )
    doc.section("Discharge")
    discharge = detail.discharge_result or {}
    doc.facts(
        [
            ("Discharged at", _when(detail.discharged_at)),
            ("By", detail.discharged_by.full_name if detail.discharged_by else "-"),
            ("Observed", f"{discharge.get('observed_minutes', 0):.0f} min (minimum "
                         f"{discharge.get('min_observation_minutes', '-')} min)" if discharge else "-"),
            ("Left with", detail.left_with),
            ("After-care given", "yes" if detail.aftercare_given else "no"),
            ("No driving", detail.no_driving),
            ("Notes", detail.discharge_notes),
        ]
    )  # fmt: skip
    if discharge.get("items"):
        doc.grid(
            ["Checklist item", "Status"],
            [[i.get("label"), _word(i.get("status"))] for i in discharge["items"]],
            (140, 42),
        )
    return bytes(doc.output())


def course_summary(overview: CourseOverview, *, compress: bool = True) -> bytes:
    """The course summary for the prescriber: protocol, phase, next step, every session."""
    course = overview.course
    client = course.client
    doc = _Doc(
        f"Course summary - {client.given_name} {client.family_name}",
        f"Course {course.pk}; protocol {course.protocol_key} {course.protocol_version}; {overview.phase}",
    )
    doc.set_compression(compress)
    doc.add_page()
    doc.facts(
        [
            ("Client", f"{client.given_name} {client.family_name} (DOB {client.date_of_birth or '-'})"),
            ("Protocol", f"{overview.protocol.title} ({overview.protocol.id} {overview.protocol.version})"),
            ("Route / formulation", f"{overview.protocol.route}; {overview.protocol.formulation}"),
            ("Indication", course.indication),
            ("Goals", course.goals),
            ("Prescriber", course.prescriber.full_name if course.prescriber else "-"),
            ("Started", _when(course.started_at)),
            ("Status", course.get_status_display()),
            (
                "Preparation",
                f"{overview.preparations_done} of {overview.preparations_needed} before the first dose",
            ),
            ("Dosing sessions", overview.dosing_done),
            ("Next step", overview.step.text),
        ]
    )
    if overview.blockers:
        doc.section("Outstanding")
        for line in overview.blockers:
            doc.para(f"- {line}")
    doc.section("Sessions")
    rows = []
    for s in overview.sessions:
        summary = ""
        if s.kind == CareSession.Kind.DOSING:
            doses = list(s.doses.order_by("given_at"))
            summary = ", ".join(f"{float(d.amount_mg):g} mg {d.route}" for d in doses)
            alerts = s.alerts.count()
            aes = s.adverse_events.count()
            summary += f"; {alerts} alert(s), {aes} AE(s)" if doses else ""
        elif s.kind == CareSession.Kind.INTEGRATION and hasattr(s, "integration"):
            i = s.integration
            summary = ", ".join(_word(m) for m in i.modalities)
            if i.interval_hours is not None:
                summary += f"; {float(i.interval_hours):g} h after the dose"
        elif s.kind == CareSession.Kind.PREPARATION and hasattr(s, "preparation"):
            summary = "intentions recorded" if s.preparation.intentions else ""
        rows.append(
            [
                _when(s.started_at or s.scheduled_at),
                s.get_kind_display() + (f" {s.number}" if s.number else ""),
                s.get_status_display(),
                summary,
            ]
        )
    doc.grid(["When", "Session", "Status", "Summary"], rows, (30, 28, 24, 100))
    if overview.feedback:
        doc.section("Feedback to the prescriber (from integration)")
        for session, feedback in overview.feedback:
            doc.para(f"{_when(session.started_at)}: {feedback}")
    return bytes(doc.output())
