"""Reads other apps rely on. ``earned_hours`` is the practicum ledger's contract: keep its signature.

Workshop attendance taken by the host counts as live didactic hours with the workshop's topics;
logged mentorship meetings count as individual consultation.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from kapstone.accounts.models import User
from kapstone.community.models import MentorshipMeeting, Registration, Workshop
from kapstone.lib.hours import EarnedHours


def earned_hours(user: User) -> list[EarnedHours]:
    hours = [
        EarnedHours(
            source="community.workshop",
            source_id=str(row.pk),
            kind="didactic_live",
            minutes=row.attended_minutes or 0,
            occurred_on=row.workshop.starts_at.astimezone(ZoneInfo(row.workshop.time_zone)).date(),
            label=f"Workshop: {row.workshop.title}",
            topics=tuple(row.workshop.topics),
            supervisor_id=row.attendance_by_id,
        )
        for row in Registration.objects.filter(user=user, attended=True)
        .exclude(workshop__status=Workshop.Status.CANCELLED)
        .select_related("workshop")
        .order_by("workshop__starts_at", "pk")
    ]
    return hours + _mentorship_hours(user)


def _mentorship_hours(user: User) -> list[EarnedHours]:
    """The mentee's logged meetings; the mentor is who the hours were with."""
    meetings = (
        MentorshipMeeting.objects.filter(mentorship__mentee=user)
        .select_related("mentorship")
        .order_by("occurred_on", "pk")
    )
    return [
        EarnedHours(
            source="community.mentorship",
            source_id=str(m.pk),
            kind="individual_consultation",
            minutes=m.minutes,
            occurred_on=m.occurred_on,
            label=f"Mentorship meeting: {m.topic}",
            supervisor_id=m.mentorship.mentor_id,
            group_size=2,
        )
        for m in meetings
    ]


def upcoming_workshops(organization_id: int) -> QuerySet[Workshop]:
    return Workshop.objects.filter(organization_id=organization_id).order_by("starts_at", "pk")
