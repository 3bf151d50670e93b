"""The readiness contract with the care module: ``dosing_readiness(client, *, at=None)``."""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect

import pytest
from django.utils import timezone
from tests.clients.intake_helpers import (
    clear,
    cleared_and_consented,
    record_measures,
    save_intake,
    sign_consent,
    submitted_screening,
)

from kapstone.screening.readiness import Readiness, TouchOptIn, dosing_readiness

pytestmark = pytest.mark.django_db


def test_the_signature_and_shape_are_the_contract() -> None:
    params = inspect.signature(dosing_readiness).parameters
    assert list(params) == ["client", "at"]
    assert params["at"].kind is inspect.Parameter.KEYWORD_ONLY and params["at"].default is None
    fields = [f.name for f in dataclasses.fields(Readiness)]
    assert fields[:5] == ["ready", "missing", "clearance", "consent", "touch_opt_in"]
    assert Readiness.__dataclass_params__.frozen  # type: ignore[attr-defined]


def test_a_new_client_lists_everything_missing(world) -> None:
    readiness = dosing_readiness(world.clients["rowan"])
    assert not readiness.ready
    assert readiness.missing == [
        "intake not recorded",
        "safety screening not submitted to a prescriber",
        "KAP consent not signed for template v1",
    ]
    assert readiness.clearance is None and readiness.consent is None
    assert readiness.touch_opt_in == TouchOptIn(False)
    assert "No supportive touch" in readiness.touch_opt_in.summary


def test_submitted_but_undecided_says_it_awaits_the_prescriber(world) -> None:
    submitted_screening(world)
    readiness = dosing_readiness(world.clients["rowan"])
    today = timezone.localdate().isoformat()
    assert readiness.missing == [
        f"medical clearance awaiting the prescriber's decision on the screening submitted {today}",
        "KAP consent not signed for template v1",
    ]


def test_cleared_and_consented_is_ready_with_the_touch_agreement(world) -> None:
    clearance, consent = cleared_and_consented(world)
    readiness = dosing_readiness(world.clients["rowan"])
    assert readiness.ready and readiness.missing == []
    assert readiness.clearance == clearance and readiness.consent == consent
    assert readiness.touch_opt_in == TouchOptIn(True, "hand on my shoulder", "raised hand")
    assert readiness.touch_opt_in.summary == (
        "Supportive touch agreed: hand on my shoulder. Stop signal: raised hand."
    )


def test_clearance_expires_after_the_clinic_setting(world, settings) -> None:
    settings.KAPSTONE_CLEARANCE_VALID_DAYS = 30
    clearance, _ = cleared_and_consented(world)
    assert clearance.expires_at == clearance.decided_at + dt.timedelta(days=30)
    rowan = world.clients["rowan"]
    assert dosing_readiness(rowan, at=clearance.expires_at - dt.timedelta(minutes=1)).ready
    later = dosing_readiness(rowan, at=clearance.expires_at)
    expired = timezone.localtime(clearance.expires_at).date().isoformat()
    assert later.missing == [f"medical clearance not current (expired {expired})"]
    assert later.clearance is None


def test_declined_is_not_ready(world) -> None:
    evaluation = submitted_screening(world)
    clear(world, evaluation, decision="declined", note="Refer for cardiology first.")
    readiness = dosing_readiness(world.clients["rowan"])
    assert readiness.missing[0].startswith("medical clearance declined by Priya Test on ")


def test_a_newer_measure_with_another_value_re_requires_clearance(world) -> None:
    cleared_and_consented(world)
    record_measures(world, item9=2, cssrs="moderate")
    readiness = dosing_readiness(world.clients["rowan"])
    assert readiness.missing == [
        "medical clearance re-required: screening facts changed since clearance (phq9_item9, cssrs_risk)"
    ]


def test_an_intake_change_supersedes_the_clearance(world) -> None:
    cleared_and_consented(world)
    save_intake(world, bp_systolic=150, bp_diastolic=95)
    readiness = dosing_readiness(world.clients["rowan"])
    today = timezone.localdate().isoformat()
    assert readiness.missing == [
        f"medical clearance re-required: intake changed (bp_diastolic, bp_systolic) ({today})"
    ]
    assert readiness.clearance is None and readiness.consent is not None


def test_a_date_of_birth_change_re_requires_clearance(world) -> None:
    cleared_and_consented(world)
    rowan = world.clients["rowan"]
    rowan.date_of_birth = rowan.date_of_birth.replace(year=rowan.date_of_birth.year - 30)
    rowan.save(update_fields=["date_of_birth"])
    readiness = dosing_readiness(rowan)
    assert readiness.missing == [
        "medical clearance re-required: screening facts changed since clearance (age_years)"
    ]


def test_scheduling_ahead_checks_the_clearance_at_the_session_time(world) -> None:
    clearance, _ = cleared_and_consented(world)
    rowan = world.clients["rowan"]
    assert dosing_readiness(rowan, at=timezone.now() + dt.timedelta(days=7)).ready
    assert not dosing_readiness(rowan, at=clearance.expires_at + dt.timedelta(days=1)).ready


def test_warnings_for_a_trainee_without_supervisor_or_observer_consent(world) -> None:
    cleared_and_consented(world)
    readiness = dosing_readiness(world.clients["rowan"])
    assert readiness.ready  # warnings do not block
    assert readiness.warnings == [
        "trainee Toby Test has no supervisor on the care team",
        "trainee Toby Test is not named in the client's consent to observers and trainees, so may not be "
        "present at dosing",
    ]
    from kapstone.clients.models import CareTeamMember

    CareTeamMember.objects.filter(user=world.users["toby"]).update(supervisor=world.users["sam"])
    sign_consent(world, observers=True, observer_names=["Toby Test"])
    assert dosing_readiness(world.clients["rowan"]).warnings == []


def test_readiness_reads_only_the_clients_own_rows(world) -> None:
    cleared_and_consented(world)
    assert not dosing_readiness(world.clients["harper"]).ready


def test_the_care_team_names_a_trainees_supervisor(world, as_user) -> None:
    from django.urls import reverse

    from kapstone.clients.models import CareTeamMember

    url = reverse("clients:care_team", kwargs={"pk": world.clients["rowan"].pk})
    response = as_user("theo").post(url, {"user": world.users["toby"].pk, "team_role": "trainee",
                                          "supervisor": world.users["theo"].pk})  # fmt: skip
    assert response.status_code == 200  # Theo is a therapist, not a supervisor: refused, named
    assert response.context["form"].errors["supervisor"] == ["Choose a supervisor of this organization."]
    response = as_user("theo").post(url, {"user": world.users["toby"].pk, "team_role": "trainee",
                                          "supervisor": world.users["sam"].pk})  # fmt: skip
    assert response.status_code == 302
    assert CareTeamMember.objects.get(user=world.users["toby"]).supervisor == world.users["sam"]
    assert (
        "trainee Toby Test has no supervisor on the care team"
        not in dosing_readiness(world.clients["rowan"]).warnings
    )
