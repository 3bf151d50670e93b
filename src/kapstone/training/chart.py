"""The competency chart: levels over time, one line per competency, drawn as SVG on the server.

Every text is escaped; the numbers are in a table beside it (the page puts it one click away).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

W, ROW_H, LEFT, RIGHT = 640, 46, 210, 20


@dataclass(frozen=True)
class Series:
    title: str
    points: Sequence[tuple[dt.datetime, int]]


def levels_chart(series: Sequence[Series], *, levels: int = 4) -> SafeString:
    """One strip per competency: x is time (shared), y the level 1…levels."""
    moments = [when for s in series for when, _ in s.points]
    start = min(moments) if moments else dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    end = max(moments) if moments else start
    span = max((end - start).total_seconds(), 1.0)
    height = ROW_H * len(series) + 24
    out = [
        f'<svg class="chart-svg" viewBox="0 0 {W} {height}" role="img" '
        f'aria-labelledby="competency-chart-title" width="100%">'
        '<title id="competency-chart-title">Competency levels over time (1 = beginning, '
        f"{levels} = proficient)</title>"
    ]
    for row, s in enumerate(series):
        top = 12 + row * ROW_H
        out.append(f'<text class="tick" x="4" y="{top + ROW_H / 2:.0f}">{escape(s.title[:32])}</text>')
        out.append(
            f'<line class="grid" x1="{LEFT}" x2="{W - RIGHT}" y1="{top + ROW_H - 6}" y2="{top + ROW_H - 6}"/>'
        )
        coords = []
        for when, level in s.points:
            x = LEFT + (W - LEFT - RIGHT) * (
                (when - start).total_seconds() / span if len(moments) > 1 else 0.5
            )
            y = top + ROW_H - 6 - (ROW_H - 12) * (level - 1) / max(levels - 1, 1)
            coords.append((x, y, level))
        if len(coords) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in coords)
            out.append(f'<polyline class="line" fill="none" points="{path}"/>')
        for x, y, level in coords:
            out.append(
                f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="4"><title>Level {level}</title></circle>'
            )
        if not coords:
            out.append(f'<text class="tick" x="{LEFT}" y="{top + ROW_H / 2:.0f}">not yet assessed</text>')
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 (every text above is escaped; numbers are formatted)
