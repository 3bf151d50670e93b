"""Safety floors under clinic settings (issue #11 item 2): whatever a clinic sets within the
settings' ranges, a hypertensive crisis (>= 180 systolic or >= 120 diastolic), a PHQ-9 item 9 answer
of 1 or more and a moderate or high C-SSRS never screen as "no flags"; a setting past a floor is
refused, naming the floor."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from screening_support import baseline, patch

from kapstone.screening.engine import NO_FLAGS, evaluate
from kapstone.screening.ruleset import SettingsError, default_ruleset

RULESET = default_ruleset()
SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _range(name: str) -> st.SearchStrategy[Any]:
    setting = RULESET.settings[name]
    low = setting.min if setting.min is not None else 0
    high = setting.max if setting.max is not None else 1000
    if setting.type == "integer":
        return st.integers(int(low), int(high))
    return st.integers(int(low), int(high)) | st.floats(low, high, allow_nan=False)


@st.composite
def clinic_settings(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(sorted(RULESET.settings)), unique=True))
    return {name: draw(_range(name)) for name in names}


CRISES = [
    {"bp_systolic": 180, "bp_diastolic": 80},
    {"bp_systolic": 245, "bp_diastolic": 145},
    {"bp_systolic": 150, "bp_diastolic": 120},
    {"phq9_item9": 1},
    {"phq9_item9": 2},
    {"cssrs_risk": "moderate"},
    {"cssrs_risk": "high"},
]


@SETTINGS
@given(chosen=clinic_settings(), crisis=st.sampled_from(CRISES))
def test_no_configuration_lets_a_crisis_pass(chosen: dict[str, Any], crisis: dict[str, Any]) -> None:
    evaluation = evaluate(RULESET, patch(baseline(), crisis), chosen)
    assert evaluation.outcome != NO_FLAGS, (chosen, crisis)


@pytest.mark.parametrize(
    ("name", "value"),
    [("bp_review_systolic_mmhg", 245), ("bp_review_diastolic_mmhg", 145), ("phq9_item9_review_min", 3),
     ("bp_review_systolic_mmhg", 180), ("bp_review_diastolic_mmhg", 120), ("phq9_item9_review_min", 2)],
)  # fmt: skip
def test_a_setting_past_a_floor_is_refused_naming_the_floor(name: str, value: int) -> None:
    """Before the floors, 250/150 and 3 were accepted: 245/145 then screened as no flags."""
    with pytest.raises(SettingsError) as caught:
        RULESET.resolve_settings({name: value})
    assert "safety floor" in str(caught.value)


def test_a_clinic_may_tighten_below_the_floor() -> None:
    in_force = RULESET.resolve_settings({"bp_review_systolic_mmhg": 130, "bp_review_diastolic_mmhg": 85})
    assert in_force["bp_review_systolic_mmhg"] == 130
    evaluation = evaluate(RULESET, patch(baseline(), {"bp_systolic": 135}), in_force)
    assert evaluation.outcome != NO_FLAGS
