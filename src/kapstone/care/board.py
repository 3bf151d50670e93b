"""The live dosing board: what the dosing room shows of a session (doses, readings, ratings, alerts,
the timeline, what is due), read in parts, and the stamp that says whether any of it changed.

A page reads the whole board. An entry's answer and the 30-second poll read only the parts they
redraw (``parts``), and the poll first compares the session's stamp (one query) with the one the
tablet last saw: unchanged data needs no further read of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime

from django.db.models import Count, Model, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from kapstone.care.models import (
    AdverseEvent,
    Alert,
    CareSession,
    DoseRecord,
    Intervention,
    Rating,
    VitalReading,
)
from kapstone.care.protocol_core import (
    DischargeCheck,
    Due,
    Protocol,
    check_discharge,
    ratings_due,
    vitals_due,
)
from kapstone.care.services import protocol_of

# What a reader of the board may ask for: the timeline, the vitals charts, the open alerts, what is
# due, and the clock (the status line and what is due). Every part reads the doses.
TIMELINE, CHARTS, ALERTS, DUE, CLOCK = "timeline", "charts", "alerts", "due", "clock"
ALL_PARTS = frozenset({TIMELINE, CHARTS, ALERTS, DUE, CLOCK})
_TIMED = frozenset({DUE, CLOCK})


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # dose | vitals | rating | intervention | ae | alert | event
    title: str
    text: str
    css: str = ""
    obj: object = None

    @property
    def row_id(self) -> str:
        """The row's id on the page, so an answer can add or replace one row."""
        pk = getattr(self.obj, "pk", None)
        return f"tl-{self.kind}-{pk}" if pk is not None else f"tl-{self.kind}"


@dataclass
class DosingBoard:
    session: CareSession
    protocol: Protocol
    doses: list[DoseRecord]
    vitals: list[VitalReading]
    ratings: list[Rating]
    open_alerts: list[Alert]
    timeline: list[TimelineEntry]
    vitals_due: Due | None
    ratings_due: Due | None
    discharge: DischargeCheck | None
    first_dose_at: datetime | None
    last_dose_at: datetime | None
    minutes_since_dose: int | None
    now: datetime

    @property
    def earliest_discharge(self) -> datetime | None:
        return self.discharge.earliest_allowed_at if self.discharge else None

    @property
    def may_discharge_now(self) -> bool:
        return bool(
            self.discharge and self.now >= self.discharge.earliest_allowed_at and not self.open_alerts
        )


# --------------------------------------------------------------------------------------------------
# Timeline rows
# --------------------------------------------------------------------------------------------------


def _vitals_text(v: VitalReading) -> str:
    parts = []
    if v.systolic is not None and v.diastolic is not None:
        parts.append(f"BP {v.systolic}/{v.diastolic}")
    elif v.systolic is not None:
        parts.append(f"SBP {v.systolic}")
    if v.heart_rate is not None:
        parts.append(f"HR {v.heart_rate}")
    if v.spo2 is not None:
        parts.append(f"SpO2 {v.spo2}%")
    if v.respiratory_rate is not None:
        parts.append(f"RR {v.respiratory_rate}")
    if v.symptoms:
        parts.append("symptoms: " + ", ".join(v.symptoms))
    return " · ".join(parts)


def _rating_text(r: Rating) -> str:
    parts = []
    if r.moaas is not None:
        parts.append(f"MOAA/S {r.moaas}")
    if r.dissociation_score is not None:
        parts.append(f"{r.dissociation_scale.upper()} {float(r.dissociation_score):g}")
    if r.emotional_state:
        parts.append(r.emotional_state)
    if r.note:
        parts.append(r.note)
    return " · ".join(parts)


def dose_row(d: DoseRecord) -> TimelineEntry:
    mgkg = f" ({d.mg_per_kg:.2f} mg/kg)" if d.mg_per_kg is not None else ""
    text = f"{float(d.amount_mg):g} mg{mgkg} {d.route}, {d.formulation}; by {d.given_by.full_name}"
    if d.lot:
        text += f"; lot {d.lot}"
    if d.justification:
        text += f"; outside protocol, justified: {d.justification}"
    return TimelineEntry(d.given_at, "dose", "Booster" if d.is_booster else "Dose", text, "dose", d)


def vitals_row(v: VitalReading) -> TimelineEntry:
    title = "Vitals (pre-dose)" if v.phase == VitalReading.Phase.PRE_DOSE else "Vitals"
    return TimelineEntry(v.taken_at, "vitals", title, _vitals_text(v), "", v)


def rating_row(r: Rating) -> TimelineEntry:
    return TimelineEntry(r.taken_at, "rating", "Rating", _rating_text(r), "", r)


def intervention_row(i: Intervention) -> TimelineEntry:
    return TimelineEntry(i.at, "intervention", i.get_kind_display(), i.description or "", "", i)


def event_row(e: AdverseEvent) -> TimelineEntry:
    serious = "SERIOUS, " if e.serious else ""
    text = f"{e.term.replace('_', ' ')} ({e.category}), {serious}{e.get_severity_display().lower()}; "
    text += f"outcome {e.get_outcome_display().lower()}"
    return TimelineEntry(e.onset_at, "ae", "Adverse event", text, "ae", e)


def alert_row(a: Alert) -> TimelineEntry:
    state = (
        f"acknowledged by {a.acknowledged_by.full_name if a.acknowledged_by else '?'}: {a.action_taken}"
        if a.acknowledged_at
        else "OPEN"
    )
    css = "alert" if a.is_open else "alert-done"
    return TimelineEntry(a.raised_at, "alert", f"Alert ({a.severity})", f"{a.message} — {state}", css, a)


def _timeline(session: CareSession, rows: Iterable[TimelineEntry]) -> list[TimelineEntry]:
    timeline: list[TimelineEntry] = []
    if session.started_at:
        detail = getattr(session, "dosing", None)
        decision = detail.get_decision_display() if detail and detail.decision else "started"
        timeline.append(TimelineEntry(session.started_at, "event", "Pre-dose check", decision))
    timeline.extend(rows)
    timeline.sort(key=lambda e: e.at)
    return timeline


# --------------------------------------------------------------------------------------------------
# The board, whole or in parts
# --------------------------------------------------------------------------------------------------


def dosing_board(
    session: CareSession, *, now: datetime | None = None, parts: frozenset[str] = ALL_PARTS
) -> DosingBoard:
    """The board of ``session``. Parts not asked for are left empty and not read: the timeline needs
    every kind of entry, the charts the readings, the alerts the open alerts, the clock the readings'
    and ratings' times. Every part reads the doses (the dose time anchors all of them)."""
    now = now or timezone.now()
    protocol = protocol_of(session.course)
    doses = list(session.doses.select_related("given_by").order_by("given_at", "pk"))
    wants_vitals = bool(parts & {TIMELINE, CHARTS, DUE, CLOCK})
    vitals = list(session.vitals.order_by("taken_at", "pk")) if wants_vitals else []
    ratings = list(session.ratings.order_by("taken_at", "pk")) if parts & {TIMELINE, DUE, CLOCK} else []
    alerts: list[Alert] = []
    if parts & {TIMELINE, ALERTS}:
        alerts = list(session.alerts.select_related("acknowledged_by").order_by("raised_at", "pk"))
    timeline: list[TimelineEntry] = []
    if TIMELINE in parts:
        rows: list[TimelineEntry] = [dose_row(d) for d in doses]
        rows += [vitals_row(v) for v in vitals] + [rating_row(r) for r in ratings]
        rows += [intervention_row(i) for i in session.interventions.order_by("at", "pk")]
        rows += [event_row(e) for e in session.adverse_events.order_by("onset_at", "pk")]
        rows += [alert_row(a) for a in alerts]
        timeline = _timeline(session, rows)
    first = doses[0].given_at if doses else None
    last = doses[-1].given_at if doses else None
    live = session.status == CareSession.Status.IN_PROGRESS
    v_due = r_due = None
    discharge_check = None
    if live and first is not None and parts & _TIMED:
        v_due = vitals_due(protocol, first, [v.taken_at for v in vitals], now)
        r_due = ratings_due(protocol, first, [r.taken_at for r in ratings], now)
    if live and last is not None and now >= last:
        discharge_check = check_discharge(protocol, last, now, {})
    return DosingBoard(
        session=session,
        protocol=protocol,
        doses=doses,
        vitals=vitals,
        ratings=ratings,
        open_alerts=[a for a in alerts if a.is_open],
        timeline=timeline,
        vitals_due=v_due,
        ratings_due=r_due,
        discharge=discharge_check,
        first_dose_at=first,
        last_dose_at=last,
        minutes_since_dose=int((now - first).total_seconds() // 60) if first else None,
        now=now,
    )


# --------------------------------------------------------------------------------------------------
# The stamp: has anything on the board changed since the tablet last looked?
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardStamp:
    """What the board's data was at one moment: the session's version and status, the newest row of
    each kind of entry, and the alerts acknowledged (the one entry that changes after it is written
    and shows it on the board). Two equal stamps mean the same data on the board."""

    version: int
    status: str
    doses: int
    vitals: int
    ratings: int
    interventions: int
    events: int
    alerts: int
    acknowledged: int

    def token(self) -> str:
        return ".".join(str(getattr(self, f.name)) for f in fields(self))

    @classmethod
    def parse(cls, token: str) -> BoardStamp | None:
        """The stamp a tablet sent back, or None if it is not one (then everything is redrawn)."""
        values = token.split(".")
        if len(values) != len(fields(cls)) or not values[1].isidentifier():
            return None
        numbers = [values[0], *values[2:]]
        if not all(v.isdigit() and len(v) < 19 for v in numbers):
            return None
        version, *newest = (int(v) for v in numbers)
        return cls(version, values[1], *newest)

    def changed(self, seen: BoardStamp | None) -> frozenset[str]:
        """The board's parts whose data differs from ``seen`` (all of them when nothing was seen)."""
        if seen is None:
            return ALL_PARTS
        found: set[str] = set()
        if self != seen:
            found.add(TIMELINE)
        if (self.vitals, self.doses) != (seen.vitals, seen.doses):
            found |= {CHARTS, DUE}
        if self.ratings != seen.ratings:
            found.add(DUE)
        if (self.alerts, self.acknowledged) != (seen.alerts, seen.acknowledged):
            found.add(ALERTS)
        return frozenset(found)

    def reshaped(self, seen: BoardStamp | None) -> bool:
        """A dose or a change of the session itself (a discharge) changes what the room offers, not
        only what it shows: the page is loaded again."""
        if seen is None:
            return False
        return (self.version, self.status, self.doses) != (seen.version, seen.status, seen.doses)


def _newest(model: type[Model], **where: object) -> Coalesce:
    rows = model._default_manager.filter(session=OuterRef("pk"), **where).order_by("-pk").values("pk")[:1]
    return Coalesce(Subquery(rows), 0)


def _count(model: type[Model], **where: object) -> Coalesce:
    rows = (
        model._default_manager.filter(session=OuterRef("pk"), **where)
        .order_by()
        .values("session")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows), 0)


def board_stamp(session: CareSession) -> BoardStamp:
    """The session's stamp, in one query."""
    row = (
        CareSession.objects.filter(pk=session.pk)
        .annotate(
            newest_dose=_newest(DoseRecord),
            newest_vitals=_newest(VitalReading),
            newest_rating=_newest(Rating),
            newest_intervention=_newest(Intervention),
            newest_event=_newest(AdverseEvent),
            newest_alert=_newest(Alert),
            acknowledged_alerts=_count(Alert, acknowledged_at__isnull=False),
        )
        .values_list(
            "version",
            "status",
            "newest_dose",
            "newest_vitals",
            "newest_rating",
            "newest_intervention",
            "newest_event",
            "newest_alert",
            "acknowledged_alerts",
        )
        .get()
    )
    version, status, *newest = row
    return BoardStamp(int(version), str(status), *(int(n) for n in newest))
