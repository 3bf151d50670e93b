"""Live workshops: capacity, registrations with a waitlist and time-limited holds, calendar feeds."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from kapstone.accounts.models import Organization


def new_uid() -> str:
    return f"{uuid.uuid4()}@kapstone"


class Workshop(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        CANCELLED = "cancelled", "Cancelled"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="workshops")
    host = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=5000)
    # Topic ids of the requirement sets (e.g. "co.ethics"); the practicum ledger counts hours by them.
    topics = models.JSONField(default=list, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    time_zone = models.CharField(max_length=64, default="America/Denver")
    location = models.CharField(max_length=300, blank=True)
    capacity = models.PositiveIntegerField()
    hold_hours = models.PositiveIntegerField(
        default=24, help_text="How long a promoted person's place is held."
    )
    # iCalendar: one UID for the event's whole life; SEQUENCE grows on every change (RFC 5545 3.8.7.4).
    uid = models.CharField(max_length=80, unique=True, default=new_uid, editable=False)
    sequence = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SCHEDULED)
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["organization", "starts_at"], name="workshop_org_start")]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="workshop_ends_after"
            ),
            models.CheckConstraint(condition=models.Q(capacity__gte=1), name="workshop_capacity_positive"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED


class Registration(models.Model):
    class Status(models.TextChoices):
        REGISTERED = "registered", "Registered"
        WAITLISTED = "waitlisted", "On the waitlist"
        HELD = "held", "A place is held for you"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Hold expired"

    ACTIVE = (Status.REGISTERED, Status.WAITLISTED, Status.HELD)
    TAKES_A_PLACE = (Status.REGISTERED, Status.HELD)

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="registrations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=12, choices=Status.choices)
    created_at = models.DateTimeField(default=timezone.now)  # the waitlist's order
    hold_until = models.DateTimeField(null=True, blank=True)
    attended = models.BooleanField(null=True, blank=True)
    attended_minutes = models.PositiveIntegerField(null=True, blank=True)
    attendance_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints: ClassVar = [
            # One live registration per person per workshop: a double registration cannot be stored.
            models.UniqueConstraint(
                fields=["workshop", "user"],
                condition=models.Q(status__in=["registered", "waitlisted", "held"]),
                name="registration_one_active",
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["workshop", "status", "created_at"], name="registration_queue")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} at workshop {self.workshop_id}: {self.status}"


class CalendarFeed(models.Model):
    """A private per-person calendar feed URL. Only a hash of the token is stored; revoking ends it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Calendar feed of user {self.user_id}"
