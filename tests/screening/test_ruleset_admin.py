"""The clinic's screening rule set: edited in the UI as TOML, refused with its line when it does not
load (the previous version stays active), versioned, with audited setting overrides."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from tests.clients.intake_helpers import actor, edited_default, ready_for_screening

from kapstone.audit.models import AuditEvent
from kapstone.core.contract import NotYours
from kapstone.screening.models import RuleSetVersion, ScreeningSettings
from kapstone.screening.selectors import active_ruleset
from kapstone.screening.services import ruleset_activate, ruleset_save, screening_run, screening_settings_save

pytestmark = pytest.mark.django_db

EDIT = "screening:ruleset_edit"


def test_an_unparseable_rule_set_is_refused_with_its_line_and_the_previous_stays_active(
    world, as_user
) -> None:
    avery = as_user("avery")
    assert (
        avery.post(reverse(EDIT), {"toml_text": edited_default("1.0.1"), "note": "first"}).status_code == 302
    )
    lines = edited_default("1.0.2").splitlines()
    lines[40] = "this is not = = toml"
    broken = "\n".join(lines)
    response = avery.post(reverse(EDIT), {"toml_text": broken, "note": "oops"})
    assert response.status_code == 400
    message = response.context["form"].errors["toml_text"][0]
    assert message.startswith("rule set text, line 41: TOML syntax error")
    assert "this is not = = toml" in response.content.decode()  # what was typed is kept
    active = active_ruleset(world.org_a.pk)
    assert active.label == "kapstone-default 1.0.1" and active.row is not None
    assert RuleSetVersion.objects.count() == 1


def test_a_rule_level_problem_names_the_rule(world) -> None:
    text = edited_default(
        "1.0.1", replace=('facts = ["history.sleep_apnoea"]', 'facts = ["history.sleep_apnea"]')
    )
    with pytest.raises(ValidationError) as refused:
        ruleset_save(actor(world, "priya"), text)
    assert "rule 'sleep_apnoea'" in refused.value.message_dict["toml_text"][0]
    assert active_ruleset(world.org_a.pk).row is None  # still the shipped default


def test_every_change_raises_the_version(world) -> None:
    same_version = edited_default("1.1.0", replace=('title = "Sleep apnoea"', 'title = "Sleep apnoea (any)"'))
    with pytest.raises(ValidationError, match="kapstone-default 1.1.0 is already used"):
        ruleset_save(actor(world, "avery"), same_version)
    with pytest.raises(ValidationError, match="Nothing changed"):
        ruleset_save(actor(world, "avery"), edited_default("1.1.0"))


def test_a_clinic_edit_changes_screenings_from_then_on_and_is_recorded_on_each(world) -> None:
    ready_for_screening(world, sleep_apnoea=True)
    before = screening_run(actor(world, "theo"), world.clients["rowan"])
    assert before.outcome == "needs_prescriber_review" and before.ruleset_version == "1.1.0"
    text = edited_default(
        "1.2.0",
        replace=(
            'id = "sleep_apnoea"\nlevel = "prescriber_judgement"',
            'id = "sleep_apnoea"\nlevel = "contraindicated"',
        ),
    )
    row = ruleset_save(actor(world, "priya"), text, note="Our anaesthetist excludes untreated apnoea")
    after = screening_run(actor(world, "theo"), world.clients["rowan"])
    assert after.outcome == "contraindicated" and after.clinic_ruleset == row
    assert (after.ruleset_id, after.ruleset_version) == ("kapstone-default", "1.2.0")
    before.refresh_from_db()
    assert before.ruleset_version == "1.1.0"  # the old evaluation still says what it was made under
    event = AuditEvent.objects.get(action="ruleset.activate")
    assert (
        event.detail["previous"] == "kapstone-default 1.1.0"
        and event.detail["ruleset"] == "kapstone-default 1.2.0"
    )


def test_earlier_versions_and_the_shipped_default_can_be_used_again(world, as_user) -> None:
    first = ruleset_save(actor(world, "avery"), edited_default("1.0.1"))
    ruleset_save(actor(world, "avery"), edited_default("1.0.2"))
    ruleset_activate(actor(world, "avery"), first)
    assert active_ruleset(world.org_a.pk).label == "kapstone-default 1.0.1"
    response = as_user("avery").post(reverse("screening:ruleset_activate"), {"version": "default"})
    assert response.status_code == 302
    assert active_ruleset(world.org_a.pk).row is None
    assert AuditEvent.objects.filter(action="ruleset.activate").count() == 4


def test_settings_overrides_are_validated_named_and_stored(world, as_user) -> None:
    priya = as_user("priya")
    url = reverse("screening:ruleset_settings")
    response = priya.post(
        url, {"version": "0", "setting_bp_review_systolic_mmhg": "20", "clearance_valid_days": "30"}
    )
    assert response.status_code == 400
    assert (
        response.context["form"]
        .errors["setting_bp_review_systolic_mmhg"][0]
        .startswith("settings.bp_review_systolic_mmhg: expected at least 100")
    )
    assert not ScreeningSettings.objects.exists()
    response = priya.post(
        url,
        {
            "version": "0",
            "setting_bp_review_systolic_mmhg": "130",
            "clearance_valid_days": "30",
            "measure_max_age_days": "14",
        },
    )
    assert response.status_code == 302
    stored = ScreeningSettings.objects.get()
    assert stored.overrides == {"bp_review_systolic_mmhg": 130} and stored.clearance_valid_days == 30
    assert stored.measure_max_age_days == 14
    assert AuditEvent.objects.filter(action="ruleset.settings").exists()
    stale = priya.post(url, {"version": "0", "clearance_valid_days": "60"})
    assert stale.status_code == 400 and "changed by someone else" in stale.content.decode()


def test_a_rule_set_that_drops_an_overridden_setting_is_refused(world) -> None:
    screening_settings_save(
        actor(world, "avery"),
        overrides={"heart_rate_review_bpm": 100},
        clearance_valid_days=None,
        measure_max_age_days=None,
        expected_version=0,
    )
    text = edited_default("2.0.0")
    start = text.index("[settings.heart_rate_review_bpm]")
    end = text.index("[settings.", start + 10)
    text = text[:start] + text[end:]
    rule_start = text.index('[[rules]]\nid = "heart_rate_above_review_threshold"')
    rule_end = text.index("[[rules]]", rule_start + 10)
    text = text[:rule_start] + text[rule_end:]
    with pytest.raises(ValidationError, match="settings.heart_rate_review_bpm: no such setting"):
        ruleset_save(actor(world, "avery"), text)
    assert active_ruleset(world.org_a.pk).row is None


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("theo", 404),
        ("sam", 404),
        ("toby", 404),
        ("tamsin", 404),
        ("avery", 200),
        ("priya", 200),
        ("olive", 404),
    ],
)
def test_only_the_admin_and_prescribers_edit_rules(world, as_user, persona, status) -> None:
    assert as_user(persona).get(reverse(EDIT)).status_code == status


def test_each_organization_has_its_own_rule_set(world, as_user) -> None:
    row = ruleset_save(actor(world, "avery"), edited_default("1.0.1"))
    assert active_ruleset(world.org_b.pk).row is None
    assert (
        as_user("olive").get(reverse("screening:ruleset_version", kwargs={"vid": row.pk})).status_code == 404
    )
    page = as_user("olive").get(reverse("screening:ruleset")).content.decode()
    assert "kapstone-default 1.1.0" in page and "1.0.1" not in page
    with pytest.raises(NotYours):  # an audited denial, the same 404 a page gives
        ruleset_activate(actor(world, "theo"), row)
    assert AuditEvent.objects.filter(action="ruleset.edit", outcome="denied").exists()


def test_the_rule_set_page_lists_rules_settings_and_sources(world, as_user) -> None:
    html = as_user("theo").get(reverse("screening:ruleset")).content.decode()
    assert (
        "Aneurysmal vascular disease or arteriovenous malformation" in html
        or "aneurysmal_vascular_disease_or_avm" in html
    )
    assert "bp_review_systolic_mmhg" in html and "CONFLICT" in html
    assert "Edit rules" not in html  # a therapist reads, does not edit
