"""Chart geometry for server-rendered SVG: plain functions over plain data, no Django.

``build_chart`` turns scores over time, the instrument's severity bands and dosing-session dates
into positioned shapes (band rectangles with labels, points, a line, markers, ticks) and a text
summary for ``<desc>``. A template draws them with SVG presentation attributes and CSS classes
only (the CSP forbids inline style and script).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

WIDTH = 640
HEIGHT = 260
MARGIN_LEFT = 44
MARGIN_RIGHT = 16
MARGIN_TOP = 14
MARGIN_BOTTOM = 34
MIN_LABEL_HEIGHT = 13  # a band thinner than this (in px) keeps its label in the summary only
SHADES = 5  # CSS classes band-0 (least severe) .. band-4 (most severe)


@dataclass(frozen=True)
class Observation:
    when: datetime
    value: float
    label: str = ""  # e.g. the band, shown in the point's tooltip


@dataclass(frozen=True)
class Band:
    low: float
    high: float
    label: str


@dataclass(frozen=True)
class BandRect:
    x: float
    y: float
    width: float
    height: float
    label: str
    label_y: float
    show_label: bool
    shade: int
    low: float
    high: float


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    value: float
    when: datetime
    title: str


@dataclass(frozen=True)
class Marker:
    x: float
    when: date
    title: str

    @property
    def label_x(self) -> float:
        return self.x + 3


@dataclass(frozen=True)
class Tick:
    pos: float
    label: str
    text_pos: float  # where the label's baseline (y ticks) or centre (x ticks) goes


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: float
    top: float
    right: float
    bottom: float
    title: str
    desc: str
    bands: list[BandRect] = field(default_factory=list)
    points: list[Point] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)

    @property
    def line(self) -> str:
        """The ``points`` attribute of the polyline joining the observations."""
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    @property
    def band_label_x(self) -> float:
        return self.right - 6

    @property
    def y_tick_x(self) -> float:
        return self.left - 6

    @property
    def x_tick_y(self) -> float:
        return self.bottom + 20

    @property
    def marker_label_y(self) -> float:
        return self.top + 10

    @property
    def plot_width(self) -> float:
        return self.right - self.left

    @property
    def plot_height(self) -> float:
        return self.bottom - self.top


def scale(value: float, domain: tuple[float, float], span: tuple[float, float]) -> float:
    """Map ``value`` linearly from ``domain`` onto ``span``; a zero-width domain maps to the middle."""
    d0, d1 = domain
    r0, r1 = span
    if d1 == d0:
        return (r0 + r1) / 2
    return r0 + (value - d0) * (r1 - r0) / (d1 - d0)


def nice_step(extent: float, max_ticks: int = 6) -> float:
    """A 1/2/2.5/5 x 10^n step giving at most ``max_ticks`` intervals over ``extent``."""
    if extent <= 0:
        return 1.0
    raw = extent / max_ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 2.5, 5, 10):
        step = multiple * magnitude
        if step >= raw:
            return float(step)
    return float(10 * magnitude)  # pragma: no cover - the loop always returns


def y_ticks(low: float, high: float, max_ticks: int = 6, *, integer: bool = False) -> list[float]:
    """Round tick values inside [low, high]; whole numbers only when the score is a whole number."""
    step = nice_step(high - low, max_ticks)
    if integer:
        step = max(1.0, math.ceil(step))
    first = math.ceil(low / step) * step
    count = int(math.floor((high - first) / step + 1e-9)) + 1
    return [round(first + i * step, 6) for i in range(max(count, 0))]


def _fmt(value: float) -> str:
    return f"{value:g}"


def _as_datetime(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.combine(value, time(12, 0), tzinfo=UTC)


def _date_label(value: datetime, with_year: bool) -> str:
    return f"{value.day} {value:%b %Y}" if with_year else f"{value.day} {value:%b}"


def shade_for(index: int, count: int, worse_high: bool) -> int:
    """Map band ``index`` of ``count`` to a shade 0 (least severe) .. SHADES-1 (most severe)."""
    severity = index if worse_high else count - 1 - index
    if count <= 1:
        return 0
    return round(severity * (SHADES - 1) / (count - 1))


def band_rects(
    bands: Sequence[Band],
    y_domain: tuple[float, float],
    *,
    left: float,
    right: float,
    top: float,
    bottom: float,
    worse_high: bool = True,
    integer: bool = False,
) -> list[BandRect]:
    """Rectangles tiling the plot height without gaps. For whole-number scores a band covers its
    values +-0.5 (so a one-value band such as "High risk" = 3 still has a height); otherwise it runs
    from its low value to the next band's low value (the last to the top of the range)."""
    ordered = sorted(bands, key=lambda b: b.low)
    rects = []
    for index, band in enumerate(ordered):
        if integer:
            low, high = band.low - 0.5, band.high + 0.5
        else:
            low = band.low
            high = ordered[index + 1].low if index + 1 < len(ordered) else y_domain[1]
        low, high = max(low, y_domain[0]), min(high, y_domain[1])
        if high < low:
            continue
        y_top = scale(high, y_domain, (bottom, top))
        y_bottom = scale(low, y_domain, (bottom, top))
        height = max(y_bottom - y_top, 0.0)
        rects.append(
            BandRect(
                left,
                y_top,
                right - left,
                height,
                band.label,
                y_top + height / 2 + 4,
                height >= MIN_LABEL_HEIGHT,
                shade_for(index, len(ordered), worse_high),
                band.low,
                band.high,
            )
        )
    return rects


def describe(
    title: str,
    observations: Sequence[Observation],
    bands: Sequence[Band],
    markers: Sequence[date],
    *,
    unit: str = "total",
) -> str:
    """A one-paragraph summary for ``<desc>`` and screen readers."""
    if not observations:
        return f"{title}: no responses yet."
    first, last = observations[0], observations[-1]
    parts = [
        f"{title} {unit} from {_date_label(first.when, True)} to {_date_label(last.when, True)}: "
        f"{len(observations)} response{'s' if len(observations) != 1 else ''}"
    ]
    first_text = _fmt(first.value) + (f" ({first.label})" if first.label else "")
    last_text = _fmt(last.value) + (f" ({last.label})" if last.label else "")
    if len(observations) == 1:
        parts.append(f"score {first_text}")
    else:
        parts.append(f"first {first_text}, latest {last_text}")
        parts.append(
            f"lowest {_fmt(min(o.value for o in observations))}, "
            f"highest {_fmt(max(o.value for o in observations))}"
        )
    text = "; ".join(parts) + "."
    if bands:
        text += (
            " Shaded bands: "
            + ", ".join(
                f"{b.label} {_fmt(b.low)}" + (f"-{_fmt(b.high)}" if b.high != b.low else "")
                for b in sorted(bands, key=lambda b: b.low)
            )
            + "."
        )
    if markers:
        text += f" {len(markers)} dosing session{'s' if len(markers) != 1 else ''} marked."
    return text


def build_chart(
    title: str,
    observations: Sequence[Observation],
    y_domain: tuple[float, float],
    *,
    bands: Sequence[Band] = (),
    markers: Sequence[date] = (),
    worse_high: bool = True,
    unit: str = "total",
    integer: bool = False,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> Chart:
    """Lay out one instrument's scores over time. Observations are sorted by time here."""
    obs = sorted(observations, key=lambda o: o.when)
    left, right = float(MARGIN_LEFT), float(width - MARGIN_RIGHT)
    top, bottom = float(MARGIN_TOP), float(height - MARGIN_BOTTOM)
    low, high = y_domain
    for o in obs:  # a value outside the declared range still shows (and widens the axis)
        low, high = min(low, o.value), max(high, o.value)
    y_dom = (low, high) if high > low else (low - 1, high + 1)
    if integer:  # whole-number scores: half a unit of room so the end values are bands, not edges
        y_dom = (y_dom[0] - 0.5, y_dom[1] + 0.5)

    marker_times = sorted({_as_datetime(m) for m in markers})
    times = [o.when for o in obs] + marker_times
    if times:
        start, end = min(times), max(times)
    else:
        start = end = datetime.now(tz=UTC)
    if end - start < timedelta(days=2):
        start, end = start - timedelta(days=1), end + timedelta(days=1)
    pad = (end - start) * 0.04
    x_dom = ((start - pad).timestamp(), (end + pad).timestamp())

    def x_of(moment: datetime) -> float:
        return scale(moment.timestamp(), x_dom, (left, right))

    def y_of(value: float) -> float:
        return scale(value, y_dom, (bottom, top))

    with_year = start.year != end.year
    points = [
        Point(
            x_of(o.when),
            y_of(o.value),
            o.value,
            o.when,
            f"{_date_label(o.when, True)}: {_fmt(o.value)}" + (f" ({o.label})" if o.label else ""),
        )
        for o in obs
    ]
    marks = [Marker(x_of(m), m.date(), f"Dosing session {_date_label(m, True)}") for m in marker_times]
    count = 4 if (end - start) >= timedelta(days=6) else 2
    x_ticks = []
    for i in range(count):
        moment = start + (end - start) * (i / (count - 1))
        x_ticks.append(Tick(x_of(moment), _date_label(moment, with_year), x_of(moment)))
    ticks = [Tick(y_of(v), _fmt(v), y_of(v) + 4) for v in y_ticks(*y_dom, integer=integer)]
    rects = band_rects(
        bands, y_dom, left=left, right=right, top=top, bottom=bottom, worse_high=worse_high, integer=integer
    )
    return Chart(
        width,
        height,
        left,
        top,
        right,
        bottom,
        title,
        describe(title, obs, bands, [m.date() for m in marker_times], unit=unit),
        rects,
        points,
        marks,
        ticks,
        x_ticks,
    )
