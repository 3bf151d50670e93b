from __future__ import annotations

import pytest

from kapstone.audit.models import AuditEvent


@pytest.mark.django_db
def test_therapist_opens_own_client_and_the_read_is_audited(world, as_user):
    rowan = world.clients["rowan"]
    response = as_user("theo").get(f"/clients/{rowan.pk}/")
    assert response.status_code == 200
    assert b"Rowan Fictional" in response.content
    event = AuditEvent.objects.filter(action="client.view", client_id=rowan.pk).get()
    assert event.actor_id == world.users["theo"].pk
    assert event.outcome == "success"
    assert event.organization_id == world.org_a.pk
