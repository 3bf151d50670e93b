"""``kapstone screen FACTS.json [--organization SLUG]``: prints JSON, exit 0 evaluated / 2 invalid."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.clients.intake_helpers import actor, edited_default, ready_for_screening

from kapstone.screening.client_facts import facts_for_client
from kapstone.screening.management.commands.screen import run
from kapstone.screening.services import ruleset_save, screening_run, screening_settings_save

BASELINE = {
    "age_years": 40,
    "sex_at_birth": "female",
    "pregnant": False,
    "lactating": False,
    "contraception": True,
    "bp_systolic": 120,
    "bp_diastolic": 78,
    "heart_rate": 70,
    "weight_kg": 70,
    "phq9_item9": 0,
    "cssrs_risk": "none",
    "product": "esketamine",
    "route": "intranasal",
    "history": {
        "aneurysmal_vascular_disease": False,
        "arteriovenous_malformation": False,
        "intracerebral_hemorrhage": False,
        "hypertensive_encephalopathy": False,
        "cardiovascular_disease": False,
        "cerebrovascular_event": False,
        "raised_intracranial_pressure": False,
        "raised_intraocular_pressure": False,
        "open_eye_injury": False,
        "psychosis": False,
        "schizophrenia_spectrum": False,
        "mania": False,
        "current_psychotic_symptoms": False,
        "current_manic_symptoms": False,
        "family_history_psychosis": False,
        "substance_use_disorder": False,
        "ketamine_misuse": False,
        "seizure": False,
        "sleep_apnoea": False,
        "cystitis_or_urological_symptoms": False,
        "uncontrolled_hyperthyroidism": False,
        "traumatic_brain_injury": False,
        "neurocognitive_disorder": False,
        "hepatic_impairment": "none",
    },
    "allergies": {"ketamine": False, "esketamine": False},
    "medications": [{"name": "sertraline", "classes": ["antidepressant"]}],
}


def write(tmp_path: Path, doc: object) -> str:
    path = tmp_path / "facts.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return str(path)


def screen(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    code = run(list(argv))
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    return code, json.loads(out)


def test_the_shipped_default_without_an_organization(tmp_path, capsys) -> None:
    code, data = screen(capsys, write(tmp_path, BASELINE))
    assert code == 0 and data["outcome"] == "no_flags"
    assert data["ruleset"]["id"] == "kapstone-default" and data["ruleset"]["version"] == "1.1.0"


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"sex_at_birth": "male", "lactating": True}, ["lactating"]),
        ({"bp_systolic": 400, "bp_diastolic": 20}, ["bp_systolic", "bp_diastolic"]),
        ({"weight_kg": 0}, ["weight_kg"]),
    ],
)
def test_inconsistent_facts_exit_2_naming_each_field(tmp_path, capsys, changes, fields) -> None:
    code, data = screen(capsys, write(tmp_path, {**BASELINE, **changes}))
    assert code == 2 and data["outcome"] is None
    assert [e["field"] for e in data["errors"]] == fields


@pytest.mark.django_db
def test_the_organizations_active_rule_set_and_settings_are_used(world, tmp_path, capsys) -> None:
    ruleset_save(actor(world, "avery"), edited_default("1.2.0"))
    screening_settings_save(
        actor(world, "avery"),
        overrides={"bp_review_systolic_mmhg": 115, "heart_rate_review_bpm": 95},
        clearance_valid_days=None,
        measure_max_age_days=None,
        expected_version=0,
    )
    path = write(tmp_path, BASELINE)
    code, data = screen(
        capsys, path, "--organization", "larkspur-test", "--setting", "heart_rate_review_bpm=120"
    )
    assert code == 0
    assert data["ruleset"]["version"] == "1.2.0"
    assert data["settings"]["bp_review_systolic_mmhg"] == 115  # the clinic's override
    assert data["settings"]["heart_rate_review_bpm"] == 120  # the command line wins
    assert data["outcome"] == "needs_prescriber_review" and data["needs_review"] == [
        "bp_above_review_threshold"
    ]
    code, data = screen(capsys, path, "--organization=otherbrook-test")
    assert code == 0 and data["ruleset"]["version"] == "1.1.0" and data["outcome"] == "no_flags"


@pytest.mark.django_db
def test_an_unknown_organization_or_both_sources_exit_2(world, tmp_path, capsys) -> None:
    path = write(tmp_path, BASELINE)
    code, data = screen(capsys, path, "--organization", "nowhere")
    assert code == 2 and data["errors"][0]["field"] == "organization"
    code, data = screen(capsys, path, "--organization", "larkspur-test", "--ruleset", "x.toml")
    assert code == 2 and data["errors"][0]["field"] == "arguments"
    code, data = screen(capsys, path, "--organization")
    assert code == 2 and data["errors"][0]["field"] == "arguments"


@pytest.mark.django_db
def test_a_clients_facts_document_screens_the_same_from_the_command(world, tmp_path, capsys) -> None:
    ready_for_screening(world, psychosis=True)
    rowan = world.clients["rowan"]
    stored = screening_run(actor(world, "theo"), rowan)
    code, data = screen(capsys, write(tmp_path, facts_for_client(rowan)), "--organization", "larkspur-test")
    assert code == 0
    assert data["outcome"] == stored.outcome == "needs_prescriber_review"
    assert data["rules"] == stored.result["rules"]


def test_the_kapstone_command_exits_with_the_code(tmp_path, cli) -> None:
    env = cli.env(tmp_path)
    ok = cli.run("screen", write(tmp_path, BASELINE), env=env)
    assert json.loads(ok.stdout)["outcome"] == "no_flags"
    bad = cli.run("screen", write(tmp_path, {**BASELINE, "weight_kg": 0}), env=env, check=False)
    assert bad.returncode == 2 and json.loads(bad.stdout)["errors"][0]["field"] == "weight_kg"
