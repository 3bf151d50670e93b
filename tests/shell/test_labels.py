"""Plain words: one registry of labels, complete for every key the data files and the policy name,
and no internal key on the main pages as any persona (issue #12 item 4)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from kapstone.access.policy import POLICY
from kapstone.accounts.models import Role
from kapstone.audit.services import record
from kapstone.core import labels
from kapstone.core.actor import Actor
from kapstone.lib.datafile import read_toml

sys.path.insert(0, str(Path(__file__).parent))
from crawl import keys_on, visible_text  # noqa: E402

CARE_DATA = Path(labels.__file__).parents[1] / "care" / "protocols" / "shared" / "vital_bounds.toml"


def test_every_screening_fact_and_its_choices_have_a_label() -> None:
    from kapstone.screening.facts import FACT_SPECS

    assert labels.missing("facts", set(FACT_SPECS)) == []
    choices = {choice for spec in FACT_SPECS.values() for choice in spec.choices}
    assert labels.missing("values", choices) == []


def test_every_setting_of_the_screening_rule_set_has_a_label() -> None:
    data, _ = read_toml(Path(labels.__file__).parents[1] / "screening" / "rulesets" / "default.toml")
    assert labels.missing("settings", set(data["settings"])) == []
    assert (
        labels.plain("Age >= 65 (setting upper_age_review_years)")
        == "Age >= 65 (setting older-adult review age)"
    )
    assert labels.plain("any of [cyp2b6_inducer, opioid]") == "any of [CYP2B6 inducer, opioid]"


def test_every_vital_sign_of_the_dosing_room_has_a_label_and_a_unit() -> None:
    data, _ = read_toml(CARE_DATA)
    vitals = set(data["vitals"])
    assert labels.missing("vitals", vitals) == []
    assert labels.missing("vital_units", vitals - {"moaas"}) == []


def test_every_role_has_its_words() -> None:
    assert [labels.label(role, "roles") for role in Role.values] == [str(r.label) for r in Role]
    assert labels.label("org_admin,therapist", "roles") == "Organization admin, Therapist"


def test_an_unlabelled_action_is_still_shown_in_words() -> None:
    for action in POLICY:
        shown = labels.label(action, "actions")
        assert labels.internal_keys(shown) == [], (action, shown)
    assert labels.label("measure.portal_denied", "actions") == "Questionnaire link refused"


def test_alert_text_names_the_reading_in_words_with_its_unit() -> None:
    assert labels.plain("respiratory_rate 9 below 10") == "Respiratory rate 9 /min below 10"
    assert labels.plain("spo2 91 % under 92 %") == "Oxygen saturation 91 % under 92 %"
    bounds = labels.plain("bp_systolic: 400 mmHg out of bounds")
    assert bounds == "Systolic blood pressure 400 mmHg out of bounds"
    assert labels.plain("cssrs_risk is unknown") == "C-SSRS screener risk level is unknown"
    assert labels.plain("Heart rate 80 is fine") == "Heart rate 80 is fine"  # words stay as they are


def test_the_crawler_finds_keys_only_in_what_a_person_reads() -> None:
    html = '<p class="risk_level">spo2 ok</p><code>cssrs_risk</code><a href="/a_b/">age_years</a>'
    assert visible_text(html) == "spo2 ok age_years"
    assert keys_on(html) == ["age_years"]


@pytest.mark.django_db
def test_no_internal_key_reaches_the_main_pages_as_any_persona(world: Any, as_user: Any) -> None:
    admin = Actor(user=world.users["avery"], organization=world.org_a, roles=frozenset({"org_admin"}))
    record(admin, "measure.portal_denied", detail={"path": "/q/x/"})
    record(admin, "some_new.thing_nobody_labelled")
    rowan = world.clients["rowan"].pk
    pages = {
        "avery": ["/dashboard/", "/audit/", "/accounts/members/", "/clients/", "/preferences/",
                  "/organization/settings/"],
        "theo": ["/dashboard/", "/clients/", f"/clients/{rowan}/", "/measures/caseload/", "/preferences/"],
        "priya": ["/dashboard/", "/clients/", f"/clients/{rowan}/"],
        "sam": ["/dashboard/", f"/clients/{rowan}/"],
        "toby": ["/dashboard/", f"/clients/{rowan}/"],
        "rowan_portal": ["/portal/"],
    }  # fmt: skip
    found: dict[str, list[str]] = {}
    for persona, paths in pages.items():
        http = as_user(persona)
        for path in paths:
            response = http.get(path)
            assert response.status_code == 200, (persona, path, response.status_code)
            keys = keys_on(response.content.decode())
            if keys:
                found[f"{persona} {path}"] = keys
    assert found == {}


@pytest.mark.django_db
def test_no_internal_key_on_the_pages_with_clinical_data(world: Any, as_user: Any) -> None:
    """The dosing room with two open alerts, the course, the screening report and the measures page."""
    from django.urls import reverse
    from tests.care.care_helpers import actor, record_vitals, started
    from tests.readiness_helpers import make_ready

    ready = make_ready(world)
    session = started(world)
    low = {"systolic": 128, "diastolic": 80, "heart_rate": 70, "spo2": 91, "respiratory_rate": 9}
    record_vitals(actor(world, "theo"), session, low)
    rowan = world.clients["rowan"].pk
    paths = [
        reverse("care:dosing", kwargs={"pk": session.pk}),
        reverse("care:course", kwargs={"pk": session.course_id}),
        reverse("measures:client", kwargs={"pk": rowan}),
        reverse("screening:list", kwargs={"pk": rowan}),
        reverse("audit:log"),
        reverse("screening:evaluation", kwargs={"pk": rowan, "eid": ready.evaluation.pk}),
    ]
    found = {}
    for persona in ("theo", "priya", "avery"):
        http = as_user(persona)
        for path in paths:
            response = http.get(path)
            if response.status_code == 200 and (keys := keys_on(response.content.decode())):
                found[f"{persona} {path}"] = keys
    assert found == {}, found
    dosing = as_user("theo").get(paths[0]).content.decode()
    assert "Respiratory rate 9 /min" in visible_text(dosing)
