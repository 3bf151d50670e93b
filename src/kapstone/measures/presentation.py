"""Turn read models into what the templates show: charts, change rows, answer rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from kapstone.measures import charts
from kapstone.measures.instruments import Instrument, item_text, scoring_method, total_range
from kapstone.measures.models import Response
from kapstone.measures.scoring import ChangeResult
from kapstone.measures.selectors import ClientMeasures, InstrumentHistory

CRITERIA = (
    ("response", "Response"),
    ("remission", "Remission"),
    ("reliable_change", "Reliable change (RCI)"),
    ("reliable_change_fixed", "Reliable change (published threshold)"),
    ("minimal_important_change", "Minimal important change"),
)
STATUS_TEXT = {
    "met": "Met",
    "not_met": "Not met",
    "improved": "Improved",
    "deteriorated": "Deteriorated",
    "no_reliable_change": "No reliable change",
    "cannot_compute": "Cannot compute",
}


@dataclass(frozen=True)
class CriterionRow:
    label: str
    status: str
    status_text: str
    reason: str
    sources: list[str]


@dataclass(frozen=True)
class HistoryPanel:
    history: InstrumentHistory
    chart: charts.Chart | None
    criteria: list[CriterionRow]
    change: ChangeResult | None


def chart_for(history: InstrumentHistory, dosing_dates: list[date]) -> charts.Chart | None:
    instrument = history.instrument
    scored = [r for r in history.responses if r.total is not None]
    if instrument is None or not scored:
        return None
    options = history.latest.result.get("options") or {}
    y_domain = total_range(instrument, options)
    bands = [charts.Band(b.min, b.max, b.label) for b in instrument.bands]
    worse_high = instrument.change is None or instrument.change.direction == "lower_is_better"
    observations = [
        charts.Observation(r.administered_at, float(r.total), r.band)  # type: ignore[arg-type]
        for r in scored
    ]
    unit = "level" if instrument.scoring.method == "highest_level" else "score"
    integer = scoring_method(instrument, options) != "mean"
    return charts.build_chart(
        instrument.short_title,
        observations,
        y_domain,
        bands=bands,
        markers=dosing_dates,
        worse_high=worse_high,
        unit=unit,
        integer=integer,
    )


def criteria_rows(change: ChangeResult | None) -> list[CriterionRow]:
    if change is None or not change.computable:
        return []
    rows = []
    for name, label in CRITERIA:
        criterion = getattr(change, name)
        rows.append(
            CriterionRow(
                label,
                criterion.status,
                STATUS_TEXT.get(criterion.status, criterion.status),
                criterion.reason,
                list(criterion.sources),
            )
        )
    return rows


def history_panels(data: ClientMeasures) -> list[HistoryPanel]:
    return [
        HistoryPanel(h, chart_for(h, data.dosing_dates), criteria_rows(h.change), h.change)
        for h in data.histories
    ]


@dataclass(frozen=True)
class AnswerRow:
    number: int | str
    item_id: str
    text: str
    value: object
    label: str


def answer_rows(
    instrument: Instrument | None, response: Response, texts: Mapping[str, str] | None = None
) -> list[AnswerRow]:
    """Each stored answer with the item wording and the option label it stands for."""
    if instrument is None:
        return [AnswerRow("", k, k, v, "") for k, v in response.answers.items()]
    rows = []
    for item in instrument.items:
        if item.id not in response.answers:
            continue
        value = response.answers[item.id]
        label = next((o.label for o in item.response.options if o.value == value), "")
        rows.append(AnswerRow(item.position, item.id, item_text(instrument, item.id, texts), value, label))
    return rows
