"""Chart geometry (pure) and the server-rendered SVG on the client's measures page."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from measures_helpers import actor, phq9

from kapstone.measures import charts
from kapstone.measures.hooks import register_dosing_marker_source, unregister_dosing_marker_source
from kapstone.measures.services import response_submit

SVG = "{http://www.w3.org/2000/svg}"
PHQ9_BANDS = [
    charts.Band(0, 4, "Minimal"),
    charts.Band(5, 9, "Mild"),
    charts.Band(10, 14, "Moderate"),
    charts.Band(15, 19, "Moderately severe"),
    charts.Band(20, 27, "Severe"),
]
DAY0 = datetime(2025, 1, 6, 10, tzinfo=UTC)


def _obs(*values, step=14):
    return [charts.Observation(DAY0 + timedelta(days=step * i), v, f"band {v}") for i, v in enumerate(values)]


# --- pure geometry --------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "domain", "span", "expected"), [
    (0, (0, 27), (226, 14), 226), (27, (0, 27), (226, 14), 14), (13.5, (0, 27), (226, 14), 120),
    (5, (5, 5), (0, 100), 50),  # a zero-width domain maps to the middle
])  # fmt: skip
def test_scale(value, domain, span, expected):
    assert charts.scale(value, domain, span) == pytest.approx(expected)


@pytest.mark.parametrize(("low", "high", "ticks"), [
    (0, 27, [0, 5, 10, 15, 20, 25]), (0, 3, [0, 0.5, 1, 1.5, 2, 2.5, 3]), (0, 100, [0, 20, 40, 60, 80, 100]),
    (0, 600, [0, 100, 200, 300, 400, 500, 600]), (0, 80, [0, 20, 40, 60, 80]),
])  # fmt: skip
def test_y_ticks_are_round_numbers_inside_the_range(low, high, ticks):
    assert charts.y_ticks(low, high) == ticks


def test_whole_number_scores_get_whole_number_ticks():
    assert charts.y_ticks(0, 3, integer=True) == [0, 1, 2, 3]
    assert charts.y_ticks(0, 27, integer=True) == [0, 5, 10, 15, 20, 25]


def test_band_rectangles_tile_the_plot_without_gaps_and_darken_with_severity():
    rects = charts.band_rects(PHQ9_BANDS, (0, 27), left=40, right=600, top=10, bottom=280)
    assert [r.label for r in rects] == ["Minimal", "Mild", "Moderate", "Moderately severe", "Severe"]
    assert rects[0].y + rects[0].height == pytest.approx(280)
    assert rects[-1].y == pytest.approx(10)
    for lower, upper in zip(rects, rects[1:], strict=False):  # each band's top is the next band's bottom
        assert upper.y + upper.height == pytest.approx(lower.y)
    assert [r.shade for r in rects] == [0, 1, 2, 3, 4]
    reversed_ = charts.band_rects(
        PHQ9_BANDS, (0, 27), left=40, right=600, top=10, bottom=280, worse_high=False
    )
    assert [r.shade for r in reversed_] == [4, 3, 2, 1, 0]
    assert charts.shade_for(0, 1, True) == 0 and charts.shade_for(2, 3, True) == 4


def test_whole_number_bands_cover_their_values_so_one_value_bands_show():
    levels = [charts.Band(0, 0, "None"), charts.Band(1, 1, "Low"), charts.Band(2, 2, "Moderate"),
              charts.Band(3, 3, "High")]  # fmt: skip
    chart = charts.build_chart("C-SSRS", _obs(1, 3), (0, 3), bands=levels, integer=True)
    heights = [r.height for r in chart.bands]
    assert len(heights) == 4 and max(heights) - min(heights) < 1e-6 and heights[0] > 0
    assert [t.label for t in chart.y_ticks] == ["0", "1", "2", "3"]
    high = chart.bands[-1]
    assert high.y < chart.points[1].y < high.y + high.height  # the point for 3 sits inside "High"


def test_points_sit_at_their_date_and_score_and_higher_scores_are_higher_up():
    chart = charts.build_chart("PHQ-9", _obs(18, 12, 7), (0, 27), bands=PHQ9_BANDS)
    xs = [p.x for p in chart.points]
    ys = [p.y for p in chart.points]
    assert xs == sorted(xs) and ys[0] < ys[1] < ys[2]  # 18 is drawn above 12, above 7
    assert chart.points[0].y == pytest.approx(charts.scale(18, (0, 27), (chart.bottom, chart.top)))
    assert chart.line.count(",") == 3
    assert chart.points[0].title == "6 Jan 2025: 18 (band 18)"


def test_markers_are_placed_on_the_time_axis_and_widen_it():
    dosing = [date(2025, 1, 10), date(2025, 3, 1)]  # the second is after the last response
    chart = charts.build_chart("PHQ-9", _obs(18, 12), (0, 27), markers=dosing)
    assert [m.when for m in chart.markers] == dosing
    assert (
        chart.left
        < chart.points[0].x
        < chart.markers[0].x
        < chart.points[1].x
        < chart.markers[1].x
        < chart.right
    )


def test_the_description_summarises_for_screen_readers():
    text = charts.describe("PHQ-9", _obs(18, 12, 7), PHQ9_BANDS[:2], [date(2025, 1, 10)])
    assert text.startswith("PHQ-9 total from 6 Jan 2025 to 3 Feb 2025: 3 responses;")
    assert "first 18 (band 18), latest 7 (band 7)" in text and "lowest 7, highest 18" in text
    assert "Shaded bands: Minimal 0-4, Mild 5-9." in text and "1 dosing session marked." in text
    assert charts.describe("GAD-7", [], [], []) == "GAD-7: no responses yet."


def test_a_single_response_and_an_out_of_range_value_still_draw():
    one = charts.build_chart("GAD-7", _obs(4), (0, 21))
    assert len(one.points) == 1 and one.left < one.points[0].x < one.right
    wide = charts.build_chart("X", _obs(30), (0, 27))
    assert wide.top <= wide.points[0].y <= wide.bottom


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2000), st.floats(0, 27)), min_size=1, max_size=40))
def test_every_point_lies_inside_the_plot(data):
    obs = [charts.Observation(DAY0 + timedelta(days=d), v) for d, v in data]
    chart = charts.build_chart("PHQ-9", obs, (0, 27), bands=PHQ9_BANDS)
    for p in chart.points:
        assert chart.left <= p.x <= chart.right and chart.top <= p.y <= chart.bottom


# --- the rendered page ----------------------------------------------------------------------------


def _svgs(html):
    # Our own server's output, parsed to check it is well-formed SVG.
    return [ET.fromstring(m) for m in re.findall(r"<svg\b.*?</svg>", html, flags=re.S)]  # noqa: S314


@pytest.fixture
def rowan_history(world):
    rowan = world.clients["rowan"]
    now = timezone.now()
    for days, base in ((60, 2), (40, 2), (20, 1), (5, 0)):
        response_submit(
            actor(world, "theo"), rowan, "phq9", phq9(base=base), administered_at=now - timedelta(days=days)
        )
    response_submit(actor(world, "theo"), rowan, "gad7", {f"gad7_{i}": 1 for i in range(1, 8)})
    return rowan


@pytest.mark.django_db
def test_the_measures_page_draws_one_accessible_svg_per_instrument(world, as_user, rowan_history):
    html = as_user("theo").get(f"/measures/clients/{rowan_history.pk}/").content.decode()
    gad7, phq = _svgs(html)  # instruments in id order
    assert phq.get("role") == "img" and phq.get("aria-labelledby") == "chart-phq9-title chart-phq9-desc"
    assert phq.find(f"{SVG}title").text == "PHQ-9 over time"
    desc = phq.find(f"{SVG}desc").text
    assert "4 responses" in desc and "first 16 (Moderately severe depression), latest 0" in desc
    bands = phq.findall(f".//{SVG}rect")
    assert [b.get("data-band") for b in bands] == [
        "Minimal depression",
        "Mild depression",
        "Moderate depression",
        "Moderately severe depression",
        "Severe depression",
    ]
    assert all("band-" in b.get("class") for b in bands)
    assert len(phq.findall(f".//{SVG}circle")) == 4 and phq.find(f".//{SVG}polyline") is not None
    labels = [t.text for t in phq.findall(f".//{SVG}text") if t.get("class") == "band-label"]
    assert "Severe depression" in labels
    assert len(gad7.findall(f".//{SVG}circle")) == 1 and gad7.find(f".//{SVG}polyline") is None
    assert 'style="' not in html and "<script>" not in html  # CSP: presentation attributes and classes only


@pytest.mark.django_db
def test_the_numbers_are_one_click_away_and_change_is_shown_with_its_rationale(world, as_user, rowan_history):
    html = as_user("theo").get(f"/measures/clients/{rowan_history.pk}/").content.decode()
    assert html.count("<summary>Show the numbers</summary>") == 2
    table = html.split("<summary>Show the numbers</summary>")[2].split("</table>")[0]  # the PHQ-9 one
    assert table.count("<tr>") == 5  # header + 4 responses
    assert "Baseline 16" in html and "latest 0" in html and "% improvement" not in html
    assert "PHQ-9 down 16 points (100 %) since baseline: remission" in html
    assert "Response</th><td>Met" in html and "Remission</th><td>Met" in html
    assert "Reliable change (published threshold)</th><td>Improved" in html
    assert "Reliable change (RCI)</th><td>Cannot compute" in html  # no clinic SD and r yet
    assert "Rationale" in html and "PHQ-9 16 -&gt; 0" in html


@pytest.mark.django_db
def test_dosing_sessions_from_the_care_module_hook_are_marked(world, as_user, rowan_history):
    day = (timezone.now() - timedelta(days=30)).date()

    def source(client):
        return [day] if client.pk == rowan_history.pk else []

    register_dosing_marker_source(source)
    try:
        html = as_user("theo").get(f"/measures/clients/{rowan_history.pk}/").content.decode()
    finally:
        unregister_dosing_marker_source(source)
    phq = _svgs(html)[1]
    markers = [line for line in phq.findall(f".//{SVG}line") if line.get("class") == "marker"]
    assert len(markers) == 1 and "1 dosing session marked." in phq.find(f"{SVG}desc").text
    assert "Dashed lines mark dosing sessions." in html
