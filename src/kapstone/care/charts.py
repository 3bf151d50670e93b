"""The dosing-room vitals chart: plain geometry for server-rendered SVG (no Django), reusing the
measures chart helpers (``scale``, ``y_ticks``). Three panels share the time axis (minutes after the
first dose): blood pressure and heart rate; SpO2; respiratory rate. The protocol's absolute alert
thresholds are drawn as dashed lines; doses as vertical markers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from kapstone.measures.charts import scale, y_ticks

WIDTH = 640
HEIGHT = 210
LEFT, RIGHT, TOP, BOTTOM = 40.0, 16.0, 12.0, 28.0


@dataclass(frozen=True)
class Sample:
    when: datetime
    value: float


@dataclass(frozen=True)
class Series:
    key: str  # css class: sbp | dbp | hr | spo2 | rr
    label: str
    samples: tuple[Sample, ...]


@dataclass(frozen=True)
class Threshold:
    key: str
    value: float
    label: str


@dataclass(frozen=True)
class PlotPoint:
    x: float
    y: float
    title: str


@dataclass(frozen=True)
class PlotSeries:
    key: str
    label: str
    points: tuple[PlotPoint, ...]

    @property
    def line(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


@dataclass(frozen=True)
class PlotLine:
    key: str
    y: float
    label: str


@dataclass(frozen=True)
class PlotMarker:
    x: float
    label: str


@dataclass(frozen=True)
class Tick:
    pos: float
    label: str


@dataclass
class Panel:
    title: str
    desc: str
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    series: list[PlotSeries] = field(default_factory=list)
    thresholds: list[PlotLine] = field(default_factory=list)
    markers: list[PlotMarker] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(s.points for s in self.series)


def _fmt(value: float) -> str:
    return f"{value:g}"


def _minutes(moment: datetime, origin: datetime) -> float:
    return (moment - origin).total_seconds() / 60


def build_panel(
    title: str,
    series: Sequence[Series],
    y_domain: tuple[float, float],
    *,
    origin: datetime,
    end: datetime,
    thresholds: Sequence[Threshold] = (),
    doses: Sequence[datetime] = (),
    width: int = WIDTH,
    height: int = HEIGHT,
) -> Panel:
    """Lay out one panel. x is minutes after ``origin`` (the first dose, or the session start)."""
    left, right, top, bottom = LEFT, width - RIGHT, TOP, height - BOTTOM
    times = [s.when for ser in series for s in ser.samples] + list(doses) + [origin, end]
    minutes = [_minutes(t, origin) for t in times]
    x0 = min(minutes)
    x1 = max(max(minutes), x0 + 60)
    low, high = y_domain
    for ser in series:
        for s in ser.samples:
            low, high = min(low, s.value), max(high, s.value)
    for t in thresholds:
        low, high = min(low, t.value), max(high, t.value)

    def x_of(moment: datetime) -> float:
        return scale(_minutes(moment, origin), (x0, x1), (left, right))

    def y_of(value: float) -> float:
        return scale(value, (low, high), (bottom, top))

    plotted = [
        PlotSeries(
            ser.key,
            ser.label,
            tuple(
                PlotPoint(
                    x_of(s.when), y_of(s.value), f"{ser.label} {_fmt(s.value)} at {_label(s.when, origin)}"
                )
                for s in sorted(ser.samples, key=lambda s: s.when)
            ),
        )
        for ser in series
    ]
    merged: dict[float, list[Threshold]] = {}
    for t in thresholds:  # thresholds at the same value share one line and one label
        merged.setdefault(t.value, []).append(t)
    lines = [
        PlotLine(group[0].key, y_of(value), " · ".join(t.label for t in group))
        for value, group in merged.items()
    ]
    markers = [PlotMarker(x_of(d), "Dose" if i == 0 else "Booster") for i, d in enumerate(sorted(doses))]
    step = 15 if x1 - x0 <= 120 else 30 if x1 - x0 <= 240 else 60
    first = int(x0 // step) * step
    x_ticks = []
    value = first
    while value <= x1:
        if value >= x0:
            x_ticks.append(Tick(scale(value, (x0, x1), (left, right)), f"{value:+g}" if value else "0"))
        value += step
    ticks = [Tick(y_of(v), _fmt(v)) for v in y_ticks(low, high, 5)]
    desc = _describe(title, series, thresholds)
    return Panel(
        title, desc, width, height, left, right, top, bottom, plotted, lines, markers, ticks, x_ticks
    )


def _label(moment: datetime, origin: datetime) -> str:
    minutes = round(_minutes(moment, origin))
    return f"{minutes:+d} min" if minutes else "dose time"


def _describe(title: str, series: Sequence[Series], thresholds: Sequence[Threshold]) -> str:
    parts = []
    for ser in series:
        if not ser.samples:
            continue
        ordered = sorted(ser.samples, key=lambda s: s.when)
        values = [s.value for s in ordered]
        parts.append(
            f"{ser.label}: {len(values)} reading{'s' if len(values) != 1 else ''}, "
            f"latest {_fmt(values[-1])}, range {_fmt(min(values))}-{_fmt(max(values))}"
        )
    if not parts:
        return f"{title}: no readings yet."
    text = f"{title}. " + "; ".join(parts) + "."
    if thresholds:
        text += " Alert lines: " + ", ".join(t.label for t in thresholds) + "."
    return text


def vitals_panels(
    readings: Sequence[object],
    *,
    origin: datetime,
    end: datetime,
    doses: Sequence[datetime],
    alert_rules: Sequence[object],
) -> list[Panel]:
    """Three panels from stored readings (objects with taken_at and the vital attributes) and the
    protocol's alert rules (objects with vital, op, value, from_baseline, label)."""

    def series(key: str, attr: str, label: str) -> Series:
        samples = tuple(
            Sample(r.taken_at, float(v))  # type: ignore[attr-defined]
            for r in readings
            if (v := getattr(r, attr, None)) is not None
        )
        return Series(key, label, samples)

    def lines(vitals: dict[str, str]) -> list[Threshold]:
        found = []
        for rule in alert_rules:
            vital = rule.vital  # type: ignore[attr-defined]
            if vital in vitals and not rule.from_baseline:  # type: ignore[attr-defined]
                value = float(rule.value.value)  # type: ignore[attr-defined]
                found.append(Threshold(vitals[vital], value, f"{vital_label(vital)} {rule.op} {_fmt(value)}"))  # type: ignore[attr-defined]
        return found

    top = build_panel(
        "Blood pressure and heart rate",
        [series("sbp", "systolic", "Systolic"), series("dbp", "diastolic", "Diastolic"),
         series("hr", "heart_rate", "Heart rate")],
        (50, 180),
        origin=origin, end=end, doses=doses,
        thresholds=lines({"systolic": "sbp", "diastolic": "dbp", "heart_rate": "hr"}),
    )  # fmt: skip
    oxygen = build_panel(
        "SpO2",
        [series("spo2", "spo2", "SpO2")],
        (88, 100),
        origin=origin, end=end, doses=doses, height=150,
        thresholds=lines({"spo2": "spo2"}),
    )  # fmt: skip
    breathing = build_panel(
        "Respiratory rate",
        [series("rr", "respiratory_rate", "Resp. rate")],
        (8, 24),
        origin=origin, end=end, doses=doses, height=150,
        thresholds=lines({"respiratory_rate": "rr"}),
    )  # fmt: skip
    return [top, oxygen, breathing]


def vital_label(vital: str) -> str:
    return {"systolic": "SBP", "diastolic": "DBP", "heart_rate": "HR", "spo2": "SpO2",
            "respiratory_rate": "RR", "moaas": "MOAA/S"}.get(vital, vital)  # fmt: skip
