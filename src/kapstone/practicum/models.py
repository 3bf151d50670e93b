"""The practicum ledger: hours a trainee logs and a supervisor verifies, who supervises whom, the
program's enabled requirement sets, facts a supervisor records, and supervision meetings.

A verified entry never changes: ``save`` refuses it (and a correction is a new entry that reverses
it, like an addendum). Hours the system already knows (a co-signed session note, a completed
lesson, an attended workshop) are not stored here: ``kapstone.practicum.sources`` derives them at
the moment the ledger is read, so they cannot be edited by hand.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from kapstone.accounts.models import Organization
from kapstone.accounts.models import User as Person
from kapstone.clients.models import Client
from kapstone.core.models import IdempotentEntry
from kapstone.lib.hours import KINDS

User = settings.AUTH_USER_MODEL

KIND_LABELS = {
    "didactic_live": "Didactic, live",
    "didactic_self_paced": "Didactic, self-paced",
    "experiential": "Experiential",
    "observed_session": "Observed session",
    "co_facilitated_session": "Co-facilitated session",
    "led_under_supervision": "Led under supervision",
    "individual_consultation": "Individual consultation",
    "group_consultation": "Group consultation",
    "personal_practice": "Personal practice",
}
assert set(KIND_LABELS) == set(KINDS)
SESSION_KINDS = ("observed_session", "co_facilitated_session", "led_under_supervision")


class Program(models.Model):
    """An organization's practicum program: which requirement sets it checks trainees against, the
    values it chose for the sets' settings, and the set its certificate is issued for."""

    organization = models.OneToOneField(Organization, on_delete=models.PROTECT, related_name="+")
    enabled_sets = models.JSONField(default=list, blank=True, help_text="Requirement set ids.")
    settings = models.JSONField(default=dict, blank=True, help_text="Setting id -> number.")
    certificate_set = models.CharField(max_length=80, blank=True)
    certificate_title = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"Practicum program of organization {self.organization_id}"


class Supervision(models.Model):
    """A supervisor supervises a trainee's practicum in one organization, until ``ends_on``."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    supervisor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    trainee = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    starts_on = models.DateField(default=timezone.localdate)
    ends_on = models.DateField(
        null=True, blank=True, help_text="The cohort's end: trainees behind are at risk."
    )
    active = models.BooleanField(default=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organization", "supervisor", "trainee"], name="practicum_one_supervision"
            ),
            models.CheckConstraint(
                name="practicum_not_self_supervised", condition=~Q(supervisor=models.F("trainee"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.supervisor_id} supervises {self.trainee_id}"


class VerifiedEntryError(Exception):
    """A verified ledger entry cannot change; correct it with a reversing entry."""


class LedgerEntry(IdempotentEntry):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for verification"
        VERIFIED = "verified", "Verified"
        RETURNED = "returned", "Returned"

    class SessionKind(models.TextChoices):
        NONE = "", "Not a session"
        PREPARATION = "preparation", "Preparation"
        ADMINISTRATION = "administration", "Administration (dosing)"
        INTEGRATION = "integration", "Integration"

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    trainee = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=32, choices=list(KIND_LABELS.items()))
    occurred_on = models.DateField()
    starts_at = models.TimeField(
        null=True, blank=True, help_text="When it began, to refuse overlapping entries."
    )
    minutes = models.PositiveIntegerField()
    supervisor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    description = models.CharField(max_length=300, blank=True)
    topics = models.JSONField(default=list, blank=True)
    group_size = models.PositiveSmallIntegerField(null=True, blank=True)
    online = models.BooleanField(null=True, blank=True)
    session_kind = models.CharField(max_length=16, choices=SessionKind.choices, blank=True)
    # The client is counted (to tell different clients apart) and shown only to the client's care team.
    client = models.ForeignKey(Client, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reviewed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(blank=True)
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ("-occurred_on", "-pk")
        indexes: ClassVar = [models.Index(fields=["trainee", "occurred_on"], name="practicum_entry_trainee")]
        constraints: ClassVar = [
            IdempotentEntry.idempotent_on("trainee", "practicum_entry_once"),
            models.CheckConstraint(
                name="practicum_entry_not_self_supervised", condition=~Q(supervisor=models.F("trainee"))
            ),
            models.CheckConstraint(
                name="practicum_entry_review_whole",
                condition=Q(status="pending", reviewed_at__isnull=True)
                | Q(~Q(status="pending"), reviewed_at__isnull=False, reviewed_by__isnull=False),
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"Ledger entry {self.pk}: {self.kind} {self.minutes} min ({self.status})"

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def signed_minutes(self) -> int:
        """A reversing entry takes its minutes away."""
        return -self.minutes if self.reverses_id else self.minutes

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored == self.Status.VERIFIED:
                raise VerifiedEntryError(f"ledger entry {self.pk} is verified and cannot change")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if self.status == self.Status.VERIFIED:
            raise VerifiedEntryError(f"ledger entry {self.pk} is verified and cannot be deleted")
        return super().delete(*args, **kwargs)


class Fact(models.Model):
    """What a supervisor recorded about a trainee for a requirement set's fact (an exam passed, a
    paper accepted). The newest row per fact is the answer."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    trainee = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    fact = models.CharField(max_length=80)
    value = models.BooleanField()
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-recorded_at", "-pk")

    def __str__(self) -> str:
        return f"{self.fact}={self.value} for {self.trainee_id}"


class SupervisionMeeting(models.Model):
    """A supervision meeting: it counts as consultation hours for each trainee who attended
    (individual with one attendee, group otherwise, with the group's size)."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    supervisor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    attendees = models.ManyToManyField(Person, related_name="+")
    occurred_on = models.DateField()
    minutes = models.PositiveIntegerField()
    topics = models.TextField()
    actions = models.TextField(blank=True, help_text="Agreed actions.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-occurred_on", "-pk")

    def __str__(self) -> str:
        return f"Supervision meeting {self.pk} on {self.occurred_on}"
