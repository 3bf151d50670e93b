"""Access-oracle rows of emergency access (break-glass, issue #17 item 4, security.md T16).

The form is for therapists, prescribers and supervisors, each in their own organization (Olive
reaches her own organization's search page, never Larkspur's client: 404); trainees, the admin and
portal clients never. The review pages are the admin's of the grant's organization only."""

from __future__ import annotations

from typing import Any

from tests.oracle_kit import Row, only

INVOKERS_IN_A = ("theo", "tamsin", "priya", "sam")  # on Rowan's team or not: the form answers both


def rowan(w: Any) -> dict[str, Any]:
    return {"pk": w.clients["rowan"].pk}


def tamsins_grant(w: Any) -> dict[str, Any]:
    from datetime import timedelta

    from django.utils import timezone

    from kapstone.clients.models import BreakGlassGrant

    now = timezone.now()
    grant = BreakGlassGrant.objects.create(
        organization=w.org_a, client=w.clients["rowan"], user=w.users["tamsin"],
        reason="Oracle row: a fictional emergency call at night.", granted_at=now,
        expires_at=now + timedelta(minutes=60),
    )  # fmt: skip
    return {"pk": grant.pk}


ROWS: dict[str, Row] = {
    "clients:breakglass": Row(only((*INVOKERS_IN_A, "olive"))),
    "clients:breakglass_client": Row(only(INVOKERS_IN_A), kwargs=rowan),
    "clients:breakglass_review": Row(only(("avery",))),
    "clients:breakglass_grant": Row(only(("avery",)), kwargs=tamsins_grant),
}
