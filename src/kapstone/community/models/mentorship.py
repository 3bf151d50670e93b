"""Mentorship: mentor profiles, mentee requests, pairings the mentor accepts, and a meeting log."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from kapstone.accounts.models import Organization


class MentorProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentor_profile"
    )
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    specialties = models.CharField(max_length=300, blank=True)
    modalities = models.CharField(max_length=200, blank=True)  # |code|code| (vocab.encode_set)
    routes = models.CharField(max_length=120, blank=True)
    languages = models.CharField(max_length=200, blank=True)
    states = models.CharField(max_length=200, blank=True)
    time_zone = models.CharField(max_length=64, default="America/Denver")
    capacity = models.PositiveIntegerField(default=2)
    availability = models.CharField(max_length=300, blank=True)
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"Mentor profile of {self.user_id}"


class MentorshipRequest(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Waiting for a match"
        PROPOSED = "proposed", "Matched; waiting for the mentor"
        MATCHED = "matched", "Matched"
        WITHDRAWN = "withdrawn", "Withdrawn"

    mentee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    wants = models.TextField(max_length=2000)
    modalities = models.CharField(max_length=200, blank=True)
    routes = models.CharField(max_length=120, blank=True)
    # Mentor user ids, best first; mentors who declined this request are never proposed again.
    preferences = models.JSONField(default=list, blank=True)
    declined_by = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["mentee", "organization"],
                condition=models.Q(status__in=["open", "proposed"]),
                name="mentorship_one_open_request",
            ),
        ]

    def __str__(self) -> str:
        return f"Request of {self.mentee_id} ({self.status})"


class Mentorship(models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed; waiting for the mentor"
        ACTIVE = "active", "Active"
        DECLINED = "declined", "Declined by the mentor"
        ENDED = "ended", "Ended"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    request = models.ForeignKey(MentorshipRequest, on_delete=models.CASCADE, related_name="pairings")
    mentor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    mentee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PROPOSED)
    proposed_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.mentor_id} mentors {self.mentee_id} ({self.status})"


class MentorshipMeeting(models.Model):
    mentorship = models.ForeignKey(Mentorship, on_delete=models.CASCADE, related_name="meetings")
    occurred_on = models.DateField()
    minutes = models.PositiveIntegerField()
    topic = models.CharField(max_length=200, help_text="What you discussed, with no client identifier.")
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(minutes__gte=5, minutes__lte=480), name="meeting_minutes_range"
            )
        ]

    def __str__(self) -> str:
        return f"Meeting {self.occurred_on} ({self.minutes} min)"
