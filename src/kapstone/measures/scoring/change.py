"""Change between a baseline and a latest score, from the thresholds in the definition.

* response: improvement of at least X % of the baseline total;
* remission: the latest total compared with the remission cut (e.g. PHQ-9 ``< 5``);
* reliable change (Jacobson & Truax): ``RC = (latest - baseline) / (SD1 * sqrt(2) * sqrt(1 - r))``,
  reliable when ``|RC| > z`` (1.96 unless the definition says otherwise), using the baseline SD
  and reliability the definition (or the clinic, through options) supplies;
* reliable change by a published fixed threshold (e.g. IAPT: PHQ-9 improvement of 6 or more);
* minimal important change (e.g. PHQ-9 5 points).

Direction-aware: "improvement" is a fall for ``lower_is_better`` instruments and a rise for
``higher_is_better`` ones. Fails closed: anything missing gives ``cannot_compute`` with a reason,
never a guess. Pure Python, no Django.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from .engine import ScoreResult, resolve_options
from .instrument import ChangeSpec, Instrument, Number, Threshold
from .rules import OPS, Operand, OptionRef

MET = "met"
NOT_MET = "not_met"
CANNOT = "cannot_compute"
IMPROVED = "improved"
DETERIORATED = "deteriorated"
NO_RELIABLE_CHANGE = "no_reliable_change"

_CRITERIA = ("response", "remission", "reliable_change", "reliable_change_fixed", "minimal_important_change")


@dataclass(frozen=True, slots=True)
class Criterion:
    """One change criterion. ``status`` is met / not_met (response, remission, minimal important
    change) or improved / deteriorated / no_reliable_change (the two reliable-change criteria),
    or cannot_compute."""

    status: str
    value: float | None  # the statistic: % improvement, latest total, RC, points of improvement
    threshold: float | None
    reason: str
    sources: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "status": self.status,
            "value": self.value,
            "threshold": self.threshold,
            "reason": self.reason,
            "sources": list(self.sources),
        }


@dataclass(frozen=True, slots=True)
class ChangeResult:
    instrument: str
    version: str
    computable: bool
    direction: str | None
    baseline_total: Number | None
    latest_total: Number | None
    difference: Number | None  # latest - baseline
    improvement: Number | None  # positive means better, whatever the direction
    percent_improvement: float | None
    response: Criterion
    remission: Criterion
    reliable_change: Criterion  # Jacobson-Truax RCI
    reliable_change_fixed: Criterion  # published fixed threshold
    minimal_important_change: Criterion
    rationale: str
    options: dict[str, object]

    def to_dict(self) -> dict[str, object]:
        result: dict[str, object] = {
            "instrument": self.instrument,
            "version": self.version,
            "computable": self.computable,
            "direction": self.direction,
            "baseline_total": self.baseline_total,
            "latest_total": self.latest_total,
            "difference": self.difference,
            "improvement": self.improvement,
            "percent_improvement": self.percent_improvement,
        }
        for name in _CRITERIA:
            criterion: Criterion = getattr(self, name)
            result[name] = criterion.to_dict()
        result["rationale"] = self.rationale
        result["options"] = dict(self.options)
        return result


def _g(value: float) -> str:
    return f"{value:g}"


def _cannot(reason: str, sources: tuple[str, ...] = ()) -> Criterion:
    return Criterion(CANNOT, None, None, f"cannot compute: {reason}", sources)


def _resolve(value: Operand, opts: Mapping[str, object]) -> tuple[float | None, str]:
    """A threshold's number, or ``None`` and the reason it is unavailable."""
    if isinstance(value, OptionRef):
        chosen = opts[value.name]
        if chosen is None:
            return None, f"option {value.name} is not set (a clinic must supply it)"
        return float(chosen), ""  # type: ignore[arg-type]
    return float(value), ""


def _threshold(
    spec: Threshold | None, what: str, opts: Mapping[str, object]
) -> tuple[float | None, str, tuple[str, ...]]:
    if spec is None:
        return None, f"the definition gives no {what}", ()
    value, why = _resolve(spec.value, opts)
    return value, why, spec.sources


def _blocking_reason(
    instrument: Instrument, baseline: ScoreResult, latest: ScoreResult, option_errors: list[dict[str, object]]
) -> str | None:
    if instrument.change is None:
        return f"{instrument.id} {instrument.version} defines no change thresholds"
    if option_errors:
        return "invalid options: " + "; ".join(str(e["message"]) for e in option_errors)
    for which, result in (("baseline", baseline), ("latest", latest)):
        if result.instrument != instrument.id:
            return f"the {which} score is for {result.instrument}, not {instrument.id}"
        if (
            result.version != instrument.version
            and result.version not in instrument.change.comparable_versions
        ):
            return (
                f"the {which} score was made with {instrument.id} {result.version}, which this "
                f"definition ({instrument.version}) does not list as comparable"
            )
        if not result.complete or result.total is None:
            return f"the {which} score is incomplete"
    return None


def compare(
    instrument: Instrument,
    baseline: ScoreResult,
    latest: ScoreResult,
    options: Mapping[str, object] | None = None,
) -> ChangeResult:
    """Change statistics from ``baseline`` to ``latest`` under ``instrument``'s thresholds."""
    opts, option_errors = resolve_options(instrument, options)
    blocked = _blocking_reason(instrument, baseline, latest, option_errors)
    if blocked is not None:
        nothing = _cannot(blocked)
        return ChangeResult(
            instrument.id,
            instrument.version,
            False,
            None,
            None,
            None,
            None,
            None,
            None,
            nothing,
            nothing,
            nothing,
            nothing,
            nothing,
            f"cannot compute: {blocked}",
            dict(opts),
        )
    spec = instrument.change
    assert spec is not None and baseline.total is not None and latest.total is not None
    before, after = baseline.total, latest.total
    difference = after - before
    improvement = -difference if spec.direction == "lower_is_better" else difference
    percent = round(improvement * 100 / before, 2) if before != 0 else None

    response = _response(spec, improvement, before, percent, opts)
    remission = _remission(spec, after, opts)
    rci = _rci(spec, difference, opts)
    fixed = _fixed(spec, improvement, opts)
    mic = _mic(spec, improvement, opts)

    direction = "lower is better" if spec.direction == "lower_is_better" else "higher is better"
    head = (
        f"{instrument.short_title} {_g(before)} -> {_g(after)} "
        f"({'+' if difference >= 0 else ''}{_g(difference)} points; {direction})"
    )
    parts = [head] + [
        f"{label}: {c.reason}"
        for label, c in (
            ("Response", response),
            ("Remission", remission),
            ("Reliable change (RCI)", rci),
            ("Reliable change (fixed threshold)", fixed),
            ("Minimal important change", mic),
        )
    ]
    return ChangeResult(
        instrument.id,
        instrument.version,
        True,
        spec.direction,
        before,
        after,
        difference,
        improvement,
        percent,
        response,
        remission,
        rci,
        fixed,
        mic,
        ". ".join(parts) + ".",
        dict(opts),
    )


def _response(
    spec: ChangeSpec, improvement: Number, before: Number, percent: float | None, opts: Mapping[str, object]
) -> Criterion:
    threshold, why, sources = _threshold(spec.response_percent, "response threshold", opts)
    if threshold is None:
        return _cannot(why, sources)
    if percent is None:
        return _cannot("the baseline total is 0, so a percentage change is undefined", sources)
    exact = improvement * 100 / before
    met = exact >= threshold
    return Criterion(
        MET if met else NOT_MET,
        percent,
        threshold,
        f"{_g(percent)}% improvement {'>=' if met else '<'} {_g(threshold)}%",
        sources,
    )


def _remission(spec: ChangeSpec, after: Number, opts: Mapping[str, object]) -> Criterion:
    threshold, why, sources = _threshold(spec.remission, "remission threshold", opts)
    if threshold is None:
        return _cannot(why, sources)
    assert spec.remission is not None and spec.remission.op is not None
    op = spec.remission.op
    met = OPS[op](after, threshold)
    verdict = "met" if met else "not met"
    return Criterion(
        MET if met else NOT_MET,
        float(after),
        threshold,
        f"{verdict} (latest {_g(after)}; remission is {op} {_g(threshold)})",
        sources,
    )


def _fixed(spec: ChangeSpec, improvement: Number, opts: Mapping[str, object]) -> Criterion:
    points, why, sources = _threshold(spec.reliable_change, "fixed reliable-change threshold", opts)
    if points is None:
        return _cannot(why, sources)
    if improvement >= points:
        status = IMPROVED
    elif improvement <= -points:
        status = DETERIORATED
    else:
        status = NO_RELIABLE_CHANGE
    return Criterion(
        status,
        float(improvement),
        points,
        f"{status.replace('_', ' ')} (improvement {_g(improvement)} points; threshold {_g(points)})",
        sources,
    )


def _mic(spec: ChangeSpec, improvement: Number, opts: Mapping[str, object]) -> Criterion:
    points, why, sources = _threshold(spec.minimal_important_change, "minimal important change", opts)
    if points is None:
        return _cannot(why, sources)
    met = improvement >= points
    return Criterion(
        MET if met else NOT_MET,
        float(improvement),
        points,
        f"{'met' if met else 'not met'} (improvement {_g(improvement)} points; "
        f"minimal important change {_g(points)})",
        sources,
    )


def _rci(spec: ChangeSpec, difference: Number, opts: Mapping[str, object]) -> Criterion:
    if spec.rci is None:
        return _cannot("the definition gives no SD and reliability for the RCI")
    sources = spec.rci.sources
    sd, why_sd = _resolve(spec.rci.sd, opts)
    reliability, why_r = _resolve(spec.rci.reliability, opts)
    z, why_z = _resolve(spec.rci.z, opts)
    if sd is None or reliability is None or z is None:
        return _cannot(why_sd or why_r or why_z, sources)
    if sd <= 0 or not 0 <= reliability < 1:
        return _cannot("the SD must be above 0 and the reliability from 0 to below 1", sources)
    se_diff = sd * math.sqrt(2) * math.sqrt(1 - reliability)
    rc = difference / se_diff
    if abs(rc) > z:
        better = rc < 0 if spec.direction == "lower_is_better" else rc > 0
        status = IMPROVED if better else DETERIORATED
    else:
        status = NO_RELIABLE_CHANGE
    return Criterion(
        status,
        round(rc, 3),
        z,
        f"{status.replace('_', ' ')} (RC {rc:.2f}, |RC| {'>' if abs(rc) > z else '<='} {_g(z)}; "
        f"SE_diff {se_diff:.2f} from SD {_g(sd)} and r {_g(reliability)}; "
        f"minimum reliable change {z * se_diff:.2f} points)",
        sources,
    )
