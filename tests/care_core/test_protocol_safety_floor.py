"""The in-session safety floor (issue #11 item 2): whatever a protocol version sets as its own alert
thresholds, a reading at or above 180 systolic or 120 diastolic always raises an urgent alert."""

from __future__ import annotations

from typing import Any

from care_core_helpers import IDS, raw
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kapstone.care.protocol_core import VitalsReading, check_vitals, default_registry, parse_protocol

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _loosened(protocol_id: str, raise_to: int) -> Any:
    """A clinic version whose BP alerts fire only at ``raise_to`` (or were removed)."""
    data = raw(protocol_id)
    alerts = [a for a in data["alerts"] if a["vital"] not in ("systolic", "diastolic")]
    if raise_to < 300:
        alerts += [
            {**a, "value": raise_to} for a in data["alerts"] if a["vital"] in ("systolic", "diastolic")
        ]
    data["alerts"] = alerts
    return parse_protocol(data, f"{protocol_id}-loosened.toml")


@SETTINGS
@given(
    protocol_id=st.sampled_from(IDS),
    raise_to=st.integers(181, 300),
    systolic=st.integers(180, 299),
    diastolic=st.integers(40, 170),
)
def test_a_crisis_reading_always_alerts_whatever_the_protocol_says(
    protocol_id: str, raise_to: int, systolic: int, diastolic: int
) -> None:
    protocol = _loosened(protocol_id, raise_to)
    alerts = check_vitals(protocol, VitalsReading(systolic=systolic, diastolic=min(diastolic, systolic - 1)))
    assert any(a.vital == "systolic" and a.severity in ("urgent", "emergency") for a in alerts)


@SETTINGS
@given(protocol_id=st.sampled_from(IDS), raise_to=st.integers(121, 300), diastolic=st.integers(120, 170))
def test_a_diastolic_crisis_always_alerts(protocol_id: str, raise_to: int, diastolic: int) -> None:
    protocol = _loosened(protocol_id, raise_to)
    alerts = check_vitals(protocol, VitalsReading(systolic=200, diastolic=diastolic))
    assert any(a.vital == "diastolic" and a.severity == "urgent" for a in alerts)


def test_the_floor_alert_names_itself_and_its_sources() -> None:
    """Before the floor, a protocol version with its BP alerts raised to 250 let 245/145 pass silently."""
    protocol = _loosened("sublingual_kap_series", 250)
    alerts = check_vitals(protocol, VitalsReading(systolic=245, diastolic=145))
    floor = [a for a in alerts if a.code == "safety_floor"]
    assert {a.vital for a in floor} == {"systolic", "diastolic"}
    assert all("safety floor" in a.rationale and a.sources for a in floor)


def test_shipped_protocols_alert_by_their_own_rules_without_a_duplicate_floor_alert() -> None:
    for protocol in default_registry().all():
        alerts = check_vitals(protocol, VitalsReading(systolic=185, diastolic=95))
        assert not [a for a in alerts if a.code == "safety_floor"]
        assert any(a.vital == "systolic" and a.severity == "urgent" for a in alerts)
