"""The admin configures the program: enabled sets, a setting's value, the certificate's set, and who
supervises whom. Refusals say why and change nothing; the other organization gets 404."""

from __future__ import annotations

from typing import Any

import pytest
from practicum_helpers import actor
from tests.conftest import signed_in_client

from kapstone.core.contract import NotYours, Refused
from kapstone.practicum import program, selectors
from kapstone.practicum.models import Program, Supervision

pytestmark = pytest.mark.django_db
CO = "colorado_natural_medicine_facilitator"


def test_the_admin_enables_a_set_and_sets_an_unconfirmed_number(world: Any) -> None:
    http = signed_in_client(world.users["avery"])
    page = http.get("/practicum/program/").content.decode()
    assert "drafts said 50 h" in page  # why the number is a setting, shown where it is set
    response = http.post(
        "/practicum/program/configure/",
        {
            "enabled_sets": [CO],
            "certificate_set": CO,
            "setting_co_licence_consultation_hours": "50",
        },
    )
    assert response.status_code == 302
    stored = Program.objects.get(organization=world.org_a)
    assert stored.enabled_sets == [CO] and stored.settings == {"co_licence_consultation_hours": 50.0}
    Supervision.objects.create(
        organization=world.org_a, supervisor=world.users["sam"], trainee=world.users["toby"]
    )
    view = selectors.ledger(actor(world, "toby"), world.users["toby"])
    [report] = view.reports
    consult = next(v for v in report.verdicts if v.requirement_id == "licence_consultation")
    assert consult.need == 50


def test_a_bad_configuration_is_refused_and_nothing_changes(world: Any) -> None:
    with pytest.raises(Refused, match="at least one"):
        program.program_configure(
            actor(world, "avery"), enabled_sets=[], certificate_set="", certificate_title="", values={}
        )
    with pytest.raises(Refused, match="one of the enabled"):
        program.program_configure(
            actor(world, "avery"),
            enabled_sets=["kap_certificate"],
            certificate_set=CO,
            certificate_title="",
            values={},
        )
    assert not Program.objects.exists()


def test_the_admin_assigns_and_ends_a_supervision(world: Any) -> None:
    row = program.supervision_assign(
        actor(world, "avery"),
        supervisor_id=world.users["sam"].pk,
        trainee_id=world.users["toby"].pk,
        starts_on=world.org_a.created_at.date(),
        ends_on=None,
    )
    assert selectors.my_trainees(actor(world, "sam")) == [world.users["toby"]]
    with pytest.raises(Refused, match="Choose a trainee"):
        program.supervision_assign(
            actor(world, "avery"),
            supervisor_id=world.users["sam"].pk,
            trainee_id=world.users["theo"].pk,
            starts_on=row.starts_on,
            ends_on=None,
        )
    with pytest.raises(NotYours):
        program.supervision_end(actor(world, "olive"), supervision_id=row.pk)
    program.supervision_end(actor(world, "avery"), supervision_id=row.pk)
    assert selectors.my_trainees(actor(world, "sam")) == []


def test_only_the_admin_configures(world: Any) -> None:
    with pytest.raises(NotYours):
        program.program_configure(
            actor(world, "sam"), enabled_sets=[CO], certificate_set="", certificate_title="", values={}
        )
    assert (
        signed_in_client(world.users["olive"])
        .post("/practicum/program/configure/", {"enabled_sets": [CO]})
        .status_code
        == 404
    )
