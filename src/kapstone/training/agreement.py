"""Rater agreement: Cohen's κ between two raters of the same evidence. Pure: no Django."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from fractions import Fraction


def cohen_kappa(pairs: Sequence[tuple[int, int]]) -> float | None:
    """κ = (pₒ − pₑ) / (1 − pₑ) over ``pairs`` of (rater A's level, rater B's level).

    ``None`` when it is undefined: no pairs, or chance agreement is certain (both raters used one
    and the same level throughout), where agreement says nothing about calibration.
    """
    n = len(pairs)
    if n == 0:
        return None
    observed = Fraction(sum(1 for a, b in pairs if a == b), n)
    first = Counter(a for a, _ in pairs)
    second = Counter(b for _, b in pairs)
    expected = sum((Fraction(first[k], n) * Fraction(second[k], n) for k in first), Fraction(0))
    if expected == 1:
        return None
    return float((observed - expected) / (1 - expected))
