"""Audit completeness: every denial, on every road, writes its row (issue #17 item 2).

Walks the access oracle (every URL pattern × every signed-in persona) and joins each denied response
(404 "not found or not yours", 403) to the audit row written under its request id. docs/architecture.md
promises that both "not found" and "not yours" are audited; this makes the promise structural: a new
view that denies without the one audited path fails here.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from tests.test_access_oracle import ORACLE

from kapstone.audit.models import AuditEvent, Outcome

SIGNED_IN_PERSONAS = ("avery", "theo", "tamsin", "priya", "sam", "toby", "olive", "rowan_portal")
# No such page for anyone, not a denial of something that exists: the API's root is switched off, and
# an organization's public status list exists only once it has issued a certificate.
NO_SUCH_PAGE = {"api:api-root", "credentials:status_list"}


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", sorted(set(ORACLE) - NO_SUCH_PAGE))
def test_every_denied_request_leaves_a_denied_audit_row(url_name: str, world: Any, battery: Any) -> None:
    from tests.conftest import signed_in_client

    row = ORACLE[url_name]
    url = reverse(url_name, kwargs=row.kwargs(world)) + row.query
    unaudited = []
    denied = 0
    for persona in SIGNED_IN_PERSONAS:
        response = signed_in_client(world.users[persona]).get(url)
        if response.status_code not in (403, 404):
            continue
        denied += 1
        request_id = response["X-Request-Id"]
        if not AuditEvent.objects.filter(request_id=request_id, outcome=Outcome.DENIED).exists():
            unaudited.append(f"{persona} → {response.status_code}")
    battery.tally("T6", denied=denied, audited=denied - len(unaudited))
    assert not unaudited, f"GET {url} denied without an audit row for: {', '.join(unaudited)}"


@pytest.mark.django_db
def test_a_guessed_invitation_link_is_audited_even_without_a_sign_in() -> None:
    response = HttpClient().get("/accounts/invitation/guessed-token-1234/")
    assert response.status_code == 404
    event = AuditEvent.objects.get(request_id=response["X-Request-Id"])
    assert (event.action, event.outcome, event.actor_id) == ("invitation.open", Outcome.DENIED, None)


@pytest.mark.django_db
def test_deactivating_another_organizations_member_is_an_audited_404(world: Any) -> None:
    from tests.conftest import signed_in_client

    from kapstone.accounts.models import Membership

    olives = Membership.objects.get(user=world.users["olive"])
    response = signed_in_client(world.users["avery"]).post(
        f"/accounts/members/{olives.pk}/active/", {"active": "0"}
    )
    assert response.status_code == 404
    olives.refresh_from_db()
    assert olives.is_active
    event = AuditEvent.objects.get(request_id=response["X-Request-Id"])
    assert (event.action, event.outcome, event.object_id) == ("member.manage", Outcome.DENIED, str(olives.pk))


@pytest.mark.django_db
def test_a_guessed_calendar_feed_address_is_audited() -> None:
    response = HttpClient().get("/community/calendar/guessed-feed-token-1234.ics")
    assert response.status_code == 404
    event = AuditEvent.objects.get(request_id=response["X-Request-Id"])
    assert (event.action, event.outcome) == ("calendar.feed", Outcome.DENIED)
