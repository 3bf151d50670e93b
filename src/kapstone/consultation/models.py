"""Consultation groups, de-identified case presentations, feedback, and meetings with attendance.

What a member of a group can ever read is a ``CaseSnapshot``: the text its author reviewed, span by
span, after the de-identification engine proposed every redaction. The ``Case`` row keeps the
source (for its author, inside the care team's organization) and the author's decisions
(``Proposal`` rows); members' pages never read either, nor the client the case came from.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from kapstone.accounts.models import Organization
from kapstone.clients.models import Client
from kapstone.core.models import Versioned

User = settings.AUTH_USER_MODEL


class ConsultationGroup(models.Model):
    """A small standing group (the organization sets its size; 6 is the common ceiling, community.md §4)."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=120)
    facilitator = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    max_members = models.PositiveSmallIntegerField(default=6)
    minutes_per_case = models.PositiveSmallIntegerField(default=20)
    schedule = models.CharField(
        max_length=200, blank=True, help_text="e.g. 'Alternate Tuesdays, 12:00-13:00'"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organization", "name"], name="consult_group_unique_name"),
            models.CheckConstraint(name="consult_group_size_positive", condition=Q(max_members__gte=2)),
        ]

    def __str__(self) -> str:
        return self.name


class GroupMember(models.Model):
    group = models.ForeignKey(ConsultationGroup, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["group", "user"], name="consult_member_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.group_id}"


class Case(Versioned):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft (being reviewed by its author)"
        POSTED = "posted", "Posted to the group"
        RETURNED = "returned", "Hidden: flagged as containing an identifier, back with its author"
        CLOSED = "closed", "Closed by the facilitator"

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    # The source: its author's and the care team organization's only. Never on a member's page.
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    source_text = models.TextField()
    note_ids = models.JSONField(
        default=list, help_text="The signed progress notes the source was built from."
    )
    engine_version = models.CharField(max_length=60)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    group = models.ForeignKey(
        ConsultationGroup, on_delete=models.PROTECT, null=True, blank=True, related_name="cases"
    )
    flagged_at = models.DateTimeField(null=True, blank=True)
    flagged_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    flag_reason = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-created_at", "-pk")
        indexes: ClassVar = [models.Index(fields=["group", "status"], name="consult_case_group_status")]
        constraints: ClassVar = [
            models.CheckConstraint(
                name="consult_case_posted_has_group", condition=Q(status="draft") | Q(group__isnull=False)
            )
        ]

    def __str__(self) -> str:
        return f"Case {self.pk} ({self.status})"

    @property
    def editable(self) -> bool:
        return self.status in {self.Status.DRAFT, self.Status.RETURNED}


class Proposal(models.Model):
    """One engine proposal (a redaction or a flag) and its author's decision."""

    class Kind(models.TextChoices):
        REDACTION = "redaction", "Redaction"
        FLAG = "flag", "Flag"

    class Decision(models.TextChoices):
        PENDING = "", "Not decided"
        ACCEPT = "accept", "Accept the suggestion"
        EDIT = "edit", "Replace with my wording"
        KEEP = "keep", "Keep the original (with a reason)"
        REMOVE = "remove", "Remove"
        GENERALISE = "generalise", "Generalise (my wording)"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="proposals")
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    cls = models.CharField("class", max_length=24)
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    why = models.CharField(max_length=200)
    suggested = models.CharField(max_length=60)
    confidence = models.FloatField(default=1.0)
    source = models.CharField(max_length=20)  # known | detector | quasi_identifier | unclassified
    decision = models.CharField(max_length=12, choices=Decision.choices, blank=True, default="")
    replacement = models.CharField(max_length=120, blank=True)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ("position",)
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["case", "position"], name="consult_proposal_position"),
            models.CheckConstraint(name="consult_proposal_span", condition=Q(end__gt=models.F("start"))),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.cls} [{self.start}:{self.end}]"


class CaseSnapshot(models.Model):
    """What was posted: immutable (the services only ever create one), with the engine's version."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="snapshots")
    text = models.TextField()
    engine_version = models.CharField(max_length=60)
    posted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    posted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-posted_at", "-pk")

    def __str__(self) -> str:
        return f"Snapshot {self.pk} of case {self.case_id}"


class Feedback(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="feedback")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("created_at", "pk")

    def __str__(self) -> str:
        return f"Feedback {self.pk} on case {self.case_id}"


class Meeting(models.Model):
    group = models.ForeignKey(ConsultationGroup, on_delete=models.PROTECT, related_name="meetings")
    held_on = models.DateField()
    minutes = models.PositiveSmallIntegerField()
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-held_on", "-pk")
        constraints: ClassVar = [
            models.CheckConstraint(
                name="consult_meeting_minutes", condition=Q(minutes__gt=0, minutes__lte=600)
            )
        ]

    def __str__(self) -> str:
        return f"Meeting of {self.group_id} on {self.held_on}"


class Attendance(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["meeting", "user"], name="consult_attend_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} at {self.meeting_id}"
