"""Reads for the organization's admin about its members' accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Max, Q
from django.utils import timezone

from kapstone.accounts.models import LoginFailure, Organization

FAILED_SIGN_IN_DAYS = 7


@dataclass(frozen=True)
class FailedSignIns:
    full_name: str
    email: str
    failures: int
    addresses: int
    from_own_browser: int
    last_at: datetime


def failed_sign_ins(organization: Organization, *, days: int = FAILED_SIGN_IN_DAYS) -> list[FailedSignIns]:
    """Failed sign-ins (passwords and second-factor codes) aimed at this organization's active
    members in the last ``days`` days, per member, most attacked first."""
    since = timezone.now() - timedelta(days=days)
    rows = (
        LoginFailure.objects.filter(
            at__gte=since,
            user__memberships__organization=organization,
            user__memberships__is_active=True,
        )
        .values("user_id", "user__full_name", "user__email")
        .annotate(
            failures=Count("pk", distinct=True),
            addresses=Count("source_ip", distinct=True),
            own=Count("pk", filter=~Q(device=""), distinct=True),
            last_at=Max("at"),
        )
        .order_by("-failures", "user__full_name")
    )
    return [
        FailedSignIns(
            r["user__full_name"], r["user__email"], r["failures"], r["addresses"], r["own"], r["last_at"]
        )
        for r in rows
    ]
