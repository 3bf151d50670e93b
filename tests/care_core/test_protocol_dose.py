"""check_dose: every shipped protocol's limits on both sides of each bound, mg/kg, units, boosters,
the esketamine 84-after-56 rule, interval and titration step."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import pytest
from care_core_helpers import T0

from kapstone.care.protocol_core import DoseCheck, DoseContext, DoseInput, Finding, Protocol, check_dose

OK, NJ, HS = "ok", "needs_justification", "hard_stop"


def first() -> DoseContext:
    return DoseContext(dose_number=1, proposed_at=T0)


def later(
    previous_mg: float, *, n: int = 2, hours: float = 168, first_mg: float | None = None
) -> DoseContext:
    return DoseContext(
        dose_number=n,
        proposed_at=T0,
        previous_session_at=T0 - timedelta(hours=hours),
        previous_dose_mg=previous_mg,
        first_dose_mg=first_mg,
    )


def find(check: DoseCheck, code: str) -> Finding:
    matches = [f for f in check.findings if f.code == code]
    assert len(matches) == 1, (code, [f.code for f in check.findings])
    return matches[0]


def codes(check: DoseCheck) -> set[str]:
    return {f.code for f in check.findings}


ROUTES = {
    "esketamine_spravato": "intranasal",
    "sublingual_kap_series": "sublingual",
    "im_kap": "im",
    "iv_induction_series": "iv",
}


def dose(protocol_id: str, amount: float, **kwargs: Any) -> DoseInput:
    return DoseInput(
        route=kwargs.pop("route", ROUTES[protocol_id]),
        unit=kwargs.pop("unit", "mg"),
        amount_mg=amount,
        **kwargs,
    )


# (protocol, amount, dose kwargs, context, finding code, expected level)
LIMIT_CASES: list[tuple[str, float, dict[str, Any], DoseContext, str, str]] = [
    # --- SPRAVATO: 56/84 mg, 28 mg devices, max 84 hard stop, first dose 56, step 28, 84 after 56.
    ("esketamine_spravato", 56, {}, first(), "min_mg", OK),
    ("esketamine_spravato", 28, {}, first(), "min_mg", NJ),
    ("esketamine_spravato", 84, {}, later(56), "max_mg", OK),
    ("esketamine_spravato", 112, {}, later(84), "max_mg", HS),
    ("esketamine_spravato", 84, {}, later(56), "per_session_max_mg", OK),
    ("esketamine_spravato", 112, {}, later(84), "per_session_max_mg", HS),
    ("esketamine_spravato", 56, {}, first(), "multiple_of_mg", OK),
    ("esketamine_spravato", 70, {}, later(56), "multiple_of_mg", HS),
    ("esketamine_spravato", 56, {}, first(), "first_dose_max_mg", OK),
    ("esketamine_spravato", 84, {}, first(), "first_dose_max_mg", NJ),
    ("esketamine_spravato", 84, {}, later(56), "titration_step_mg", OK),
    ("esketamine_spravato", 84, {}, later(28), "titration_step_mg", NJ),
    ("esketamine_spravato", 84, {}, later(56), "interval", OK),
    ("esketamine_spravato", 84, {}, later(56, hours=48), "interval", OK),
    ("esketamine_spravato", 84, {}, later(56, hours=47.9), "interval", NJ),
    ("esketamine_spravato", 84, {}, later(84, n=9, hours=120), "interval", OK),
    ("esketamine_spravato", 84, {}, later(84, n=9, hours=119), "interval", NJ),
    ("esketamine_spravato", 84, {}, later(84, n=20, hours=100), "interval", NJ),
    # --- Sublingual RDT: 100-400 mg, multiple of 50, tiers, first dose <= 200, step 50, 6 sessions, 72 h.
    ("sublingual_kap_series", 100, {"tier": "psycholytic"}, first(), "min_mg", OK),
    ("sublingual_kap_series", 99, {"tier": "psycholytic"}, first(), "min_mg", NJ),
    ("sublingual_kap_series", 400, {"tier": "psychedelic"}, later(350), "max_mg", OK),
    ("sublingual_kap_series", 450, {"tier": "psychedelic"}, later(400), "max_mg", NJ),
    ("sublingual_kap_series", 400, {"tier": "psychedelic"}, later(350), "per_session_max_mg", OK),
    ("sublingual_kap_series", 450, {"tier": "psychedelic"}, later(400), "per_session_max_mg", NJ),
    ("sublingual_kap_series", 150, {"tier": "psycholytic"}, first(), "multiple_of_mg", OK),
    ("sublingual_kap_series", 125, {"tier": "psycholytic"}, first(), "multiple_of_mg", NJ),
    ("sublingual_kap_series", 200, {"tier": "psycholytic"}, first(), "tier_psycholytic_max_mg", OK),
    ("sublingual_kap_series", 250, {"tier": "psycholytic"}, later(200), "tier_psycholytic_max_mg", NJ),
    ("sublingual_kap_series", 100, {"tier": "psycholytic"}, first(), "tier_psycholytic_min_mg", OK),
    ("sublingual_kap_series", 200, {"tier": "psychedelic"}, first(), "tier_psychedelic_min_mg", OK),
    ("sublingual_kap_series", 150, {"tier": "psychedelic"}, first(), "tier_psychedelic_min_mg", NJ),
    ("sublingual_kap_series", 400, {"tier": "psychedelic"}, later(350), "tier_psychedelic_max_mg", OK),
    ("sublingual_kap_series", 200, {"tier": "psycholytic"}, first(), "first_dose_max_mg", OK),
    ("sublingual_kap_series", 250, {"tier": "psychedelic"}, first(), "first_dose_max_mg", NJ),
    ("sublingual_kap_series", 250, {"tier": "psychedelic"}, later(200), "titration_step_mg", OK),
    ("sublingual_kap_series", 300, {"tier": "psychedelic"}, later(200), "titration_step_mg", NJ),
    ("sublingual_kap_series", 150, {"tier": "psycholytic"}, later(200), "titration_step", OK),
    ("sublingual_kap_series", 200, {"tier": "psycholytic"}, later(200, n=6), "course_length", OK),
    ("sublingual_kap_series", 200, {"tier": "psycholytic"}, later(200, n=7), "course_length", NJ),
    ("sublingual_kap_series", 200, {"tier": "psycholytic"}, later(200, hours=72), "interval", OK),
    ("sublingual_kap_series", 200, {"tier": "psycholytic"}, later(200, hours=71), "interval", NJ),
    ("sublingual_kap_series", 200, {"tier": "psycholytic", "route": "buccal"}, first(), "route", OK),
    ("sublingual_kap_series", 200, {"tier": "psycholytic", "route": "im"}, first(), "route_mismatch", HS),
    # --- IM: mg/kg at 70 kg. 0.2-1.0 mg/kg, tiers 0.2-0.5 / 0.5-1.0, first <= 0.5, step 0.25.
    ("im_kap", 14, {"weight_kg": 70, "tier": "psycholytic"}, first(), "min_mg_per_kg", OK),
    ("im_kap", 13.9, {"weight_kg": 70, "tier": "psycholytic"}, first(), "min_mg_per_kg", NJ),
    ("im_kap", 70, {"weight_kg": 70, "tier": "psychedelic"}, later(52.5), "max_mg_per_kg", OK),
    ("im_kap", 70.1, {"weight_kg": 70, "tier": "psychedelic"}, later(52.5), "max_mg_per_kg", NJ),
    ("im_kap", 70, {"weight_kg": 70, "tier": "psychedelic"}, later(52.5), "per_session_max_mg_per_kg", OK),
    ("im_kap", 71, {"weight_kg": 70, "tier": "psychedelic"}, later(52.5), "per_session_max_mg_per_kg", NJ),
    ("im_kap", 35, {"weight_kg": 70, "tier": "psycholytic"}, first(), "tier_psycholytic_max_mg_per_kg", OK),
    ("im_kap", 35.7, {"weight_kg": 70, "tier": "psycholytic"}, first(), "tier_psycholytic_max_mg_per_kg", NJ),
    ("im_kap", 14, {"weight_kg": 70, "tier": "psycholytic"}, first(), "tier_psycholytic_min_mg_per_kg", OK),
    ("im_kap", 35, {"weight_kg": 70, "tier": "psychedelic"}, first(), "tier_psychedelic_min_mg_per_kg", OK),
    ("im_kap", 34, {"weight_kg": 70, "tier": "psychedelic"}, first(), "tier_psychedelic_min_mg_per_kg", NJ),
    (
        "im_kap",
        70,
        {"weight_kg": 70, "tier": "psychedelic"},
        later(52.5),
        "tier_psychedelic_max_mg_per_kg",
        OK,
    ),
    ("im_kap", 35, {"weight_kg": 70, "tier": "psycholytic"}, first(), "first_dose_max_mg_per_kg", OK),
    ("im_kap", 36, {"weight_kg": 70, "tier": "psychedelic"}, first(), "first_dose_max_mg_per_kg", NJ),
    ("im_kap", 52.5, {"weight_kg": 70, "tier": "psychedelic"}, later(35), "titration_step_mg_per_kg", OK),
    ("im_kap", 53, {"weight_kg": 70, "tier": "psychedelic"}, later(35), "titration_step_mg_per_kg", NJ),
    ("im_kap", 35, {"weight_kg": 70, "tier": "psycholytic"}, later(35, n=7), "course_length", NJ),
    # --- IV: 0.1-1.0 mg/kg, standard tier exactly 0.5 mg/kg, first <= 0.5, 6 sessions, 48 h.
    ("iv_induction_series", 7, {"weight_kg": 70, "tier": "low"}, first(), "min_mg_per_kg", OK),
    ("iv_induction_series", 6.9, {"weight_kg": 70, "tier": "low"}, first(), "min_mg_per_kg", NJ),
    ("iv_induction_series", 70, {"weight_kg": 70, "tier": "escalated"}, later(52.5), "max_mg_per_kg", OK),
    ("iv_induction_series", 70.5, {"weight_kg": 70, "tier": "escalated"}, later(52.5), "max_mg_per_kg", NJ),
    (
        "iv_induction_series",
        35,
        {"weight_kg": 70, "tier": "standard"},
        first(),
        "tier_standard_min_mg_per_kg",
        OK,
    ),
    (
        "iv_induction_series",
        35,
        {"weight_kg": 70, "tier": "standard"},
        first(),
        "tier_standard_max_mg_per_kg",
        OK,
    ),
    (
        "iv_induction_series",
        34.9,
        {"weight_kg": 70, "tier": "standard"},
        first(),
        "tier_standard_min_mg_per_kg",
        NJ,
    ),
    (
        "iv_induction_series",
        35.1,
        {"weight_kg": 70, "tier": "standard"},
        first(),
        "tier_standard_max_mg_per_kg",
        NJ,
    ),
    (
        "iv_induction_series",
        35,
        {"weight_kg": 70, "tier": "standard"},
        first(),
        "first_dose_max_mg_per_kg",
        OK,
    ),
    (
        "iv_induction_series",
        36,
        {"weight_kg": 70, "tier": "escalated"},
        first(),
        "first_dose_max_mg_per_kg",
        NJ,
    ),
    (
        "iv_induction_series",
        35,
        {"weight_kg": 70, "tier": "standard"},
        later(35, n=6, hours=48),
        "interval",
        OK,
    ),
    (
        "iv_induction_series",
        35,
        {"weight_kg": 70, "tier": "standard"},
        later(35, n=6, hours=47),
        "interval",
        NJ,
    ),
    ("iv_induction_series", 35, {"weight_kg": 70, "tier": "standard"}, later(35, n=6), "course_length", OK),
    ("iv_induction_series", 35, {"weight_kg": 70, "tier": "standard"}, later(35, n=7), "course_length", NJ),
]


@pytest.mark.parametrize(("protocol_id", "amount", "kwargs", "context", "code", "level"), LIMIT_CASES)
def test_limit(
    registry: Any,
    protocol_id: str,
    amount: float,
    kwargs: dict[str, Any],
    context: DoseContext,
    code: str,
    level: str,
) -> None:
    protocol = registry.get(protocol_id)
    check = check_dose(protocol, dose(protocol_id, amount, **kwargs), context)
    finding = find(check, code)
    assert finding.level == level, finding.message
    assert check.protocol_id == protocol_id and check.protocol_version == protocol.version
    if level != OK:
        assert finding.message in check.rationale
        assert LEVEL_RANK[check.level] >= LEVEL_RANK[level]
    if finding.limit is not None:
        # The message names the limit's value and where it comes from.
        assert ("source:" in finding.message) or ("clinic setting" in finding.message)


LEVEL_RANK = {OK: 0, NJ: 1, HS: 2}


def test_within_protocol_is_ok(spravato: Protocol) -> None:
    check = check_dose(spravato, dose("esketamine_spravato", 56), first())
    assert check.ok and check.level == OK and check.complete and not check.refused
    assert not check.requires_justification and not check.blocked and check.problems() == ()
    assert check.rationale.startswith("within protocol esketamine_spravato 1.0.0")
    assert check.devices == 2
    assert "2 device(s) of 28 mg, 5-minute rest between devices" in find(check, "devices").message


def test_device_count_single(spravato: Protocol) -> None:
    check = check_dose(spravato, dose("esketamine_spravato", 28), first())
    assert check.devices == 1 and "rest" not in find(check, "devices").message


def test_device_count_not_whole(spravato: Protocol) -> None:
    check = check_dose(spravato, dose("esketamine_spravato", 42), later(56))
    assert check.devices is None and "devices" not in codes(check)
    assert find(check, "multiple_of_mg").level == HS and check.blocked


@pytest.mark.parametrize("unit", ["ml", "mL", "mcg", "g", "MG", "mg/kg", ""])
def test_wrong_unit_refused(spravato: Protocol, unit: str) -> None:
    check = check_dose(spravato, dose("esketamine_spravato", 56, unit=unit), first())
    assert check.refused and check.blocked and not check.complete
    assert [f.code for f in check.findings] == ["unit_not_mg"]
    assert "dose unit must be mg" in check.rationale and repr(unit) in check.rationale
    assert check.mg_per_kg is None and check.session_total_mg is None


@pytest.mark.parametrize("amount", [0, -5, float("nan"), float("inf"), True, "56"])
def test_impossible_amount_refused(spravato: Protocol, amount: Any) -> None:
    check = check_dose(spravato, dose("esketamine_spravato", amount), first())
    assert check.refused and check.blocked and find(check, "invalid_amount").level == HS
    assert check.amount_mg is None


@pytest.mark.parametrize("weight", [1.9, 400.1, 0, -70, float("nan"), "70", True])
def test_impossible_weight_refused(im: Protocol, weight: Any) -> None:
    check = check_dose(im, dose("im_kap", 35, weight_kg=weight, tier="psycholytic"), first())
    assert check.refused and "kilograms, not pounds" in find(check, "invalid_weight").message


@pytest.mark.parametrize("weight", [2, 400])
def test_weight_bounds_inclusive(im: Protocol, weight: float) -> None:
    check = check_dose(im, dose("im_kap", 1, weight_kg=weight, tier="psycholytic"), first())
    assert not check.refused and check.weight_kg == weight


def test_invalid_prior_dose_refused(sublingual: Protocol) -> None:
    check = check_dose(
        sublingual,
        dose(
            "sublingual_kap_series",
            100,
            is_booster=True,
            prior_doses_mg=(200, 0),
            minutes_since_first_dose=60,
        ),
    )
    assert check.refused and "prior_doses_mg[1]" in find(check, "invalid_prior_dose").message


def test_weight_required_for_mg_per_kg(im: Protocol) -> None:
    check = check_dose(im, dose("im_kap", 35, tier="psycholytic"), first())
    finding = find(check, "weight_required")
    assert finding.level == HS and finding.message.startswith("cannot check")
    assert not check.complete and check.blocked and check.mg_per_kg is None
    assert "max_mg_per_kg" not in codes(check)


def test_mg_per_kg_computed(iv: Protocol) -> None:
    check = check_dose(iv, dose("iv_induction_series", 36.5, weight_kg=73, tier="standard"), first())
    assert check.mg_per_kg == 36.5 / 73 and check.session_total_mg_per_kg == 36.5 / 73
    assert find(check, "max_mg_per_kg").actual == 36.5 / 73


def test_mg_per_kg_reported_when_not_needed(spravato: Protocol) -> None:
    check = check_dose(spravato, dose("esketamine_spravato", 56, weight_kg=80), first())
    assert check.mg_per_kg == 0.7 and check.ok


def test_product_mismatch(spravato: Protocol) -> None:
    check = check_dose(spravato, dose("esketamine_spravato", 56, product="racemic_ketamine"), first())
    assert find(check, "product_mismatch").level == HS
    same = check_dose(spravato, dose("esketamine_spravato", 56, product="esketamine"), first())
    assert same.ok


def test_tier_missing_needs_justification(sublingual: Protocol) -> None:
    check = check_dose(sublingual, dose("sublingual_kap_series", 150), first())
    assert find(check, "tier_missing").level == NJ and check.requires_justification


@pytest.mark.parametrize(
    ("protocol_id", "amount", "kwargs"),
    [
        ("sublingual_kap_series", 150, {"tier": "heroic"}),
        ("esketamine_spravato", 56, {"tier": "psycholytic"}),
    ],
)
def test_unknown_tier(registry: Any, protocol_id: str, amount: float, kwargs: dict[str, Any]) -> None:
    check = check_dose(registry.get(protocol_id), dose(protocol_id, amount, **kwargs), first())
    assert find(check, "unknown_tier").level == HS


# --- boosters ---------------------------------------------------------------------------------


def booster(amount: float, prior: tuple[float, ...], minutes: float | None = 60, **kwargs: Any) -> DoseInput:
    return dose(
        "sublingual_kap_series",
        amount,
        is_booster=True,
        prior_doses_mg=prior,
        minutes_since_first_dose=minutes,
        **kwargs,
    )


BOOSTER_CASES: list[tuple[DoseInput, str, str]] = [
    (booster(100, (200,)), "booster_max_count", OK),
    (booster(100, (200, 100)), "booster_max_count", NJ),
    (booster(100, (200,), minutes=40), "booster_min_minutes", OK),
    (booster(100, (200,), minutes=39), "booster_min_minutes", NJ),
    (booster(100, (200,)), "booster_max_mg", OK),
    (booster(150, (200,)), "booster_max_mg", NJ),
    (booster(100, (300,)), "per_session_max_mg", OK),
    (booster(100, (350,)), "per_session_max_mg", NJ),
    (booster(100, ()), "booster_without_first_dose", HS),
    (booster(100, (200,), minutes=None), "booster_timing_missing", HS),
    (booster(100, (200,), minutes=-1), "invalid_booster_timing", HS),
    (booster(100, (200,), minutes=float("nan")), "invalid_booster_timing", HS),
]


@pytest.mark.parametrize(("given", "code", "level"), BOOSTER_CASES)
def test_booster_rules(sublingual: Protocol, given: DoseInput, code: str, level: str) -> None:
    check = check_dose(sublingual, given)  # no course context needed for a booster
    assert find(check, code).level == level
    assert "min_mg" not in codes(check)  # minimums do not apply to boosters
    assert not any(c.startswith("tier_") for c in codes(check))


def test_booster_timing_missing_is_incomplete(sublingual: Protocol) -> None:
    check = check_dose(sublingual, booster(100, (200,), minutes=None))
    assert not check.complete and check.blocked


def test_booster_per_kg(im: Protocol) -> None:
    ok = check_dose(
        im,
        dose(
            "im_kap", 17.5, weight_kg=70, is_booster=True, prior_doses_mg=(35,), minutes_since_first_dose=20
        ),
    )
    assert find(ok, "booster_max_mg_per_kg").level == OK and find(ok, "booster_min_minutes").level == OK
    assert ok.session_total_mg == 52.5 and ok.session_total_mg_per_kg == 52.5 / 70
    over = check_dose(
        im,
        dose("im_kap", 18, weight_kg=70, is_booster=True, prior_doses_mg=(35,), minutes_since_first_dose=19),
    )
    assert find(over, "booster_max_mg_per_kg").level == NJ and find(over, "booster_min_minutes").level == NJ
    total = check_dose(
        im,
        dose(
            "im_kap", 17.5, weight_kg=70, is_booster=True, prior_doses_mg=(56,), minutes_since_first_dose=30
        ),
    )
    assert find(total, "per_session_max_mg_per_kg").level == NJ


@pytest.mark.parametrize(
    ("protocol_id", "amount", "prior", "kwargs"),
    [
        ("esketamine_spravato", 28, (56,), {}),
        ("iv_induction_series", 10, (35,), {"weight_kg": 70}),
    ],
)
def test_booster_not_allowed(
    registry: Any, protocol_id: str, amount: float, prior: tuple[float, ...], kwargs: dict[str, Any]
) -> None:
    check = check_dose(
        registry.get(protocol_id), dose(protocol_id, amount, is_booster=True, prior_doses_mg=prior, **kwargs)
    )
    finding = find(check, "booster_not_allowed")
    assert finding.level == NJ and "allows no booster" in finding.message


def test_spravato_extra_device_is_stopped_by_session_max(spravato: Protocol) -> None:
    check = check_dose(spravato, dose("esketamine_spravato", 28, is_booster=True, prior_doses_mg=(84,)))
    assert find(check, "per_session_max_mg").level == HS and check.blocked


def test_second_dose_must_be_flagged_as_booster(sublingual: Protocol) -> None:
    check = check_dose(
        sublingual, dose("sublingual_kap_series", 100, tier="psycholytic", prior_doses_mg=(200,)), later(200)
    )
    assert find(check, "booster_flag").level == HS


# --- esketamine: 84 mg only after a 56 mg start -----------------------------------------------

ESK_CASES: list[tuple[float, DoseContext, str]] = [
    (84, first(), NJ),  # 84 cannot be the starting dose
    (84, later(56), OK),
    (84, later(84, n=3), OK),  # the previous 84 was itself after a 56 start
    (84, later(28), NJ),
    (84, later(84, n=3, first_mg=56), OK),
    (84, later(56, n=3, first_mg=28), NJ),  # the course did not start at 56
    (84, later(56, first_mg=0), NJ),
]


@pytest.mark.parametrize(("amount", "context", "level"), ESK_CASES)
def test_esketamine_84_after_56(spravato: Protocol, amount: float, context: DoseContext, level: str) -> None:
    check = check_dose(spravato, dose("esketamine_spravato", amount), context)
    finding = find(check, "esk_84_after_56_start")
    assert finding.level == level
    assert "84 mg is taken only after an initial starting dose of 56 mg" in finding.message
    assert finding.sources == ("L10", "L3")


def test_esketamine_56_never_triggers_the_84_rule(spravato: Protocol) -> None:
    assert "esk_84_after_56_start" not in codes(
        check_dose(spravato, dose("esketamine_spravato", 56), later(84))
    )
    assert "esk_84_after_56_start" not in codes(
        check_dose(spravato, dose("esketamine_spravato", 56), first())
    )


# --- course context fails closed ---------------------------------------------------------------

CONTEXT_CASES: list[tuple[DoseContext | None, str]] = [
    (None, "missing_dose_number"),
    (DoseContext(), "missing_dose_number"),
    (DoseContext(dose_number=0), "invalid_dose_number"),
    (DoseContext(dose_number=True), "invalid_dose_number"),
    (DoseContext(dose_number=1.5), "invalid_dose_number"),  # type: ignore[arg-type]
    (DoseContext(dose_number=1, previous_session_at=T0), "inconsistent_context"),
    (DoseContext(dose_number=1, previous_dose_mg=56), "inconsistent_context"),
    (DoseContext(dose_number=2, proposed_at=T0, previous_dose_mg=56), "missing_previous_session_at"),
    (DoseContext(dose_number=2, previous_session_at=T0, previous_dose_mg=56), "missing_proposed_at"),
    (
        DoseContext(
            dose_number=2, proposed_at=T0, previous_session_at=T0.replace(tzinfo=None), previous_dose_mg=56
        ),
        "invalid_context",
    ),
    (
        DoseContext(dose_number=2, proposed_at=T0, previous_session_at=T0 - timedelta(days=3)),
        "missing_previous_dose_mg",
    ),
    (
        DoseContext(
            dose_number=2, proposed_at=T0, previous_session_at=T0 - timedelta(days=3), previous_dose_mg=-1
        ),
        "invalid_context",
    ),
]


@pytest.mark.parametrize(("context", "code"), CONTEXT_CASES)
def test_context_fails_closed(spravato: Protocol, context: DoseContext | None, code: str) -> None:
    check = check_dose(spravato, dose("esketamine_spravato", 56), context)
    assert find(check, code).level == HS and check.blocked


def test_missing_context_marks_incomplete(spravato: Protocol) -> None:
    assert not check_dose(spravato, dose("esketamine_spravato", 56)).complete


def test_proposed_before_previous_session(spravato: Protocol) -> None:
    context = DoseContext(
        dose_number=2, proposed_at=T0, previous_session_at=T0 + timedelta(hours=1), previous_dose_mg=56
    )
    finding = find(check_dose(spravato, dose("esketamine_spravato", 56), context), "interval")
    assert finding.level == HS and "check the dates" in finding.message


def test_protocol_without_titration_or_rules_needs_no_previous_dose(sublingual: Protocol) -> None:
    from dataclasses import replace

    from kapstone.care.protocol_core.protocol import Titration

    bare = replace(sublingual, titration=Titration(None, None, None, None))
    context = DoseContext(dose_number=2, proposed_at=T0, previous_session_at=T0 - timedelta(days=7))
    check = check_dose(bare, dose("sublingual_kap_series", 200, tier="psycholytic"), context)
    assert (
        check.ok and "missing_previous_dose_mg" not in codes(check) and "titration_step" not in codes(check)
    )


def test_to_dict_is_plain(im: Protocol) -> None:
    check = check_dose(im, dose("im_kap", 35, weight_kg=70, tier="psycholytic"), first())
    data = check.to_dict()
    assert data["protocol_id"] == "im_kap" and data["level"] == "ok" and data["mg_per_kg"] == 0.5
    assert isinstance(data["findings"], list) and isinstance(data["findings"][0], dict)
    assert math.isclose(data["session_total_mg_per_kg"], 0.5)  # type: ignore[arg-type]


def test_booster_without_timing_rule(sublingual: Protocol) -> None:
    from dataclasses import replace

    protocol = replace(sublingual, booster=replace(sublingual.booster, min_minutes_after_first_dose=None))
    check = check_dose(protocol, booster(100, (200,), minutes=None))
    assert (
        check.ok
        and "booster_min_minutes" not in codes(check)
        and "booster_timing_missing" not in codes(check)
    )


def test_dose_rules_without_titration(spravato: Protocol) -> None:
    from dataclasses import replace

    from kapstone.care.protocol_core.protocol import Titration

    protocol = replace(spravato, titration=Titration(None, None, None, None))
    check = check_dose(protocol, dose("esketamine_spravato", 56), later(84))
    assert check.ok and "titration_step" not in codes(check)
    assert (
        find(check_dose(protocol, dose("esketamine_spravato", 84), later(56)), "esk_84_after_56_start").level
        == OK
    )
