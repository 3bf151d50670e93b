"""Access-oracle rows of kapstone.care views added after the core oracle table (issue #11): the
IV infusion-end entry of the dosing room. The same shape as the other dosing-room entries: a
recording role passes the policy and gets 405 for a GET (no object is read); everyone else,
including the other organization's member, is stopped first."""

from __future__ import annotations

from typing import Any

from tests.oracle_kit import Row, only

CARE_RECORDING_ROLES = ("theo", "tamsin", "priya", "toby", "olive")  # therapists, prescribers, trainees


def care_dosing(w: Any) -> dict[str, Any]:
    from django.utils import timezone

    from kapstone.care import services
    from kapstone.care.models import CareSession, DosingDetail, ProtocolVersion

    services.protocols_install_shipped(_actor(w, "avery", "org_admin"), w.org_a)
    protocol = ProtocolVersion.objects.get(organization=w.org_a, protocol_id="sublingual_kap_series")
    course = services.course_start(_actor(w, "theo", "therapist"), w.clients["rowan"], protocol)
    now = timezone.now()
    session = CareSession.objects.create(
        organization=w.org_a, client=w.clients["rowan"], course=course, kind="dosing", number=1,
        status="in_progress", scheduled_at=now, started_at=now, created_by=w.users["theo"],
    )  # fmt: skip
    DosingDetail.objects.create(session=session)
    return {"pk": session.pk}


def _actor(w: Any, name: str, role: str) -> Any:
    from kapstone.core.actor import Actor

    return Actor(user=w.users[name], organization=w.org_a, roles=frozenset({role}))


ROWS: dict[str, Row] = {
    "care:infusion_end": Row(only(CARE_RECORDING_ROLES, ok=405), kwargs=care_dosing),
}
