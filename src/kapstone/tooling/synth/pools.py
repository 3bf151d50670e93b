"""Answer pools: questionnaire answers scored once by the real scoring core."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any

from kapstone.measures.scoring import default_registry, score
from kapstone.tooling.synth.plan import INSTRUMENTS, LEVELS, VARIANTS

# --- answer pools: scored once by the real core ------------------------------------------------------


@dataclass(frozen=True)
class Scored:
    answers: str
    result: str
    total: float | None
    band: str
    version: str
    flag: dict[str, Any] | None  # the safety flag the result raised, if any


def _item_values(item: Any) -> list[int]:
    if item.response.kind == "choice":
        return [option.value for option in item.response.options]
    return list(range(int(item.response.min), int(item.response.max) + 1))


def answer_pools(seed: int) -> dict[str, list[list[Scored]]]:
    """Per instrument, LEVELS severity levels x VARIANTS answer sets, each scored by the real core."""

    rng = random.Random(seed * 7919 + 17)  # noqa: S311 - reproducible fiction, not secrets
    registry = default_registry()
    pools: dict[str, list[list[Scored]]] = {}
    for instrument_id in INSTRUMENTS:
        instrument = registry.get(instrument_id)
        levels = []
        for level in range(LEVELS):
            share = level / (LEVELS - 1)
            variants = []
            for variant in range(VARIANTS):
                answers: dict[str, int] = {}
                for item in instrument.items:
                    values = _item_values(item)
                    if not item.scored:
                        answers[item.id] = values[0]
                        continue
                    index = round(share * (len(values) - 1) + rng.uniform(-0.7, 0.7))
                    answers[item.id] = values[max(0, min(len(values) - 1, index))]
                if instrument_id == "phq9":  # item 9 only now and then, and only when severe
                    answers["phq9_9"] = 1 if (level >= 9 and variant == 0) else 0
                result = score(instrument, answers)
                flag = next((f for f in result.flags if f.get("severity") == "safety"), None)
                variants.append(
                    Scored(
                        json.dumps(answers, separators=(",", ":")),
                        json.dumps(result.to_dict(), separators=(",", ":")),
                        float(result.total) if result.total is not None else None,
                        result.band or "",
                        instrument.version,
                        flag,
                    )
                )
            levels.append(variants)
        pools[instrument_id] = levels
    return pools
