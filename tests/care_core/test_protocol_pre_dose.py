"""check_pre_dose: go / no-go, one missing or failed item at a time (fail closed)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from care_core_helpers import IDS, T0

from kapstone.care.protocol_core import (
    GoNoGo,
    MoodCheck,
    PreDoseChecklist,
    Protocol,
    VitalsReading,
    check_pre_dose,
)

GOOD_VITALS = VitalsReading(systolic=128, diastolic=78, heart_rate=72, spo2=98, respiratory_rate=14, moaas=5)


def good(protocol: Protocol) -> PreDoseChecklist:
    return PreDoseChecklist(
        planned_dose_at=T0,
        last_food_at=T0 - timedelta(hours=8),
        last_liquid_at=T0 - timedelta(hours=3),
        vitals=GOOD_VITALS,
        medications_reviewed=True,
        attestations={a.id: True for a in protocol.pre_dose.attestations},
        mood_check=MoodCheck(done=True, result="no_risk"),
        dose_number=1,
        current_state={"current_psychotic_symptoms": False, "current_manic_symptoms": False},
    )


def item(result: GoNoGo, ident: str) -> Any:
    matches = [i for i in result.items if i.id == ident]
    assert len(matches) == 1, (ident, [i.id for i in result.items])
    return matches[0]


@pytest.mark.parametrize("protocol_id", IDS)
def test_complete_checklist_is_go(registry: Any, protocol_id: str) -> None:
    protocol = registry.get(protocol_id)
    result = check_pre_dose(protocol, good(protocol))
    assert result.decision == "go" and result.go, result.rationale
    assert result.blocking == () and result.needing_justification == ()
    assert result.protocol_id == protocol_id and result.protocol_version == protocol.version
    assert result.to_dict()["decision"] == "go"


def _without_attestation(name: str) -> Any:
    def change(checklist: PreDoseChecklist) -> PreDoseChecklist:
        given = dict(checklist.attestations)
        del given[name]
        return replace(checklist, attestations=given)

    return change


def _attestation(name: str, value: Any) -> Any:
    def change(checklist: PreDoseChecklist) -> PreDoseChecklist:
        return replace(checklist, attestations={**checklist.attestations, name: value})

    return change


# (change to the good checklist, item id that must be no_go, words in its message)
NO_GO_CASES: list[tuple[str, Any, str, str]] = [
    ("food time missing", lambda c: replace(c, last_food_at=None), "fasting_food", "not recorded"),
    ("liquid time missing", lambda c: replace(c, last_liquid_at=None), "fasting_liquids", "not recorded"),
    (
        "food after dose",
        lambda c: replace(c, last_food_at=T0 + timedelta(minutes=5)),
        "fasting_food",
        "after the planned dose",
    ),
    (
        "naive food time",
        lambda c: replace(c, last_food_at=T0.replace(tzinfo=None)),
        "fasting_food",
        "timezone-aware",
    ),
    (
        "naive liquid time",
        lambda c: replace(c, last_liquid_at=T0.replace(tzinfo=None)),
        "fasting_liquids",
        "last_liquid_at",
    ),
    ("vitals missing", lambda c: replace(c, vitals=None), "vitals", "not recorded"),
    (
        "systolic missing",
        lambda c: replace(c, vitals=replace(GOOD_VITALS, systolic=None)),
        "vitals.systolic",
        "not recorded",
    ),
    (
        "diastolic missing",
        lambda c: replace(c, vitals=replace(GOOD_VITALS, diastolic=None)),
        "vitals.diastolic",
        "not recorded",
    ),
    (
        "heart rate missing",
        lambda c: replace(c, vitals=replace(GOOD_VITALS, heart_rate=None)),
        "vitals.heart_rate",
        "not recorded",
    ),
    (
        "spo2 missing",
        lambda c: replace(c, vitals=replace(GOOD_VITALS, spo2=None)),
        "vitals.spo2",
        "not recorded",
    ),
    (
        "impossible vitals",
        lambda c: replace(c, vitals=replace(GOOD_VITALS, systolic=400)),
        "vitals.systolic",
        "impossible",
    ),
    (
        "emergency symptom",
        lambda c: replace(c, vitals=replace(GOOD_VITALS, symptoms=("chest_pain",))),
        "symptom.chest_pain",
        "emergency care",
    ),
    (
        "medication review missing",
        lambda c: replace(c, medications_reviewed=None),
        "medications",
        "not recorded",
    ),
    (
        "medication review false",
        lambda c: replace(c, medications_reviewed=False),
        "medications",
        "not recorded",
    ),
    ("escort missing", _without_attestation("escort_present"), "attestation.escort_present", "missing"),
    ("escort absent", _attestation("escort_present", False), "attestation.escort_present", "not met"),
    ("consent missing", _without_attestation("consent_current"), "attestation.consent_current", "missing"),
    ("consent none", _attestation("consent_current", None), "attestation.consent_current", "missing"),
    (
        "clearance missing",
        _without_attestation("clearance_current"),
        "attestation.clearance_current",
        "missing",
    ),
    (
        "clearance not bool",
        _attestation("clearance_current", "yes"),
        "attestation.clearance_current",
        "expected true or false",
    ),
    (
        "unknown item",
        _attestation("escrot_present", True),
        "attestation.escrot_present",
        "not a pre-dose item",
    ),
    ("mood check missing", lambda c: replace(c, mood_check=None), "mood_check", "not done"),
    ("mood check not done", lambda c: replace(c, mood_check=MoodCheck(done=False)), "mood_check", "not done"),
    (
        "mood result missing",
        lambda c: replace(c, mood_check=MoodCheck(done=True)),
        "mood_check",
        "result missing",
    ),
    (
        "mood result unknown",
        lambda c: replace(c, mood_check=MoodCheck(done=True, result="fine")),
        "mood_check",
        "not one of",
    ),
    (
        "mood high risk",
        lambda c: replace(c, mood_check=MoodCheck(done=True, result="high_risk")),
        "mood_check",
        "High risk",
    ),
    (
        "naive planned time",
        lambda c: replace(c, planned_dose_at=T0.replace(tzinfo=None)),
        "planned_dose_at",
        "timezone-aware",
    ),
]


@pytest.mark.parametrize(("name", "change", "ident", "words"), NO_GO_CASES, ids=[c[0] for c in NO_GO_CASES])
@pytest.mark.parametrize("protocol_id", IDS)
def test_each_missing_or_failed_item_is_no_go(
    registry: Any, protocol_id: str, name: str, change: Any, ident: str, words: str
) -> None:
    protocol = registry.get(protocol_id)
    result = check_pre_dose(protocol, change(good(protocol)))
    assert result.decision == "no_go" and not result.go
    found = item(result, ident)
    assert found.status == "no_go" and words in found.message, found
    assert found in result.blocking
    assert found.message in result.rationale and result.rationale.startswith("no go")


def test_naive_planned_time_blocks_fasting_checks(spravato: Protocol) -> None:
    result = check_pre_dose(spravato, replace(good(spravato), planned_dose_at=T0.replace(tzinfo=None)))
    assert "valid planned dose time" in item(result, "fasting_food").message


def test_rems_enrolment_required_for_spravato(spravato: Protocol) -> None:
    result = check_pre_dose(spravato, _without_attestation("rems_enrolled")(good(spravato)))
    assert item(result, "attestation.rems_enrolled").status == "no_go"


# --- fasting: level per protocol, boundaries ------------------------------------------------

FASTING_CASES: list[tuple[str, str, timedelta, str]] = [
    # SPRAVATO default 2 h food / 30 min liquids, warn_requires_justification.
    ("esketamine_spravato", "food", timedelta(hours=2), "ok"),
    ("esketamine_spravato", "food", timedelta(hours=1, minutes=59), "needs_justification"),
    ("esketamine_spravato", "liquids", timedelta(minutes=30), "ok"),
    ("esketamine_spravato", "liquids", timedelta(minutes=29), "needs_justification"),
    # Sublingual 4 h / 2 h, warn.
    ("sublingual_kap_series", "food", timedelta(hours=4), "ok"),
    ("sublingual_kap_series", "food", timedelta(hours=3, minutes=59), "needs_justification"),
    ("sublingual_kap_series", "liquids", timedelta(hours=2), "ok"),
    ("sublingual_kap_series", "liquids", timedelta(minutes=119), "needs_justification"),
    # IM 4 h / 2 h, hard stop (NPO, [K2]).
    ("im_kap", "food", timedelta(hours=4), "ok"),
    ("im_kap", "food", timedelta(hours=3), "no_go"),
    ("im_kap", "liquids", timedelta(minutes=119), "no_go"),
    # IV 6 h / 2 h, hard stop.
    ("iv_induction_series", "food", timedelta(hours=6), "ok"),
    ("iv_induction_series", "food", timedelta(hours=5, minutes=59), "no_go"),
    ("iv_induction_series", "liquids", timedelta(hours=2), "ok"),
]


@pytest.mark.parametrize(("protocol_id", "what", "ago", "status"), FASTING_CASES)
def test_fasting(registry: Any, protocol_id: str, what: str, ago: timedelta, status: str) -> None:
    protocol = registry.get(protocol_id)
    field = "last_food_at" if what == "food" else "last_liquid_at"
    change: dict[str, Any] = {field: T0 - ago}
    result = check_pre_dose(protocol, replace(good(protocol), **change))
    assert item(result, f"fasting_{what}").status == status
    assert (
        result.decision
        == {"ok": "go", "needs_justification": "needs_justification", "no_go": "no_go"}[status]
    )


# --- pre-dose vital limits ------------------------------------------------------------------

VITAL_LIMIT_CASES: list[tuple[str, dict[str, float], str, str]] = [
    # SPRAVATO >140/90 is a benefit-risk prompt, NOT a hold.
    ("esketamine_spravato", {"systolic": 140}, "sbp_general_guide", "ok"),
    ("esketamine_spravato", {"systolic": 141}, "sbp_general_guide", "needs_justification"),
    ("esketamine_spravato", {"diastolic": 90}, "dbp_general_guide", "ok"),
    ("esketamine_spravato", {"diastolic": 91}, "dbp_general_guide", "needs_justification"),
    ("esketamine_spravato", {"systolic": 179}, "sbp_hold", "ok"),
    ("esketamine_spravato", {"systolic": 180}, "sbp_hold", "no_go"),
    ("esketamine_spravato", {"diastolic": 109}, "dbp_hold", "ok"),
    ("esketamine_spravato", {"diastolic": 110, "systolic": 150}, "dbp_hold", "no_go"),
    ("esketamine_spravato", {"heart_rate": 120}, "hr_high", "ok"),
    ("esketamine_spravato", {"heart_rate": 121}, "hr_high", "needs_justification"),
    ("esketamine_spravato", {"spo2": 94}, "spo2_low", "ok"),
    ("esketamine_spravato", {"spo2": 93}, "spo2_low", "needs_justification"),
    # Racemic: review above 140/90; hold above 180/100 at rest [K3].
    ("im_kap", {"systolic": 141}, "sbp_review", "needs_justification"),
    ("im_kap", {"systolic": 180}, "sbp_hold", "ok"),
    ("im_kap", {"systolic": 181}, "sbp_hold", "no_go"),
    ("iv_induction_series", {"diastolic": 100, "systolic": 150}, "dbp_hold", "ok"),
    ("iv_induction_series", {"diastolic": 101, "systolic": 150}, "dbp_hold", "no_go"),
    ("sublingual_kap_series", {"diastolic": 91}, "dbp_review", "needs_justification"),
    ("sublingual_kap_series", {"heart_rate": 121}, "hr_high", "needs_justification"),
    ("sublingual_kap_series", {"spo2": 93}, "spo2_low", "needs_justification"),
]


@pytest.mark.parametrize(("protocol_id", "vitals", "limit", "status"), VITAL_LIMIT_CASES)
def test_pre_dose_vital_limits(
    registry: Any, protocol_id: str, vitals: dict[str, Any], limit: str, status: str
) -> None:
    protocol = registry.get(protocol_id)
    result = check_pre_dose(protocol, replace(good(protocol), vitals=replace(GOOD_VITALS, **vitals)))
    found = item(result, f"vital_limit.{limit}")
    assert found.status == status
    assert ("source:" in found.message) or ("clinic setting" in found.message)


def test_spravato_general_guide_is_not_a_hold(spravato: Protocol) -> None:
    result = check_pre_dose(
        spravato, replace(good(spravato), vitals=replace(GOOD_VITALS, systolic=150, diastolic=95))
    )
    assert result.decision == "needs_justification" and not result.go
    assert {i.id for i in result.needing_justification} == {
        "vital_limit.sbp_general_guide",
        "vital_limit.dbp_general_guide",
    }
    assert result.rationale.startswith("needs a documented prescriber justification")


def test_unknown_symptom_needs_review(spravato: Protocol) -> None:
    result = check_pre_dose(
        spravato, replace(good(spravato), vitals=replace(GOOD_VITALS, symptoms=("nausea",)))
    )
    assert item(result, "symptom.nausea").status == "needs_justification"


def test_respiratory_rate_not_required(spravato: Protocol) -> None:
    vitals = VitalsReading(systolic=120, diastolic=80, heart_rate=70, spo2=97)
    assert check_pre_dose(spravato, replace(good(spravato), vitals=vitals)).go


# --- same-day medications --------------------------------------------------------------------

MEDICATION_CASES: list[tuple[str, str, str]] = [
    ("esketamine_spravato", "benzodiazepine", "noted"),
    ("esketamine_spravato", "opioid", "noted"),
    ("esketamine_spravato", "stimulant", "noted"),
    ("esketamine_spravato", "maoi", "noted"),
    ("esketamine_spravato", "nasal_steroid_or_decongestant_within_1h", "needs_justification"),
    ("im_kap", "benzodiazepine", "noted"),
    ("im_kap", "lithium", "needs_justification"),
]


@pytest.mark.parametrize(("protocol_id", "medication", "status"), MEDICATION_CASES)
def test_same_day_medications(registry: Any, protocol_id: str, medication: str, status: str) -> None:
    protocol = registry.get(protocol_id)
    result = check_pre_dose(protocol, replace(good(protocol), same_day_medications=(medication, medication)))
    found = item(result, f"medication.{medication}")
    assert found.status == status
    if status == "noted":
        assert result.rationale.startswith("go: ") and f"noted: {found.label}" in result.rationale
    assert result.decision == ("go" if status == "noted" else "needs_justification")


def test_no_medications_reported(spravato: Protocol) -> None:
    found = item(check_pre_dose(spravato, good(spravato)), "medications")
    assert found.status == "ok" and "benzodiazepine" in found.message


def test_hard_stop_medication_class(spravato: Protocol) -> None:
    from kapstone.care.protocol_core.protocol import MedicationClass, PreDose, Provenance

    hold = MedicationClass("maoi", "MAOI", "hard_stop", Provenance((), True, "clinic policy"))
    protocol = replace(spravato, pre_dose=replace(spravato.pre_dose, medications=(hold,)))
    result = check_pre_dose(protocol, replace(good(protocol), same_day_medications=("maoi",)))
    assert item(result, "medication.maoi").status == "no_go" and result.decision == "no_go"
    assert isinstance(protocol.pre_dose, PreDose)
    empty = replace(spravato, pre_dose=replace(spravato.pre_dose, medications=()))
    assert "the listed classes" in item(check_pre_dose(empty, good(empty)), "medications").message


# --- mood check --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("result_id", "status", "decision"),
    [
        ("no_risk", "ok", "go"),
        ("low_risk", "noted", "go"),
        ("moderate_risk", "needs_justification", "needs_justification"),
        ("high_risk", "no_go", "no_go"),
    ],
)
@pytest.mark.parametrize("protocol_id", IDS)
def test_mood_check_levels(
    registry: Any, protocol_id: str, result_id: str, status: str, decision: str
) -> None:
    protocol = registry.get(protocol_id)
    result = check_pre_dose(
        protocol, replace(good(protocol), mood_check=MoodCheck(done=True, result=result_id))
    )
    assert item(result, "mood_check").status == status and result.decision == decision
