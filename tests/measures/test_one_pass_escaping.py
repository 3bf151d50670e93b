"""The one-pass HTML builders (caseload rows, a history's numbers, the SVG chart) escape every text
they did not write themselves: a name, a band, a version or a title holding markup comes out as text.
Table-driven over each builder and each text it takes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from kapstone.measures.charts import BandRect, Chart, Marker, Point, Tick
from kapstone.measures.selectors import Caseload, CaseloadRow, Cell
from kapstone.measures.templatetags.measures import caseload_rows, chart_svg, response_rows

HOSTILE = '<img src=x onerror="alert(1)">&'
ESCAPED = "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;"
WHEN = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def _caseload(name: str = "Fern", band: str = "Mild", due: str = "PHQ-9") -> str:
    client = SimpleNamespace(pk=7, display_name=name)
    cell = Cell(total=9.0, band=band, administered_at=WHEN, previous=12.0, trend="better")
    row = CaseloadRow(client, {"phq9": cell, "gad7": None}, open_tasks=1, due=[due])  # type: ignore[arg-type]
    return str(caseload_rows(Caseload([], [row])))


def _responses(band: str = "Mild", version: str = "1.0.0") -> str:
    response = SimpleNamespace(
        pk=3, administered_at=WHEN, total=9.0, band=band, instrument_version=version, flags=[{}],
        get_source_display=lambda: "Recorded by a clinician",
    )  # fmt: skip
    return str(response_rows([response]))


CHART = Chart(
    width=640, height=240, left=40, top=14, right=620, bottom=206, title="PHQ-9", desc="Two scores.",
    bands=[BandRect(40, 14, 580, 40, "Mild", 30, True, 1, 5, 9)],
    points=[Point(60, 100, 9, WHEN, "9 Mild"), Point(90, 80, 7, WHEN, "7 Mild")],
    markers=[Marker(70, WHEN.date(), "Dosing 2 Nov")],
    y_ticks=[Tick(100, "9", 104)], x_ticks=[Tick(60, "2 Nov", 60)],
)  # fmt: skip


def _chart(**changes: Any) -> str:
    chart = CHART
    for name, value in changes.items():
        if name in ("band", "point", "marker", "y_tick", "x_tick"):
            field = {"band": "bands", "point": "points", "marker": "markers", "y_tick": "y_ticks",
                     "x_tick": "x_ticks"}[name]  # fmt: skip
            attribute = {"band": "label", "point": "title", "marker": "title"}.get(name, "label")
            items = getattr(chart, field)
            chart = replace(chart, **{field: [replace(items[0], **{attribute: value}), *items[1:]]})
        else:
            chart = replace(chart, **{name: value})
    return str(chart_svg(chart, "phq9"))


@pytest.mark.parametrize(
    ("build", "where"),
    [
        (lambda: _caseload(name=HOSTILE), "client name"),
        (lambda: _caseload(band=HOSTILE), "band"),
        (lambda: _caseload(due=HOSTILE), "measure due"),
        (lambda: _responses(band=HOSTILE), "band"),
        (lambda: _responses(version=HOSTILE), "instrument version"),
        (lambda: _chart(title=HOSTILE), "chart title"),
        (lambda: _chart(desc=HOSTILE), "description"),
        (lambda: _chart(band=HOSTILE), "band label"),
        (lambda: _chart(point=HOSTILE), "point tooltip"),
        (lambda: _chart(marker=HOSTILE), "dosing marker"),
        (lambda: _chart(y_tick=HOSTILE), "y tick"),
        (lambda: _chart(x_tick=HOSTILE), "x tick"),
    ],
)
def test_markup_in_a_text_comes_out_as_text(build: Any, where: str) -> None:
    html = build()
    assert ESCAPED in html, where
    assert "<img" not in html and 'onerror="' not in html, where


def test_the_builders_write_their_own_markup_unescaped() -> None:
    assert '<a href="/measures/clients/7/">Fern</a>' in _caseload()
    assert '<a href="/measures/responses/3/">2 Nov 2026 09:30</a>' in _responses()
    svg = _chart()
    assert svg.startswith('<figure class="chart">') and '<polyline class="line" fill="none"' in svg
