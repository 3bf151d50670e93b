"""The absolute dose ceiling (issue #11 item 1): above it a dose is a hard stop, never "needs
justification"; every shipped protocol carries one with provenance; a misplaced decimal is stopped;
a file without a ceiling fails closed; a ceiling below the usual range is refused at load time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from care_core_helpers import IDS, T0, raw
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kapstone.care.protocol_core import (
    DoseContext,
    DoseInput,
    ProtocolError,
    check_dose,
    default_registry,
    parse_protocol,
)

HS = "hard_stop"
FIRST = DoseContext(dose_number=1, proposed_at=T0)


def later(previous_mg: float) -> DoseContext:
    return DoseContext(
        dose_number=2,
        proposed_at=T0,
        previous_session_at=T0 - timedelta(days=7),
        previous_dose_mg=previous_mg,
    )


@pytest.mark.parametrize(
    ("protocol_id", "route", "amount", "weight"),
    [
        ("iv_induction_series", "iv", 700, 70),  # 10 mg/kg IV: anaesthetic territory
        ("im_kap", "im", 350, 70),  # 5 mg/kg IM
        ("sublingual_kap_series", "sublingual", 800, None),
        ("esketamine_spravato", "intranasal", 112, None),
        ("iv_induction_series", "iv", 350, 70),  # 350 for 35: a misplaced decimal
        ("im_kap", "im", 350, 70),
    ],
)
def test_issue_examples_are_hard_stops_not_justifiable(
    protocol_id: str, route: str, amount: float, weight: float | None
) -> None:
    """On the code before the ceiling these came back as needs_justification (a typed reason let them
    through)."""
    protocol = default_registry().get(protocol_id)
    check = check_dose(protocol, DoseInput(route, "mg", amount, weight_kg=weight), FIRST)
    assert check.level == HS
    assert check.blocked and not check.requires_justification
    codes = {f.code for f in check.problems()}
    assert codes & {"ceiling_mg", "ceiling_mg_per_kg", "ceiling_session_mg", "ceiling_session_mg_per_kg"}
    assert "no justification can override" in check.rationale


@pytest.mark.parametrize("protocol_id", IDS)
def test_every_shipped_protocol_has_a_cited_ceiling_at_or_above_its_usual_range(protocol_id: str) -> None:
    protocol = default_registry().get(protocol_id)
    ceiling = protocol.ceiling
    assert ceiling is not None
    for value in (*ceiling.limits(), ceiling.max_fold_of_previous_dose):
        assert value.provenance.sources or (value.provenance.clinic_setting and value.provenance.note)
    for usual, cap in (
        (protocol.dose.max_mg, ceiling.max_mg),
        (protocol.dose.max_mg_per_kg, ceiling.max_mg_per_kg),
        (protocol.dose.per_session_max_mg, ceiling.per_session_max_mg),
        (protocol.dose.per_session_max_mg_per_kg, ceiling.per_session_max_mg_per_kg),
    ):
        assert usual is None or usual.value <= cap.value


def test_racemic_ceilings_stay_well_below_anaesthetic_dosing() -> None:
    registry = default_registry()
    assert registry.get("iv_induction_series").ceiling.max_mg_per_kg.value <= 1.0  # type: ignore[union-attr]
    assert registry.get("im_kap").ceiling.max_mg_per_kg.value <= 2.0  # type: ignore[union-attr]


_ROUTE = {
    "sublingual_kap_series": "sublingual",
    "im_kap": "im",
    "iv_induction_series": "iv",
    "esketamine_spravato": "intranasal",
}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    protocol_id=st.sampled_from(IDS),
    amount=st.floats(min_value=0.5, max_value=5000, allow_nan=False),
    weight=st.one_of(st.none(), st.floats(min_value=30, max_value=250, allow_nan=False)),
    prior=st.lists(st.floats(min_value=1, max_value=2000, allow_nan=False), max_size=2),
)
def test_no_dose_above_the_ceiling_passes_without_a_hard_stop(
    protocol_id: str, amount: float, weight: float | None, prior: list[float]
) -> None:
    protocol = default_registry().get(protocol_id)
    ceiling = protocol.ceiling
    assert ceiling is not None
    dose = DoseInput(
        _ROUTE[protocol_id],
        "mg",
        amount,
        weight_kg=weight,
        is_booster=bool(prior),
        prior_doses_mg=tuple(prior),
        minutes_since_first_dose=30 if prior else None,
    )
    check = check_dose(protocol, dose, FIRST)
    total = amount + sum(prior)
    over = amount > ceiling.max_mg.value or total > ceiling.per_session_max_mg.value
    if weight is not None:
        over = over or amount / weight > ceiling.max_mg_per_kg.value * (1 + 1e-9)
        over = over or total / weight > ceiling.per_session_max_mg_per_kg.value * (1 + 1e-9)
    if over:
        assert check.level == HS


def test_misplaced_decimal_within_range_is_stopped_against_the_previous_dose() -> None:
    """350 mg sublingual is inside the usual 100-400 mg range; after a 35 mg session it is a slip."""
    protocol = default_registry().get("sublingual_kap_series")
    check = check_dose(protocol, DoseInput("sublingual", "mg", 350), later(35))
    assert check.level == HS
    guard = next(f for f in check.findings if f.code == "decimal_guard")
    assert guard.level == HS and "misplaced decimal" in guard.message
    assert check_dose(protocol, DoseInput("sublingual", "mg", 150), later(100)).level != HS


def test_a_protocol_without_a_ceiling_fails_closed() -> None:
    data = raw("sublingual_kap_series")
    del data["ceiling"]
    protocol = parse_protocol(data, "no-ceiling.toml")
    check = check_dose(protocol, DoseInput("sublingual", "mg", 200), FIRST)
    assert check.level == HS and not check.complete
    assert any(f.code == "ceiling_missing" for f in check.findings)


def test_a_ceiling_below_the_usual_range_or_with_a_level_is_refused_at_load() -> None:
    data = raw("sublingual_kap_series")
    data["ceiling"]["max_mg"]["value"] = 300
    with pytest.raises(ProtocolError, match="below the usual limit"):
        parse_protocol(data, "low.toml")
    data = raw("sublingual_kap_series")
    data["ceiling"]["max_mg"]["level"] = "warn_requires_justification"
    with pytest.raises(ProtocolError, match="level"):
        parse_protocol(data, "level.toml")


# -- kapstone check-dose --------------------------------------------------------------------------


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object]]:
    import json

    from kapstone.care.protocol_core.cli import check_dose_main

    code = check_dose_main(argv, default_registry(), now=T0)
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    ("argv", "status"),
    [
        (
            ["iv_induction_series", "--route", "iv", "--mg", "35", "--weight-kg", "70", "--tier", "standard"],
            "ok",
        ),
        (["iv_induction_series", "--route", "iv", "--mg", "350", "--weight-kg", "70"], "hard_stop"),
        (["sublingual_kap_series", "--route", "sublingual", "--mg", "800"], "hard_stop"),
        (["im_kap", "--route", "im", "--mg", "21", "--weight-kg", "70", "--tier", "psycholytic"], "ok"),
        (
            ["sublingual_kap_series", "--route", "sublingual", "--mg", "50", "--tier", "psycholytic"],
            "needs_justification",
        ),
        (
            [
                "esketamine_spravato",
                "--route",
                "intranasal",
                "--mg",
                "56",
                "--dose-number",
                "2",
                "--previous-mg",
                "56",
                "--hours-since-previous",
                "84",
            ],
            "ok",
        ),
    ],
)
def test_check_dose_command_prints_the_verdict(
    argv: list[str], status: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _run(argv, capsys)
    assert code == 0
    assert out["status"] == status, out["reasons"]
    assert out["protocol"] == argv[0]
    assert (status == "ok") == (out["reasons"] == [])


@pytest.mark.parametrize(
    "argv",
    [
        ["nope", "--route", "iv", "--mg", "35"],
        ["iv_induction_series", "--route", "iv", "--mg", "-3", "--weight-kg", "70"],
        ["iv_induction_series", "--route", "iv", "--mg", "lots"],
        ["iv_induction_series", "--route", "teleport", "--mg", "35"],
        ["iv_induction_series", "--route", "iv", "--mg", "35", "--weight-kg", "700"],
        ["iv_induction_series", "--mg", "35"],
    ],
)
def test_check_dose_command_refuses_bad_input_with_exit_2(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _run(argv, capsys)
    assert code == 2
    assert out["status"] is None and out["errors"]
