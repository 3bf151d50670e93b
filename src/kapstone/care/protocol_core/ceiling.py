"""The absolute dose ceiling: per dose and per session, in mg and mg/kg, and the decimal-slip guard.

Every breach is a hard stop that no justification overrides: a higher ceiling takes a new protocol
version saved by a prescriber (audited). A protocol without a ceiling cannot be checked (fail closed).
Pure Python, no Django.
"""

from __future__ import annotations

from .protocol import Protocol, Value
from .results import HARD_STOP, OK, Finding

__all__ = ["check_ceiling"]

_REL = 1e-9
_HOW = (
    "absolute ceiling: no justification can override it; a higher ceiling needs a new protocol "
    "version saved by a prescriber"
)


def _fmt(value: float) -> str:
    return f"{value:.6g}"


def _limit(code: str, cap: Value, actual: float | None, unit: str, what: str, label: str) -> Finding | None:
    if actual is None:
        return None
    bound = float(cap.value)
    breached = actual > bound * (1 + _REL)
    common: dict[str, object] = {
        "limit": cap.field,
        "limit_value": bound,
        "actual": actual,
        "unit": unit,
        "sources": cap.provenance.sources,
        "clinic_setting": cap.provenance.clinic_setting,
    }
    if breached:
        message = (
            f"{what} {_fmt(actual)} {unit} is above {label} of {_fmt(bound)} {unit} ({cap.cite()}); {_HOW}"
        )
        return Finding(code, HARD_STOP, message, **common)  # type: ignore[arg-type]
    message = f"{what} {_fmt(actual)} {unit} is within {label} of {_fmt(bound)} {unit} ({cap.cite()})"
    return Finding(code, OK, message, **common)  # type: ignore[arg-type]


def check_ceiling(
    protocol: Protocol,
    *,
    amount: float,
    mg_per_kg: float | None,
    total: float,
    total_per_kg: float | None,
    reference_mg: float | None,
    reference_label: str,
) -> tuple[list[Finding], bool]:
    """The ceiling findings for one dose, and whether the check was complete. ``reference_mg`` is the
    dose the decimal-slip guard compares with (the previous session's dose, or this session's first
    dose for a booster); ``None`` when there is none."""
    ceiling = protocol.ceiling
    if ceiling is None:
        message = (
            "cannot check: this protocol version has no [ceiling] (absolute per-dose and per-session "
            "maximum); a prescriber must save a version that has one"
        )
        return [Finding("ceiling_missing", HARD_STOP, message)], False
    rows = (
        ("ceiling_mg", ceiling.max_mg, amount, "mg", "dose", "the absolute ceiling per dose"),
        (
            "ceiling_mg_per_kg",
            ceiling.max_mg_per_kg,
            mg_per_kg,
            "mg/kg",
            "dose",
            "the absolute ceiling per dose",
        ),
        (
            "ceiling_session_mg",
            ceiling.per_session_max_mg,
            total,
            "mg",
            "session total",
            "the absolute ceiling per session",
        ),
        (
            "ceiling_session_mg_per_kg",
            ceiling.per_session_max_mg_per_kg,
            total_per_kg,
            "mg/kg",
            "session total",
            "the absolute ceiling per session",
        ),
    )
    found = [f for f in (_limit(*row) for row in rows) if f is not None]
    fold = ceiling.max_fold_of_previous_dose
    if reference_mg is not None and reference_mg > 0:
        ratio = amount / reference_mg
        common: dict[str, object] = {
            "limit": fold.field,
            "limit_value": float(fold.value),
            "actual": ratio,
            "unit": "x",
            "sources": fold.provenance.sources,
            "clinic_setting": fold.provenance.clinic_setting,
        }
        if ratio >= float(fold.value) * (1 - _REL):
            message = (
                f"dose {_fmt(amount)} mg is {_fmt(ratio)} times {reference_label} of {_fmt(reference_mg)} mg "
                f"(limit: under {_fmt(fold.value)} times, {fold.cite()}): check for a misplaced decimal "
                f"point or a unit slip; {_HOW}"
            )
            found.append(Finding("decimal_guard", HARD_STOP, message, **common))  # type: ignore[arg-type]
        else:
            message = f"dose {_fmt(amount)} mg is under {_fmt(fold.value)} times {reference_label}"
            found.append(Finding("decimal_guard", OK, message, **common))  # type: ignore[arg-type]
    return found, True
