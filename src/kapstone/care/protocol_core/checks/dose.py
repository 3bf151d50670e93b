"""The dose check: a planned or given dose against the protocol's limits (mg/kg, absolute
maximum, devices, tier, booster), its course stage and the interval since the last dose."""

from __future__ import annotations

from .._toml import is_number
from ..ceiling import check_ceiling
from ..inputs import DoseContext, DoseInput
from ..protocol import HARD_STOP as LIMIT_HARD_STOP
from ..protocol import Protocol, Value
from ..results import HARD_STOP, NEEDS_JUSTIFICATION, OK, DoseCheck
from ..shared import VitalBounds, default_vital_bounds
from ._common import _consequence, _Findings, _fmt, _positive, _result_level, _worst
from .course import _course


def check_dose(  # noqa: C901 - one case per rule; listed in issue #10 to split
    protocol: Protocol,
    dose: DoseInput,
    context: DoseContext | None = None,
    *,
    bounds: VitalBounds | None = None,
) -> DoseCheck:
    """Check one dose against the protocol. Never raises for bad input: it is refused in the result."""
    bounds = bounds or default_vital_bounds()
    context = context or DoseContext()
    found = _Findings()

    def result(
        *,
        refused: bool = False,
        mg_per_kg: float | None = None,
        total: float | None = None,
        total_per_kg: float | None = None,
        devices: int | None = None,
    ) -> DoseCheck:
        level = _worst(f.level for f in found.items)
        problems = [f.message for f in found.items if f.level != OK]
        if problems:
            rationale = "; ".join(problems)
        else:
            rationale = f"within protocol {protocol.id} {protocol.version}: every rule checked"
        return DoseCheck(
            protocol.id,
            protocol.version,
            level,
            found.complete and not refused,
            refused,
            dose.amount_mg if not refused or _positive(dose.amount_mg) else None,
            dose.weight_kg if _positive(dose.weight_kg) else None,
            mg_per_kg,
            total,
            total_per_kg,
            devices,
            tuple(found.items),
            rationale,
        )

    # 1. The input itself. A unit other than mg is refused, never converted.
    if dose.unit != "mg":
        found.add(
            "unit_not_mg",
            HARD_STOP,
            f"dose unit must be mg (got {dose.unit!r}): record the dose in milligrams; "
            "the system never converts units by guess",
        )
        return result(refused=True)
    if not _positive(dose.amount_mg):
        found.add(
            "invalid_amount", HARD_STOP, f"amount_mg must be a number greater than 0 (got {dose.amount_mg!r})"
        )
        return result(refused=True)
    weight_bound = bounds.weight
    if dose.weight_kg is not None and not (
        is_number(dose.weight_kg) and weight_bound.min <= dose.weight_kg <= weight_bound.max
    ):
        found.add(
            "invalid_weight",
            HARD_STOP,
            f"weight_kg must be a number from {_fmt(weight_bound.min)} to {_fmt(weight_bound.max)} kg "
            f"(got {dose.weight_kg!r}): check the entry (kilograms, not pounds)",
        )
        return result(refused=True)
    for index, prior in enumerate(dose.prior_doses_mg):
        if not _positive(prior):
            found.add(
                "invalid_prior_dose",
                HARD_STOP,
                f"prior_doses_mg[{index}] must be a number greater than 0 (got {prior!r})",
            )
            return result(refused=True)

    amount = float(dose.amount_mg)
    weight = float(dose.weight_kg) if dose.weight_kg is not None else None
    mg_per_kg = amount / weight if weight is not None else None
    total = amount + sum(float(p) for p in dose.prior_doses_mg)
    total_per_kg = total / weight if weight is not None else None

    # 2. Route and product: a dose for another route cannot be checked against this protocol.
    if dose.route not in protocol.routes:
        found.add(
            "route_mismatch",
            HARD_STOP,
            f"route {dose.route!r} is not this protocol's route ({', '.join(protocol.routes)}): "
            "check the dose against a protocol for that route",
        )
    else:
        found.add("route", OK, f"route {dose.route} matches the protocol")
    if dose.product is not None and dose.product != protocol.product:
        found.add(
            "product_mismatch",
            HARD_STOP,
            f"product {dose.product!r} is not this protocol's product ({protocol.product}): "
            "esketamine and racemic ketamine doses are not interchangeable",
        )
    if protocol.uses_weight and weight is None:
        found.missing("weight_required", "weight_kg is required: this protocol has mg/kg limits")

    # 3. Single-administration and per-session bounds.
    bounds_ = protocol.dose
    if not dose.is_booster:
        found.limit("min_mg", bounds_.min_mg, amount, "mg", "dose", "the protocol minimum", upper=False)
        found.limit(
            "min_mg_per_kg",
            bounds_.min_mg_per_kg,
            mg_per_kg,
            "mg/kg",
            "dose",
            "the protocol minimum",
            upper=False,
        )
    found.limit("max_mg", bounds_.max_mg, amount, "mg", "dose", "the maximum single dose")
    found.limit("max_mg_per_kg", bounds_.max_mg_per_kg, mg_per_kg, "mg/kg", "dose", "the maximum single dose")
    found.limit(
        "per_session_max_mg",
        bounds_.per_session_max_mg,
        total,
        "mg",
        "session total",
        "the per-session maximum (boosters included)",
    )
    found.limit(
        "per_session_max_mg_per_kg",
        bounds_.per_session_max_mg_per_kg,
        total_per_kg,
        "mg/kg",
        "session total",
        "the per-session maximum (boosters included)",
    )
    if bounds_.multiple_of_mg is not None:
        step = float(bounds_.multiple_of_mg.value)
        count = amount / step
        limit = bounds_.multiple_of_mg
        common = {
            "limit": limit.field,
            "limit_value": step,
            "actual": amount,
            "unit": "mg",
            "sources": limit.provenance.sources,
            "clinic_setting": limit.provenance.clinic_setting,
        }
        if abs(count - round(count)) > 1e-6:
            level = _result_level(limit)
            found.add(
                "multiple_of_mg",
                level,
                f"dose {_fmt(amount)} mg is not a whole multiple of "
                f"{_fmt(limit.value)} mg ({limit.cite()}); {_consequence(level)}",
                **common,
            )
        else:
            found.add(
                "multiple_of_mg",
                OK,
                f"dose {_fmt(amount)} mg is a whole multiple of {_fmt(limit.value)} mg ({limit.cite()})",
                **common,
            )

    reference: float | None
    if dose.is_booster and dose.prior_doses_mg:
        reference, ref_label = float(dose.prior_doses_mg[0]), "this session's first dose"
    else:
        reference, ref_label = context.previous_dose_mg, "the previous session's dose"
    capped, capped_complete = check_ceiling(
        protocol,
        amount=amount,
        mg_per_kg=mg_per_kg,
        total=total,
        total_per_kg=total_per_kg,
        reference_mg=float(reference) if reference is not None and _positive(reference) else None,
        reference_label=ref_label,
    )
    found.items.extend(capped)
    found.complete = found.complete and capped_complete
    devices = _devices(protocol, amount, found)
    _tier(protocol, dose, amount, mg_per_kg, found)
    if dose.is_booster:
        _booster(protocol, dose, amount, mg_per_kg, found)
    else:
        if dose.prior_doses_mg:
            found.add(
                "booster_flag",
                HARD_STOP,
                f"{len(dose.prior_doses_mg)} dose(s) were already given this session: a further dose is a "
                "booster (set is_booster), so that the booster rules are checked",
            )
        _course(protocol, amount, mg_per_kg, weight, context, found)
    return result(mg_per_kg=mg_per_kg, total=total, total_per_kg=total_per_kg, devices=devices)


def _devices(protocol: Protocol, amount: float, found: _Findings) -> int | None:
    admin = protocol.administration
    if admin is None or admin.device_mg is None:
        return None
    count = amount / float(admin.device_mg.value)
    if abs(count - round(count)) > 1e-6:
        return None  # the multiple_of_mg rule reports it
    devices = round(count)
    rest = ""
    if admin.rest_between_devices_minutes is not None and devices > 1:
        rest = f", {_fmt(admin.rest_between_devices_minutes.value)}-minute rest between devices"
    found.add(
        "devices",
        OK,
        f"{_fmt(amount)} mg = {devices} device(s) of {_fmt(admin.device_mg.value)} mg{rest} "
        f"({admin.device_mg.cite()})",
        limit=admin.device_mg.field,
        limit_value=float(admin.device_mg.value),
        actual=amount,
        unit="mg",
        sources=admin.device_mg.provenance.sources,
    )
    return devices


def _tier(
    protocol: Protocol, dose: DoseInput, amount: float, mg_per_kg: float | None, found: _Findings
) -> None:
    if dose.tier is None:
        if protocol.tiers and not dose.is_booster:
            found.add(
                "tier_missing",
                NEEDS_JUSTIFICATION,
                f"no dose tier given ({', '.join(t.id for t in protocol.tiers)}): the dose cannot be checked "
                "against a tier range; the prescriber must name the tier or justify",
            )
        return
    tier = protocol.tier(dose.tier)
    if tier is None:
        known = ", ".join(t.id for t in protocol.tiers) or "none"
        found.add(
            "unknown_tier", HARD_STOP, f"tier {dose.tier!r} is not defined by this protocol (tiers: {known})"
        )
        return
    if dose.is_booster:
        return  # tier ranges describe the session's first dose; boosters have their own rules
    label = f"the {tier.id} tier"
    found.limit(f"tier_{tier.id}_min_mg", tier.min_mg, amount, "mg", "dose", f"{label} minimum", upper=False)
    found.limit(f"tier_{tier.id}_max_mg", tier.max_mg, amount, "mg", "dose", f"{label} maximum")
    found.limit(
        f"tier_{tier.id}_min_mg_per_kg",
        tier.min_mg_per_kg,
        mg_per_kg,
        "mg/kg",
        "dose",
        f"{label} minimum",
        upper=False,
    )
    found.limit(
        f"tier_{tier.id}_max_mg_per_kg", tier.max_mg_per_kg, mg_per_kg, "mg/kg", "dose", f"{label} maximum"
    )


def _booster(
    protocol: Protocol, dose: DoseInput, amount: float, mg_per_kg: float | None, found: _Findings
) -> None:
    rules = protocol.booster
    level = HARD_STOP if rules.level == LIMIT_HARD_STOP else NEEDS_JUSTIFICATION
    cite = rules.provenance.cite()
    if not rules.allowed:
        found.add(
            "booster_not_allowed",
            level,
            f"this protocol allows no booster dose ({cite}); {_consequence(level)}",
            sources=rules.provenance.sources,
            clinic_setting=rules.provenance.clinic_setting,
        )
        return
    if not dose.prior_doses_mg:
        found.add(
            "booster_without_first_dose",
            HARD_STOP,
            "a booster needs the session's earlier dose(s) in prior_doses_mg; none were given",
        )
        return
    assert rules.max_count is not None  # the loader requires it when boosters are allowed
    number = len(dose.prior_doses_mg)  # prior = first dose + earlier boosters
    found.limit(
        "booster_max_count",
        _with_level(rules.max_count, rules.level),
        float(number),
        "booster(s)",
        "booster number",
        "the maximum number of boosters",
    )
    if rules.min_minutes_after_first_dose is not None:
        minutes = dose.minutes_since_first_dose
        if minutes is None:
            found.missing(
                "booster_timing_missing", "minutes_since_first_dose is required to check the booster timing"
            )
        elif not is_number(minutes) or minutes < 0:
            found.add(
                "invalid_booster_timing",
                HARD_STOP,
                f"minutes_since_first_dose must be a number of minutes, 0 or more (got {minutes!r})",
            )
        else:
            found.limit(
                "booster_min_minutes",
                _with_level(rules.min_minutes_after_first_dose, rules.level),
                float(minutes),
                "min",
                "booster",
                "the minimum time after the first dose",
                upper=False,
            )
    found.limit(
        "booster_max_mg",
        _with_level(rules.max_mg, rules.level),
        amount,
        "mg",
        "booster",
        "the booster maximum",
    )
    found.limit(
        "booster_max_mg_per_kg",
        _with_level(rules.max_mg_per_kg, rules.level),
        mg_per_kg,
        "mg/kg",
        "booster",
        "the booster maximum",
    )


def _with_level(value: Value | None, level: str) -> Value | None:
    if value is None:
        return None
    return Value(value.value, value.provenance, value.field, level)
