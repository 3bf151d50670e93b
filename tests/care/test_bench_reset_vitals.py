"""make bench's vitals runs start from the seeded readings: bench.reset_vitals takes back what the
runs added to the live sessions (and the alerts raised on them), nothing before the seeding and
nothing on a session it was not given."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from bench.reset_vitals import reset
from care_helpers import actor, dosed, record_vitals
from django.utils import timezone

from kapstone.care.models import Alert, VitalReading
from readiness_helpers import Ready

pytestmark = pytest.mark.django_db

READING = {"systolic": 128, "diastolic": 82, "heart_rate": 76, "spo2": 97, "respiratory_rate": 15}
HIGH = {**READING, "systolic": 190}  # above every shipped protocol's systolic threshold: an alert


def test_a_reset_deletes_only_what_runs_added_to_the_named_sessions(world: Any, ready: Ready) -> None:
    theo = actor(world, "theo")
    live = dosed(world)
    record_vitals(theo, live, dict(READING), key="seeded")
    seeded_at = timezone.now() + timedelta(microseconds=1)
    VitalReading.objects.update(recorded_at=seeded_at - timedelta(seconds=1))
    seeded = list(VitalReading.objects.filter(session=live).values_list("pk", flat=True))  # with the pre-dose
    for n in range(3):
        record_vitals(theo, live, dict(READING), key=f"run-{n}")
    record_vitals(theo, live, dict(HIGH), key="run-high")
    assert Alert.objects.filter(reading__session=live).exists()
    assert reset(seeded_at, [live.pk + 1])["readings_deleted"] == 0  # another session: untouched

    counts = reset(seeded_at, [live.pk])

    assert counts["readings_deleted"] == 4
    assert counts["alerts_deleted"] >= 1
    assert list(VitalReading.objects.filter(session=live).values_list("pk", flat=True)) == seeded
    assert not Alert.objects.filter(reading__session=live).exists()
    assert counts["readings_left"] == len(seeded) == 2
