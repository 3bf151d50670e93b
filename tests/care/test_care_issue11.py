"""Clinical safety, round two (issue #11), in the dosing room: the absolute ceiling cannot be argued
past, and a ceiling is raised only by a prescriber's new protocol version, audited."""

from __future__ import annotations

from typing import Any

import pytest
from care_helpers import actor, protocol, started
from django.core.exceptions import ValidationError

from kapstone.audit.models import AuditEvent
from kapstone.care import services
from kapstone.care.models import DoseRecord
from readiness_helpers import Ready

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("amount", [800, 450])
def test_a_dose_above_the_ceiling_is_refused_even_with_a_prescribers_justification(
    world: Any, ready: Ready, amount: float
) -> None:
    session = started(world)
    data = {"amount_mg": amount, "unit": "mg", "route": "sublingual", "tier": "psychedelic"}
    with pytest.raises(ValidationError) as refused:
        services.dose_record(actor(world, "priya"), session, **data, justification="I am sure")
    message = refused.value.message_dict["amount_mg"][0]
    assert "absolute ceiling" in message and "no justification can override" in message
    assert not DoseRecord.objects.exists()


def test_raising_a_ceiling_takes_a_new_version_whose_save_is_audited(world: Any) -> None:
    base = protocol(world)
    text = base.text.replace('version = "1.0.0"', 'version = "1.1.0"', 1)
    text = text.replace("[ceiling]\nmax_mg = { value = 400", "[ceiling]\nmax_mg = { value = 450", 1)
    text = text.replace(
        'per_session_max_mg = { value = 400, sources = ["D9"], note = "Booster included',
        'per_session_max_mg = { value = 450, sources = ["D9"], note = "Booster included',
        1,
    )
    pv = services.protocol_version_create(actor(world, "priya"), world.org_a, text, note="Larger patients.")
    event = AuditEvent.objects.get(action="protocol.edit", object_id=str(pv.pk))
    assert event.detail["ceiling"]["max_mg"] == 450
    assert event.detail["ceiling_raised"] == ["max_mg", "per_session_max_mg"]


def test_a_clinic_version_without_a_ceiling_is_refused(world: Any) -> None:
    base = protocol(world)
    start = base.text.index("[ceiling]")
    end = base.text.index("\n[", start + 1)
    text = (base.text[:start] + base.text[end + 1 :]).replace('version = "1.0.0"', 'version = "1.1.0"', 1)
    with pytest.raises(ValidationError) as refused:
        services.protocol_version_create(actor(world, "priya"), world.org_a, text, note="no cap")
    assert "[ceiling]" in refused.value.message_dict["text"][0]
