"""The client record and the care team that may see it."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from kapstone.accounts.models import Organization


class Client(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="clients")
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    pronouns = models.CharField(max_length=40, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    portal_user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="client_record"
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Optimistic concurrency: a save names the version it read; a stale one is refused.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["organization", "family_name", "given_name"], name="client_org_name")]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        first = self.preferred_name or self.given_name
        return f"{first} {self.family_name}".strip()


class CareTeamMember(models.Model):
    class TeamRole(models.TextChoices):
        THERAPIST = "therapist", "Therapist"
        PRESCRIBER = "prescriber", "Prescriber"
        SUPERVISOR = "supervisor", "Supervisor"
        TRAINEE = "trainee", "Trainee"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="care_team")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="care_teams")
    team_role = models.CharField(max_length=20, choices=TeamRole.choices)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["client", "user", "team_role"], name="careteam_unique_member_role")
        ]
        indexes: ClassVar = [models.Index(fields=["user", "client"], name="careteam_user_client")]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_team_role_display()}) for client {self.client_id}"
