"""Intake: the record, its form, refusals that name the field, stale edits, facts for screening."""

from __future__ import annotations

import datetime as dt
from dataclasses import fields

import pytest
from django.urls import reverse
from django.utils import timezone
from tests.clients.intake_helpers import (
    COMPLETE,
    actor,
    clear,
    give_birthday,
    intake_post,
    record_measures,
    save_intake,
    submitted_screening,
)

from kapstone.audit.models import AuditEvent
from kapstone.clients.intake_forms import IntakeForm
from kapstone.clients.intake_services import INTAKE_FIELDS, IntakeAnswers, intake_save
from kapstone.clients.models import Intake, IntakeMedication
from kapstone.core.contract import Stale as IntakeStale
from kapstone.screening.client_facts import facts_for_client
from kapstone.screening.models import Clearance, ScreeningEvaluation

pytestmark = pytest.mark.django_db


def edit_url(world, name: str = "rowan") -> str:
    return reverse("intake:edit", kwargs={"pk": world.clients[name].pk})


def test_the_form_is_grouped_in_labelled_fieldsets(world, as_user) -> None:
    response = as_user("theo").get(edit_url(world))
    assert response.status_code == 200
    html = response.content.decode()
    for legend in (
        "Emergency contact",
        "Psychiatric history",
        "Medical history",
        "Pregnancy, lactation and contraception",
        "Allergies",
        "Baseline vital signs and weight",
        "Medications",
    ):
        assert f"<legend>{legend}</legend>" in html
    # Every input has a label (keyboard and screen-reader use).
    assert 'for="id_psychosis"' in html and 'id="id_psychosis"' in html
    assert '<option value="unknown" selected>Not known yet</option>' in html


def test_saving_the_form_stores_the_intake_and_medications_and_audits_it(world, as_user) -> None:
    theo = as_user("theo")
    post = intake_post(
        medications=[
            {
                "name": "clonazepam",
                "classes": ["benzodiazepine"],
                "dose": "0.5 mg twice daily",
                "diazepam_equivalent_mg_per_day": "10",
            },
            {"name": "sertraline", "classes": ["antidepressant"], "dose": "100 mg"},
        ],
        psychosis="unknown",
    )
    response = theo.post(edit_url(world), post)
    assert response.status_code == 302, response.content.decode()[:3000]
    intake = Intake.objects.get(client=world.clients["rowan"])
    assert intake.version == 1 and intake.updated_by == world.users["theo"]
    assert intake.psychosis is None  # "Not known yet" is stored as unknown, not as "no"
    assert intake.bp_systolic == 120 and intake.weight_kg == pytest.approx(68.5)
    meds = list(IntakeMedication.objects.filter(intake=intake).values_list("name", "classes", "dose"))
    assert meds == [
        ("clonazepam", ["benzodiazepine"], "0.5 mg twice daily"),
        ("sertraline", ["antidepressant"], "100 mg"),
    ]
    event = AuditEvent.objects.filter(action="intake.edit", object_type="intake").get()
    assert event.client_id == world.clients["rowan"].pk and event.detail["version"] == 1
    doc = facts_for_client(world.clients["rowan"])
    assert "psychosis" not in doc["history"]
    assert doc["medications"] == [
        {"name": "clonazepam", "classes": ["benzodiazepine"], "diazepam_equivalent_mg_per_day": 10},
        {"name": "sertraline", "classes": ["antidepressant"]},
    ]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"sex_at_birth": "male", "lactating": True},
            "lactating",
            "lactating: true, but sex_at_birth is male",
        ),
        ({"bp_systolic": 400, "bp_diastolic": 20}, "bp_systolic", "bp_systolic"),
        ({"bp_systolic": 400, "bp_diastolic": 20}, "bp_diastolic", "bp_diastolic"),
        ({"weight_kg": 0}, "weight_kg", "weight_kg"),
        ({"bp_systolic": 120, "bp_diastolic": 130}, "bp_diastolic", "is not below bp_systolic"),
    ],
)
def test_inconsistent_facts_are_refused_naming_the_field_and_keeping_the_typing(
    world, as_user, changes, field, message
) -> None:
    post = intake_post(**changes, goals="My own words, kept")
    response = as_user("theo").post(edit_url(world), post)
    assert response.status_code == 400
    form = response.context["form"]
    assert any(message in e for e in form.errors[field]), form.errors
    assert "My own words, kept" in response.content.decode()
    assert not Intake.objects.filter(client=world.clients["rowan"]).exists()


def test_the_service_refuses_the_same_with_a_message_per_field(world) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        save_intake(world, sex_at_birth="male", lactating=True, bp_systolic=400, bp_diastolic=20, weight_kg=0)
    errors = refused.value.message_dict
    assert set(errors) >= {"lactating", "bp_systolic", "bp_diastolic", "weight_kg"}
    assert errors["weight_kg"][0].startswith("weight_kg: 0")
    assert errors["bp_systolic"][0].startswith("bp_systolic: 400")
    assert not Intake.objects.exists()


def test_an_implausible_date_of_birth_is_refused_on_the_intake(world) -> None:
    from django.core.exceptions import ValidationError

    rowan = world.clients["rowan"]
    rowan.date_of_birth = dt.date(1890, 1, 1)
    rowan.save(update_fields=["date_of_birth"])
    with pytest.raises(ValidationError) as refused:
        save_intake(world)
    assert "Date of birth on the client record: age_years" in refused.value.message_dict["__all__"][0]


def test_a_diazepam_equivalent_on_a_non_benzodiazepine_is_refused(world) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        save_intake(
            world,
            medications=[
                {"name": "sertraline", "classes": ["antidepressant"], "diazepam_equivalent_mg_per_day": 5}
            ],
        )
    assert refused.value.message_dict["medications"] == [
        "sertraline: a diazepam-equivalent dose is only for a benzodiazepine."
    ]


def test_an_unconfirmed_medication_list_is_unknown_not_none(world) -> None:
    give_birthday(world)
    save_intake(world, medications_reviewed=False, medications=[])
    assert "medications" not in facts_for_client(world.clients["rowan"])
    save_intake(world, medications_reviewed=True, medications=[])
    assert facts_for_client(world.clients["rowan"])["medications"] == []


def test_a_stale_edit_is_refused_with_409_and_both_versions_shown(world, as_user) -> None:
    save_intake(world)  # version 1
    theo, priya = as_user("theo"), as_user("priya")
    opened = theo.get(edit_url(world))  # Theo opens version 1 ...
    assert opened.context["form"].initial["version"] == 1
    assert (
        priya.post(edit_url(world), intake_post(version=1, heart_rate=88)).status_code == 302
    )  # ... Priya saves
    response = theo.post(edit_url(world), intake_post(version=1, heart_rate=64, goals="Theo's goals"))
    assert response.status_code == 409
    html = response.content.decode()
    assert "changed by someone else" in html
    assert "Saved version (version 2" in html
    assert "Theo&#x27;s goals" in html or "Theo's goals" in html  # his typing is kept
    differences = dict(
        (label, (mine, saved)) for label, mine, saved in response.context["conflict"]["differences"]
    )
    assert differences["Heart rate (beats/min)"] == (64, 88)
    assert Intake.objects.get().heart_rate == 88


def test_the_service_refuses_a_stale_version(world) -> None:
    save_intake(world)
    with pytest.raises(IntakeStale):
        intake_save(
            actor(world, "theo"),
            world.clients["rowan"],
            answers=IntakeAnswers(**COMPLETE),
            medications=[],
            expected_version=0,
        )


def test_an_intake_change_that_alters_facts_re_requires_clearance(world) -> None:
    evaluation = submitted_screening(world)
    clearance = clear(world, evaluation)
    saved = save_intake(world, goals="Only words changed")  # not a screening fact
    assert saved.facts_changed == [] and saved.superseded_clearances == 0
    saved = save_intake(world, seizure=True)
    assert saved.facts_changed == ["history.seizure"]
    clearance.refresh_from_db()
    assert clearance.superseded_at is not None
    assert clearance.superseded_reason == "intake changed (history.seizure)"
    assert (
        AuditEvent.objects.filter(action="clearance.supersede", client_id=world.clients["rowan"].pk).count()
        == 1
    )


def test_an_undecided_submission_goes_stale_when_the_intake_changes(world) -> None:
    evaluation = submitted_screening(world)
    save_intake(world, heart_rate=99)
    evaluation.refresh_from_db()
    assert evaluation.superseded_at is not None and "heart_rate" in evaluation.superseded_reason
    assert not Clearance.objects.exists()
    assert ScreeningEvaluation.objects.filter(superseded_at__isnull=True).count() == 0


def test_facts_take_phq9_item9_and_cssrs_from_recent_measures_only(world, settings) -> None:
    settings.KAPSTONE_SCREENING_MEASURE_MAX_AGE_DAYS = 30
    give_birthday(world)
    save_intake(world)
    record_measures(world, item9=2, cssrs="high", administered_at=timezone.now() - dt.timedelta(days=40))
    doc = facts_for_client(world.clients["rowan"])
    assert "phq9_item9" not in doc and "cssrs_risk" not in doc  # too old to count
    record_measures(world, item9=1, cssrs="low", administered_at=timezone.now() - dt.timedelta(days=2))
    doc = facts_for_client(world.clients["rowan"])
    assert doc["phq9_item9"] == 1 and doc["cssrs_risk"] == "low"
    assert doc["age_years"] == 40


@pytest.mark.parametrize(
    ("persona", "method", "status"),
    [
        ("tamsin", "get", 404),
        ("olive", "get", 404),
        ("avery", "get", 404),
        ("sam", "get", 404),
        ("tamsin", "post", 404),
        ("olive", "post", 404),
        ("avery", "post", 404),
        ("sam", "post", 404),
        ("rowan_portal", "get", 404),
    ],
)
def test_only_the_care_team_edits_and_the_supervisor_only_reads(
    world, as_user, persona, method, status
) -> None:
    http = as_user(persona)
    response = http.get(edit_url(world)) if method == "get" else http.post(edit_url(world), intake_post())
    assert response.status_code == status
    assert not Intake.objects.exists()


def test_the_supervisor_reads_the_intake_but_the_org_admin_does_not(world, as_user) -> None:
    save_intake(world)
    url = reverse("intake:detail", kwargs={"pk": world.clients["rowan"].pk})
    assert as_user("sam").get(url).status_code == 200
    assert as_user("avery").get(url).status_code == 404
    denied = AuditEvent.objects.filter(
        action="intake.view", outcome="denied", actor_id=world.users["avery"].pk
    )
    assert denied.exists()


def test_the_intake_page_marks_unknown_answers(world, as_user) -> None:
    save_intake(world, psychosis=None)
    html = (
        as_user("theo")
        .get(reverse("intake:detail", kwargs={"pk": world.clients["rowan"].pk}))
        .content.decode()
    )
    assert '<dd class="unknown">Not known yet</dd>' in html


def test_the_typed_answers_name_every_intake_field_the_form_writes() -> None:
    assert tuple(f.name for f in fields(IntakeAnswers)) == INTAKE_FIELDS == tuple(IntakeForm.Meta.fields)
