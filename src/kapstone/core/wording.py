"""Change from baseline in words: "PHQ-9 down 12 points (67 %) since baseline: response",
"GAD-7 up 6 points (43 %) since baseline: worse". Never a negative improvement.

Pure Python, no Django: plain numbers and the criteria's statuses in, one sentence out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

Number = int | float


def _n(value: Number) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def change_verdict(statuses: Mapping[str, str], *, better: bool, same: bool = False) -> str:
    """The one word a clinician reads first, strongest first: remission, response, reliably better;
    reliably worse, worse; or no change."""
    if same:
        return "no change"
    if better:
        if statuses.get("remission") == "met":
            return "remission"
        if statuses.get("response") == "met":
            return "response"
        if "improved" in (statuses.get("reliable_change"), statuses.get("reliable_change_fixed")):
            return "reliable improvement"
        return "better, not yet a response"
    if "deteriorated" in (statuses.get("reliable_change"), statuses.get("reliable_change_fixed")):
        return "reliably worse"
    return "worse"


def change_in_words(
    name: str,
    baseline: Number,
    latest: Number,
    *,
    lower_is_better: bool,
    statuses: Mapping[str, str] | None = None,
) -> str:
    difference = latest - baseline
    if difference == 0:
        return f"{name} unchanged since baseline ({_n(baseline)}): no change"
    direction = "down" if difference < 0 else "up"
    points = abs(difference)
    unit = "point" if points == 1 else "points"
    percent = f" ({round(points * 100 / abs(baseline))} %)" if baseline else ""
    better = (difference < 0) == lower_is_better
    verdict = change_verdict(statuses or {}, better=better)
    return f"{name} {direction} {_n(points)} {unit}{percent} since baseline: {verdict}"


_PERCENT = re.compile(r"(-?\d+(?:\.\d+)?)\s?% improvement")
_POINTS = re.compile(r"improvement (-?\d+(?:\.\d+)?) points?")


def _signed(number: str, unit: str) -> str:
    value = float(number)
    shown = f"{abs(value):g}"
    if value == 0:
        return f"no change ({shown} {unit})"
    return f"{shown} {unit} {'better' if value > 0 else 'worse'}"


def reason_in_words(text: str) -> str:
    """A criterion's reason with its signed "improvement" turned into better or worse:
    "-42.86% improvement < 50%" → "42.86 % worse < 50%"."""
    text = _PERCENT.sub(lambda m: _signed(m.group(1), "%"), text)
    return _POINTS.sub(lambda m: _signed(m.group(1), "points"), text)
