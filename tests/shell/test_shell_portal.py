"""The portal written for clients (issue #12 item 7): open questionnaires listed after sign-in and
started from there (the mailed link then closes), touch shown as the consent says, no staff notes."""

from __future__ import annotations

from typing import Any

import pytest
from tests.readiness_helpers import TOUCH_SCOPE, sign_consent, staff

from kapstone.audit.models import AuditEvent
from kapstone.measures.models import PortalLink
from kapstone.measures.services import portal_link_create

pytestmark = pytest.mark.django_db


def link_for(world: Any, client: str = "rowan") -> tuple[PortalLink, str]:
    who = "theo" if client == "rowan" else "tamsin"
    return portal_link_create(staff(world, who), world.clients[client], "phq9", mail=False)


def test_open_questionnaires_are_listed_after_sign_in_and_start_from_there(world: Any, as_user: Any) -> None:
    link, mailed_token = link_for(world)
    rowan = as_user("rowan_portal")
    home = rowan.get("/portal/").content.decode()
    assert "Forms to fill in" in home and "PHQ-9" in home and f"/q/mine/{link.pk}/start/" in home

    response = rowan.post(f"/q/mine/{link.pk}/start/")
    assert response.status_code == 302 and response["Location"].startswith("/q/")
    assert rowan.get(response["Location"]).status_code == 200  # the questionnaire, by its new token
    assert rowan.get(f"/q/{mailed_token}/").status_code == 404  # the mailed link no longer opens it
    link.refresh_from_db()
    assert link.used_at is None and link.mail_key == ""
    assert AuditEvent.objects.filter(action="measure.portal_start", object_id=str(link.pk)).exists()


def test_only_the_client_the_link_is_for_may_start_it(world: Any, as_user: Any) -> None:
    harpers, _ = link_for(world, "harper")
    before = harpers.token_hash
    assert as_user("rowan_portal").post(f"/q/mine/{harpers.pk}/start/").status_code == 404
    assert as_user("theo").post(f"/q/mine/{harpers.pk}/start/").status_code == 404
    harpers.refresh_from_db()
    assert harpers.token_hash == before
    assert AuditEvent.objects.filter(action="measure.portal_denied", outcome="denied").exists()


def test_touch_is_shown_as_the_consent_says(world: Any, as_user: Any) -> None:
    rowan = as_user("rowan_portal")
    assert "No one will touch you until you sign the consent" in rowan.get("/portal/").content.decode()
    sign_consent(world, touch=True)
    home = rowan.get("/portal/").content.decode()
    assert f"<dt>Touch</dt><dd>You said yes to touch in your consent: {TOUCH_SCOPE}." in home
    sign_consent(world, touch=False)
    assert "You said no to touch in your consent" in rowan.get("/portal/").content.decode()
