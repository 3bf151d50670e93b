"""A vitals reading reads the pre-dose baseline only when an alert rule compares one of its measured
values with it; its alerts are the same either way (issue #18: the two reads skipped for vitals)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kapstone.care.protocol_core import VitalsReading, check_vitals, default_registry
from kapstone.care.services.monitoring import compares_with_baseline

IDS = ["sublingual_kap_series", "im_kap", "iv_induction_series", "esketamine_spravato"]
LOW_BASELINE = VitalsReading(systolic=90, diastolic=60, heart_rate=50, spo2=99, respiratory_rate=12, moaas=5)
READINGS = [
    VitalsReading(systolic=128, diastolic=82, heart_rate=76, spo2=97, respiratory_rate=15),
    VitalsReading(systolic=190, diastolic=125, heart_rate=130, spo2=86, respiratory_rate=7),
    VitalsReading(systolic=150, symptoms=("severe_headache",)),
]


@pytest.mark.parametrize("protocol_id", IDS)
@pytest.mark.parametrize("reading", READINGS)
def test_a_shipped_protocols_vitals_alerts_do_not_depend_on_the_baseline(
    protocol_id: str, reading: VitalsReading
) -> None:
    protocol = default_registry().get(protocol_id)
    assert not compares_with_baseline(protocol, reading)
    assert check_vitals(protocol, reading, None) == check_vitals(protocol, reading, LOW_BASELINE)


@pytest.mark.parametrize("protocol_id", IDS)
def test_a_sedation_score_is_still_compared_with_the_pre_dose_one(protocol_id: str) -> None:
    protocol = default_registry().get(protocol_id)
    assert compares_with_baseline(protocol, VitalsReading(moaas=3))


def test_a_rule_comparing_a_vital_with_its_baseline_makes_the_reading_read_it() -> None:
    protocol = default_registry().get("im_kap")
    sedation = next(r for r in protocol.alerts if r.from_baseline)
    on_systolic = replace(protocol, alerts=(*protocol.alerts, replace(sedation, vital="systolic")))
    assert compares_with_baseline(on_systolic, VitalsReading(systolic=120))
    assert not compares_with_baseline(on_systolic, VitalsReading(heart_rate=80))  # systolic not measured
