"""Property tests over every shipped instrument: valid answers always score within the declared
range and band; any invalid mutation never produces a total."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kapstone.measures.scoring import Instrument, score
from kapstone.measures.scoring.rules import Context, compile_condition

IDS = ["phq9", "gad7", "pcl5", "cssrs_screener", "meq30", "ebi", "who5"]
SETTINGS = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def value_strategy(item) -> st.SearchStrategy[int]:
    response = item.response
    if response.kind == "choice":
        return st.sampled_from([o.value for o in response.options])
    return st.integers(int(response.min), int(response.max))


def draw_valid(data: st.DataObject, instrument: Instrument) -> dict[str, object]:
    """Answers that follow the skip logic: an item is drawn only when it is asked."""
    values: dict[str, object] = {}
    skipped: set[str] = set()
    for item in instrument.items:
        if item.ask_if is not None:
            asked = compile_condition(item.ask_if)(Context(values, skipped, None, None, {}))  # type: ignore[arg-type]
            if not asked:
                skipped.add(item.id)
                continue
        if not item.required and data.draw(st.booleans()):
            continue
        values[item.id] = data.draw(value_strategy(item))
    return values


def draw_options(data: st.DataObject, instrument: Instrument) -> dict[str, object]:
    options: dict[str, object] = {}
    for option in instrument.options.values():
        if option.default is None:
            continue
        if option.type == "choice":
            options[option.id] = data.draw(st.sampled_from(option.choices))
        elif option.type == "integer":
            options[option.id] = data.draw(st.integers(int(option.min), int(option.max)))  # type: ignore[arg-type]
        else:
            options[option.id] = data.draw(st.floats(option.min, option.max))
    return options


@pytest.mark.parametrize("instrument_id", IDS)
@SETTINGS
@given(data=st.data())
def test_valid_answers_always_score_within_range_and_band(get, instrument_id, data):
    instrument = get(instrument_id)
    options = draw_options(data, instrument)
    result = score(instrument, draw_valid(data, instrument), options)
    assert result.complete is True, result.errors
    assert result.errors == []
    method = instrument.scoring.method or options[instrument.scoring.method_option]
    low, high = instrument.total_range(method)
    assert low <= result.total <= high
    if instrument.bands:
        containing = [b.label for b in instrument.bands if b.min <= result.total <= b.max]
        assert containing == [result.band]
    else:
        assert result.band is None
    for sub in instrument.subscales:
        part: dict[str, Any] = result.subscales[sub.id]
        assert 0 <= part["score"] <= sub.max
        assert 0 <= part["percent_of_max"] <= 100
    assert {f["id"] for f in result.flags} <= {f.id for f in instrument.flags}


MUTATIONS = ["remove", "out_of_range", "fraction", "text", "boolean", "unknown", "duplicate"]


@pytest.mark.parametrize("instrument_id", IDS)
@SETTINGS
@given(data=st.data())
def test_invalid_mutations_never_produce_a_total(get, instrument_id, data):
    instrument = get(instrument_id)
    answers = draw_valid(data, instrument)
    mutation = data.draw(st.sampled_from(MUTATIONS))
    always = [i for i in instrument.items if i.required and i.ask_if is None]
    item = data.draw(st.sampled_from(always))
    response = item.response
    pairs = list(answers.items())
    if mutation == "remove":
        pairs = [(k, v) for k, v in pairs if k != item.id]
    elif mutation == "out_of_range":
        beyond = data.draw(
            st.one_of(
                st.integers(int(response.max) + 1, int(response.max) + 1000),
                st.integers(int(response.min) - 1000, int(response.min) - 1),
            )
        )
        pairs = [(k, beyond if k == item.id else v) for k, v in pairs]
    elif mutation == "fraction":
        pairs = [(k, v + 0.5 if k == item.id else v) for k, v in pairs]  # type: ignore[operator]
    elif mutation == "text":
        pairs = [(k, str(v) if k == item.id else v) for k, v in pairs]
    elif mutation == "boolean":
        pairs = [(k, True if k == item.id else v) for k, v in pairs]
    elif mutation == "unknown":
        pairs.append(
            (data.draw(st.text(min_size=1).filter(lambda s: s not in instrument.runtime.item_ids)), 0)
        )
    else:
        pairs.append((item.id, answers[item.id]))
    order = data.draw(st.permutations(pairs))
    result = score(instrument, order)
    assert result.complete is False
    assert result.total is None
    assert result.band is None
    assert result.subscales == {}
    assert result.errors
    assert all(f["severity"] in ("safety", "review") for f in result.flags)
