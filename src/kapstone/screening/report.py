"""The prescriber's report of a stored screening: flags first (contraindicated, then prescriber
judgement, then insufficient information), each with its rationale and cited sources, then the
clinic checklist, then the rules that were clear. Built from the stored result only, so it reads
exactly as it did when the screening was run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kapstone.screening.models import ScreeningEvaluation

LEVEL_LABELS = {
    "contraindicated": "Contraindication",
    "prescriber_judgement": "Prescriber judgement",
    "clinic_policy": "Clinic checklist",
}
OUTCOME_LABELS = {
    "contraindicated": "Contraindicated",
    "insufficient_information": "Insufficient information",
    "needs_prescriber_review": "Needs prescriber review",
    "no_flags": "No flags",
}


@dataclass(frozen=True)
class Citation:
    key: str
    citation: str
    grade: str | None
    url: str | None


@dataclass(frozen=True)
class Item:
    id: str
    level: str
    level_label: str
    title: str
    outcome: str
    rationale: str
    sources: list[Citation]
    facts: list[tuple[str, str]]
    missing_facts: list[str]


@dataclass
class Report:
    outcome: str
    outcome_label: str
    summary: str
    ruleset_label: str
    contraindicated: list[Item] = field(default_factory=list)
    judgement: list[Item] = field(default_factory=list)
    insufficient: list[Item] = field(default_factory=list)
    checklist: list[Item] = field(default_factory=list)
    checklist_not_applicable: list[Item] = field(default_factory=list)
    clear: list[Item] = field(default_factory=list)
    missing_facts: list[str] = field(default_factory=list)
    derived_facts: dict[str, str] = field(default_factory=dict)
    settings_overridden: list[tuple[str, object]] = field(default_factory=list)

    @property
    def flags(self) -> list[Item]:
        return self.contraindicated + self.judgement + self.insufficient


def _show(value: object) -> str:
    if value is None:
        return "not known"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    return str(value)


def _item(raw: dict[str, Any], sources: dict[str, Any]) -> Item:
    cites = []
    for key in raw.get("source", []):
        entry = sources.get(key) or {}
        cites.append(Citation(key, str(entry.get("citation", key)), entry.get("grade"), entry.get("url")))
    return Item(
        id=str(raw["id"]),
        level=str(raw["level"]),
        level_label=LEVEL_LABELS.get(raw["level"], raw["level"]),
        title=str(raw["title"]),
        outcome=str(raw["outcome"]),
        rationale=str(raw["rationale"]),
        sources=cites,
        facts=[(k, _show(v)) for k, v in (raw.get("facts") or {}).items()],
        missing_facts=list(raw.get("missing_facts") or []),
    )


def build_report(evaluation: ScreeningEvaluation) -> Report:
    result = evaluation.result
    sources = evaluation.sources or {}
    report = Report(
        outcome=evaluation.outcome,
        outcome_label=OUTCOME_LABELS.get(evaluation.outcome, evaluation.outcome),
        summary=str(result.get("summary", "")),
        ruleset_label=evaluation.ruleset_label,
        missing_facts=list(result.get("missing_facts", [])),
        derived_facts=dict(result.get("derived_facts", {})),
        settings_overridden=[(k, evaluation.settings_used.get(k)) for k in evaluation.settings_overridden],
    )
    for raw in result.get("rules", []):
        item = _item(raw, sources)
        if item.outcome == "flagged":
            (report.contraindicated if item.level == "contraindicated" else report.judgement).append(item)
        elif item.outcome == "insufficient_information":
            report.insufficient.append(item)
        else:
            report.clear.append(item)
    for raw in result.get("checklist", []):
        item = _item(raw, sources)
        (report.checklist_not_applicable if item.outcome == "clear" else report.checklist).append(item)
    return report
