"""Screening rule sets per clinic, screening evaluations and medical clearances.

The rules themselves are data (TOML, parsed by the pure core in ``ruleset.py``). A clinic's edit
is stored as a new ``RuleSetVersion``; without an active one the shipped default applies. Every
evaluation stores the rule set's id, version and hash, the settings in force, the facts it read and
each rule's outcome and rationale, so it can be read later exactly as the prescriber saw it.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from kapstone.accounts.models import Organization
from kapstone.clients.models import Client

OUTCOME_CHOICES = [
    ("contraindicated", "Contraindicated"),
    ("insufficient_information", "Insufficient information"),
    ("needs_prescriber_review", "Needs prescriber review"),
    ("no_flags", "No flags"),
]


class RuleSetVersion(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="screening_rulesets"
    )
    ruleset_id = models.CharField(max_length=60)
    version = models.CharField(max_length=20)
    title = models.CharField(max_length=200)
    toml_text = models.TextField()
    sha256 = models.CharField(max_length=64)
    note = models.TextField(blank=True, help_text="Why the rule set was changed.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    is_active = models.BooleanField(default=False)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organization", "ruleset_id", "version"], name="ruleset_unique_version"
            ),
            models.UniqueConstraint(
                fields=["organization"], condition=models.Q(is_active=True), name="ruleset_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ruleset_id} {self.version}"


class ScreeningSettings(models.Model):
    """A clinic's screening settings: overrides of the rule set's named thresholds, and how long a
    clearance and a measure result stay usable (empty = the deployment default)."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="screening_settings"
    )
    overrides = models.JSONField(default=dict, blank=True)
    clearance_valid_days = models.PositiveIntegerField(null=True, blank=True)
    measure_max_age_days = models.PositiveIntegerField(null=True, blank=True)
    version = models.PositiveIntegerField(default=0)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Screening settings of organization {self.organization_id}"


class ScreeningEvaluation(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted to the prescriber"

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="screenings")
    clinic_ruleset = models.ForeignKey(
        RuleSetVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evaluations",
        help_text="Empty: the shipped default.",
    )
    ruleset_id = models.CharField(max_length=60)
    ruleset_version = models.CharField(max_length=20)
    ruleset_sha256 = models.CharField(max_length=64)
    settings_used = models.JSONField(help_text="The rule-set settings in force (defaults and overrides).")
    settings_overridden = models.JSONField(default=list)
    facts = models.JSONField(help_text="The facts document evaluated (FACTS.md).")
    fact_sources = models.JSONField(default=dict, help_text="Where measure facts came from.")
    sources = models.JSONField(default=dict, help_text="Citation of every source key the rules cite.")
    result = models.JSONField(help_text="Evaluation.to_dict().")
    outcome = models.CharField(max_length=30, choices=OUTCOME_CHOICES)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    submission_note = models.TextField(blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    superseded_reason = models.TextField(blank=True)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["client", "created_at"], name="screening_client_at")]

    def __str__(self) -> str:
        return f"Screening {self.pk} of client {self.client_id}: {self.outcome}"

    @property
    def ruleset_label(self) -> str:
        return f"{self.ruleset_id} {self.ruleset_version}"


class Clearance(models.Model):
    class Decision(models.TextChoices):
        CLEARED = "cleared", "Cleared"
        CLEARED_WITH_CONDITIONS = "cleared_with_conditions", "Cleared with conditions"
        DECLINED = "declined", "Declined"

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="clearances")
    evaluation = models.OneToOneField(ScreeningEvaluation, on_delete=models.PROTECT, related_name="clearance")
    prescriber = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=30, choices=Decision.choices)
    conditions = models.TextField(blank=True)
    note = models.TextField()
    override_reason = models.TextField(
        blank=True, help_text="Required to clear a contraindicated screening: the documented reason."
    )
    attestations = models.JSONField(
        default=dict, help_text="Per flagged prescriber-judgement rule: {'attested': true, 'note': ...}."
    )
    decided_at = models.DateTimeField()
    valid_days = models.PositiveIntegerField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    superseded_reason = models.TextField(blank=True)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["client", "decided_at"], name="clearance_client_at")]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} for client {self.client_id}"

    @property
    def clears(self) -> bool:
        return self.decision != self.Decision.DECLINED

    def is_current(self, at: datetime | None = None) -> bool:
        at = at or timezone.now()
        return (
            self.clears
            and self.superseded_at is None
            and self.expires_at is not None
            and at < self.expires_at
        )
