"""The service contract (Refused, Stale, NotYours) answered in one place, and ``scoped_get``.

What a person sees when a service refuses — on a page, in an htmx swap, from the API — and the audit
rows a lookup leaves: a found row is a read, a row of another organization, a missing row and a
malformed id are the same 404 with a DENIED row.
"""

from __future__ import annotations

import json

import pytest
from django.http import Http404
from django.test import RequestFactory

from kapstone.access.scoping import scoped_get
from kapstone.audit.models import AuditEvent, Outcome
from kapstone.clients.models import Client
from kapstone.core.actor import Actor
from kapstone.core.contract import (
    NotYours,
    Refused,
    ServiceErrorMiddleware,
    Stale,
    check_version,
    error_payload,
)

pytestmark = pytest.mark.django_db


def _middleware() -> ServiceErrorMiddleware:
    return ServiceErrorMiddleware(lambda request: None)  # type: ignore[arg-type, return-value]


# --- one answer per refusal, whatever the road ---------------------------------------------------


def test_a_refusal_on_a_page_is_a_422_page_naming_the_reason() -> None:
    request = RequestFactory().post("/clients/1/intake/")
    response = _middleware().process_exception(request, Refused("Weight must be 20–300 kg.", field="weight"))
    assert response is not None and response.status_code == 422
    assert "Weight must be 20–300 kg." in response.content.decode()
    assert "HX-Retarget" not in response


def test_a_refusal_in_an_htmx_swap_goes_to_the_alert_region_not_over_the_form() -> None:
    request = RequestFactory().post("/care/sessions/1/vitals/", HTTP_HX_REQUEST="true")
    request.htmx = True  # type: ignore[attr-defined]  # django-htmx's middleware sets this
    response = _middleware().process_exception(request, Refused("Systolic must be a whole number."))
    assert response is not None and response.status_code == 422
    assert response["HX-Retarget"] == "#service-error"
    assert "Systolic must be a whole number." in response.content.decode()
    assert "<html" not in response.content.decode().lower()  # a fragment, not a page


def test_a_refusal_from_the_api_is_the_one_json_error_body() -> None:
    request = RequestFactory().post("/api/v1/responses/")
    response = _middleware().process_exception(request, Refused("Unknown instrument.", field="instrument"))
    assert response is not None and response.status_code == 422
    assert json.loads(response.content) == {
        "detail": "Unknown instrument.",
        "errors": [{"field": "instrument", "reason": "Unknown instrument.", "code": "refused"}],
    }


def test_a_stale_edit_is_a_409_carrying_both_versions() -> None:
    request = RequestFactory().post("/api/v1/notes/3/", HTTP_ACCEPT="application/json")
    response = _middleware().process_exception(request, Stale(current_version=4, submitted_version=3))
    assert response is not None and response.status_code == 409
    body = json.loads(response.content)
    assert (body["current_version"], body["submitted_version"]) == (4, 3)
    assert "newer version (4)" in body["detail"]


def test_other_exceptions_and_not_found_are_left_to_django() -> None:
    request = RequestFactory().get("/clients/1/")
    assert _middleware().process_exception(request, ValueError("boom")) is None
    assert _middleware().process_exception(request, NotYours()) is None  # Django's 404 page answers it
    assert issubclass(NotYours, Http404)
    assert error_payload(NotYours())["errors"][0]["code"] == "not-found"


@pytest.mark.parametrize(
    ("current", "submitted", "stale"),
    [
        (1, 1, False),
        (7, 7, False),
        (2, 1, True),
        (1, 2, True),
        (3, None, True),
        (5, "5", False),
        (5, "4", True),
    ],
)
def test_check_version_refuses_any_version_but_the_stored_one(
    current: int, submitted: object, stale: bool
) -> None:
    if stale:
        with pytest.raises(Stale) as caught:
            check_version(current=current, submitted=submitted)  # type: ignore[arg-type]
        assert caught.value.current_version == current
    else:
        check_version(current=current, submitted=submitted)  # type: ignore[arg-type]


def test_a_refusal_keeps_the_field_it_is_about_for_the_form() -> None:
    error = Refused("Pick a date on or after the intake.", field="scheduled_for").as_validation_error()
    assert error.message_dict == {"scheduled_for": ["Pick a date on or after the intake."]}


# --- scoped_get: the one audited lookup -----------------------------------------------------------


def _actor(world: object, name: str) -> Actor:
    user = world.users[name]  # type: ignore[attr-defined]
    org = world.org_a if name != "olive" else world.org_b  # type: ignore[attr-defined]
    return Actor(user=user, organization=org, roles=frozenset({"therapist"}), request_id=f"req-{name}")


def _theos_clients(world: object) -> object:
    return Client.objects.filter(organization=world.org_a, care_team__user=world.users["theo"])  # type: ignore[attr-defined]


def test_a_found_row_is_returned_and_audited_as_a_read(world: object) -> None:
    rowan = world.clients["rowan"]  # type: ignore[attr-defined]
    found = scoped_get(_actor(world, "theo"), _theos_clients(world), rowan.pk,
                       action="client.view", object_type="client", client_of="")  # fmt: skip
    assert found == rowan
    row = AuditEvent.objects.get(request_id="req-theo")
    assert (row.action, row.outcome, row.object_id) == ("client.view", Outcome.SUCCESS, str(rowan.pk))


@pytest.mark.parametrize("whose", ["harper", "oona", "missing", "malformed"])
def test_not_yours_not_found_and_malformed_are_the_same_audited_404(world: object, whose: str) -> None:
    clients = world.clients  # type: ignore[attr-defined]
    pk = {
        "harper": clients["harper"].pk,
        "oona": clients["oona"].pk,
        "missing": 999_999,
        "malformed": "1 OR 1=1",
    }[whose]
    with pytest.raises(NotYours):
        scoped_get(
            _actor(world, "theo"), _theos_clients(world), pk, action="client.view", object_type="client"
        )
    row = AuditEvent.objects.get(request_id="req-theo")
    assert (row.action, row.outcome, row.object_type, row.object_id) == (
        "client.view", Outcome.DENIED, "client", str(pk),
    )  # fmt: skip


def test_a_denied_row_that_exists_names_its_client_for_the_clients_own_audit_trail(world: object) -> None:
    from kapstone.clients.models import CareTeamMember

    harper_team_row = CareTeamMember.objects.get(client=world.clients["harper"])  # type: ignore[attr-defined]
    theos_rows = CareTeamMember.objects.filter(user=world.users["theo"])  # type: ignore[attr-defined]
    with pytest.raises(NotYours):
        scoped_get(_actor(world, "theo"), theos_rows, harper_team_row.pk,
                   action="careteam.manage", object_type="careteam", client_of="client")  # fmt: skip
    row = AuditEvent.objects.get(request_id="req-theo")
    assert row.outcome == Outcome.DENIED
    assert row.client_id == world.clients["harper"].pk  # type: ignore[attr-defined]
