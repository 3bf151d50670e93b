"""Per-organization instrument options and item wording: set by the org admin, used when scoring."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from measures_helpers import actor, phq9

from kapstone.audit.models import AuditEvent
from kapstone.measures.models import InstrumentSettings, SafetyTask
from kapstone.measures.services import instrument_settings_update, response_submit

pytestmark = pytest.mark.django_db


def _save(world, name="avery", version=1, **options):
    return instrument_settings_update(
        actor(world, name), "phq9", options=options, item_text={}, expected_version=version
    )


def test_the_admin_sets_options_and_scoring_uses_them(world):
    row = _save(world, rci_sd=5.5, rci_reliability=0.84)
    assert row.options == {"rci_sd": 5.5, "rci_reliability": 0.84} and row.version == 2
    detail = AuditEvent.objects.get(action="instrument.configure").detail["options"]
    assert detail == {"rci_sd": 5.5, "rci_reliability": 0.84}
    response = response_submit(actor(world, "theo"), world.clients["rowan"], "phq9", phq9(item9=1))
    assert response.result["options"]["rci_sd"] == 5.5
    assert SafetyTask.objects.count() == 1


def test_the_item9_threshold_cannot_be_raised_past_its_safety_floor(world):
    """Issue #11: setting it to 2 or 3 used to silence item-9 answers of 1 (no task opened)."""
    with pytest.raises(ValidationError) as caught:
        _save(world, item9_flag_min=2)
    assert "safety floor" in caught.value.message_dict["option_item9_flag_min"][0]
    assert not InstrumentSettings.objects.exists()
    response_submit(actor(world, "theo"), world.clients["rowan"], "phq9", phq9(item9=1))
    assert SafetyTask.objects.count() == 1


def test_options_are_per_organization(world):
    _save(world, rci_sd=4.0)
    olive_response = response_submit(actor(world, "olive"), world.clients["oona"], "phq9", phq9(item9=1))
    assert olive_response.result["options"]["rci_sd"] is None  # org B keeps the default


@pytest.mark.parametrize(("options", "field"), [
    ({"item9_flag_min": 7}, "option_item9_flag_min"),
    ({"rci_reliability": 1.5}, "option_rci_reliability"),
    ({"nosuch": 1}, "__all__"),
])  # fmt: skip
def test_invalid_options_are_refused_and_nothing_changes(world, options, field):
    with pytest.raises(ValidationError) as caught:
        _save(world, **options)
    assert field in caught.value.message_dict
    assert not InstrumentSettings.objects.exists()


def test_a_stale_edit_is_refused(world):
    _save(world, rci_sd=5.5)
    with pytest.raises(ValidationError, match="Someone else changed"):
        _save(world, version=1, rci_sd=6.0)
    assert InstrumentSettings.objects.get().options == {"rci_sd": 5.5}


@pytest.mark.parametrize("name", ["theo", "priya", "olive"])
def test_clinicians_cannot_change_clinic_settings(world, name):
    with pytest.raises(PermissionDenied):
        _save(world, name, rci_sd=5.5)


def test_the_settings_page_saves_and_keeps_bad_input(world, as_user):
    http = as_user("avery")
    url = "/measures/instruments/phq9/settings/"
    page = http.get(url).content.decode()
    assert "Item 9 answer that raises the safety flag" in page and "design-choice" in page
    reply = http.post(url, {"version": "1", "option_item9_flag_min": "9"})
    assert reply.status_code == 200 and 'value="9"' in reply.content.decode()
    assert not InstrumentSettings.objects.exists()
    reply = http.post(
        url,
        {
            "version": "1",
            "option_rci_sd": "5.5",
            "option_rci_reliability": "0.84",
            "text_phq9_1": "Our clinic's wording",
        },
    )
    assert reply.status_code == 302
    row = InstrumentSettings.objects.get()
    assert row.options == {"rci_sd": 5.5, "rci_reliability": 0.84} and row.item_text == {
        "phq9_1": "Our clinic's wording"
    }
    assert as_user("theo").get(url).status_code == 404
    catalogue = as_user("theo").get("/measures/instruments/").content.decode()
    assert "PHQ-9" in catalogue and "Clinic settings" not in catalogue


def test_clinic_rci_parameters_make_the_rci_computable_on_the_measures_page(world, as_user):
    _save(world, rci_sd=5.5, rci_reliability=0.84)
    rowan, theo = world.clients["rowan"], actor(world, "theo")
    response_submit(theo, rowan, "phq9", phq9(base=2), administered_at=timezone.now() - timedelta(days=30))
    response_submit(theo, rowan, "phq9", phq9(base=1))
    html = as_user("theo").get(f"/measures/clients/{rowan.pk}/").content.decode()
    assert "Reliable change (RCI)</th><td>Improved" in html and "SD 5.5 and r 0.84" in html
