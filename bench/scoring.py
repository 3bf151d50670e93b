"""Pure scoring throughput, on one core, beside a trivial loop over the same answers."""

from __future__ import annotations

import random
import statistics
import time

from kapstone.measures.scoring import default_registry, score


def _answers(count: int) -> list[dict[str, int]]:
    rng = random.Random(11)
    instrument = default_registry().get("phq9")
    return [{item.id: rng.choice(item_values(item)) for item in instrument.items} for _ in range(count)]


def item_values(item) -> list[int]:  # type: ignore[no-untyped-def]
    """Every value an item accepts, from its definition (choice options or an integer range)."""
    if item.response.kind == "choice":
        return [option.value for option in item.response.options]
    return list(range(int(item.response.min), int(item.response.max) + 1))


def throughput(rounds: int = 3, count: int = 20_000) -> dict[str, float]:
    instrument = default_registry().get("phq9")
    batch = _answers(count)
    scored_rates, trivial_rates = [], []
    for _ in range(rounds):
        started = time.process_time()
        for answers in batch:
            score(instrument, answers)
        scored_rates.append(count / (time.process_time() - started))
        started = time.process_time()
        for answers in batch:
            sum(answers.values())
        trivial_rates.append(count / (time.process_time() - started))
    scored, trivial = statistics.median(scored_rates), statistics.median(trivial_rates)
    return {"phq9_per_s": scored, "trivial_sum_per_s": trivial, "ratio": scored / trivial}
