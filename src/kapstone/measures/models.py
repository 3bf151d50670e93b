"""Measurement records: responses, safety tasks, portal links, schedules and clinic instrument settings.

A ``Response`` is only ever stored complete and scored: it keeps the raw answers by item id, the
definition version it was scored under and the full structured result. Incomplete or invalid
answers are refused (fail closed); a safety flag raised from the answered items still opens a
``SafetyTask``. Nothing here is edited in place except the bookkeeping fields named in services.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from kapstone.accounts.models import Organization
from kapstone.clients.models import Client
from kapstone.measures.scoring.safety_levels import Level as Level_
from kapstone.measures.scoring.safety_levels import default_safety_levels


class Source(models.TextChoices):
    CLINICIAN = "clinician", "Recorded by a clinician"
    PORTAL = "portal", "Completed by the client (portal)"
    FHIR = "fhir", "Imported (FHIR)"


class InstrumentSettings(models.Model):
    """One organization's values for an instrument's options (e.g. PCL-5 cut-point, EBI
    aggregation, MEQ criterion, RCI SD and reliability) and its licensed item wording."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="instrument_settings"
    )
    instrument_id = models.CharField(max_length=60)
    options = models.JSONField(default=dict, blank=True)
    item_text = models.JSONField(
        default=dict, blank=True, help_text="Item id -> the clinic's licensed wording."
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organization", "instrument_id"], name="instrument_settings_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} settings for organization {self.organization_id}"


class Response(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="measure_responses")
    instrument_id = models.CharField(max_length=60)
    instrument_version = models.CharField(
        max_length=20, help_text="The definition version it was scored under."
    )
    answers = models.JSONField(help_text="Raw answers keyed by item id.")
    result = models.JSONField(help_text="ScoreResult.to_dict() at the time of scoring.")
    total = models.FloatField(null=True)
    band = models.CharField(max_length=120, blank=True)
    complete = models.BooleanField(default=True)
    administered_at = models.DateTimeField()
    source = models.CharField(max_length=12, choices=Source.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar = [
            models.Index(
                fields=["client", "instrument_id", "administered_at"], name="response_client_instr_at"
            ),
            models.Index(fields=["organization", "administered_at"], name="response_org_at"),
        ]

    def __str__(self) -> str:
        when = f"{self.administered_at:%Y-%m-%d}"
        return f"{self.instrument_id} {self.instrument_version} for client {self.client_id} at {when}"

    @property
    def flags(self) -> list[dict[str, object]]:
        return list(self.result.get("flags", []))

    @property
    def interpretation(self) -> str:
        return str(self.result.get("interpretation", ""))


class SafetyTask(models.Model):
    """A response's safety flags, which the care team must see and acknowledge with a documented
    action. One task per response (or refused attempt), at the Columbia triage level its flags reach
    (``measures/safety/levels.toml``): low, moderate or high. An open high task blocks dosing."""

    class Level(models.TextChoices):
        HIGH = "high", "High risk"
        MODERATE = "moderate", "Moderate risk"
        LOW = "low", "Low risk"

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="safety_tasks")
    # Null when the flag came from answers that were refused as incomplete (no response stored).
    response = models.ForeignKey(
        Response, on_delete=models.PROTECT, null=True, blank=True, related_name="safety_tasks"
    )
    instrument_id = models.CharField(max_length=60)
    instrument_version = models.CharField(max_length=20)
    flag_id = models.CharField(max_length=80, help_text="The flag that set the level.")
    severity = models.CharField(max_length=20)
    level = models.CharField(max_length=12, choices=Level.choices, default=Level.HIGH)
    level_rank = models.PositiveSmallIntegerField(default=3, help_text="3 high, 2 moderate, 1 low (sorting).")
    flags = models.JSONField(default=list, blank=True, help_text="Every safety flag raised: id and message.")
    message = models.TextField()
    item_id = models.CharField(max_length=60, blank=True)
    evidence = models.JSONField(default=dict, blank=True, help_text="The answer(s) that raised the flag.")
    source = models.CharField(max_length=12, choices=Source.choices)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    action_taken = models.TextField(blank=True)
    safety_plan = models.TextField(
        blank=True, help_text="Moderate and high: the safety plan made or updated."
    )

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["client", "acknowledged_at"], name="safetytask_client_open"),
            models.Index(fields=["organization", "acknowledged_at", "opened_at"], name="safetytask_org_open"),
        ]

    def __str__(self) -> str:
        return f"{self.flag_id} for client {self.client_id} ({'open' if self.is_open else 'acknowledged'})"

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None

    @property
    def level_info(self) -> Level_:
        """The level's data (action, notice, whether it blocks dosing); unknown -> highest."""
        levels = default_safety_levels()
        return levels.level(self.level) if self.level in {lv.id for lv in levels.levels} else levels.highest

    @property
    def blocks_dosing(self) -> bool:
        return self.is_open and self.level_info.blocks_dosing


class MeasureSchedule(models.Model):
    class Kind(models.TextChoices):
        INTERVAL = "interval", "Every N days"
        BEFORE_INTEGRATION = "before_integration", "Before each integration session"
        AFTER_DOSING = "after_dosing", "After each dosing session"

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="measure_schedules")
    instrument_id = models.CharField(max_length=60)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    interval_days = models.PositiveIntegerField(null=True, blank=True)
    active = models.BooleanField(default=True)
    next_due_at = models.DateTimeField(null=True, blank=True)
    # Reminder bookkeeping: the due occurrence a reminder was last sent (or skipped) for.
    last_reminded_due_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["active", "next_due_at"], name="schedule_active_due"),
            models.Index(fields=["client", "instrument_id"], name="schedule_client_instr"),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=~models.Q(kind="interval") | models.Q(interval_days__gte=1),
                name="schedule_interval_has_days",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} {self.kind} for client {self.client_id}"

    def is_due(self, now: object = None) -> bool:
        moment = now or timezone.now()
        return self.active and self.next_due_at is not None and self.next_due_at <= moment  # type: ignore[operator]


class PortalLink(models.Model):
    """A single-use, expiring link that lets a client answer one questionnaire without signing in.

    Only a hash of the token is kept. ``mail_key`` lets the mail task derive the token again
    (HMAC with the secret key) so the raw token never sits in the task queue; it is cleared once
    the mail has gone.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="portal_links")
    instrument_id = models.CharField(max_length=60)
    instrument_version = models.CharField(max_length=20)
    token_hash = models.CharField(max_length=64, unique=True)
    mail_key = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    response = models.OneToOneField(
        Response, on_delete=models.PROTECT, null=True, blank=True, related_name="portal_link"
    )
    partial_answers = models.JSONField(default=dict, blank=True)
    saved_at = models.DateTimeField(null=True, blank=True)
    # Reminder bookkeeping.
    schedule = models.ForeignKey(
        MeasureSchedule, on_delete=models.SET_NULL, null=True, blank=True, related_name="links"
    )
    due_at = models.DateTimeField(null=True, blank=True)
    mailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["client", "used_at"], name="portallink_client_used")]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["schedule", "due_at"],
                condition=models.Q(schedule__isnull=False),
                name="portallink_one_per_occurrence",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} link for client {self.client_id}"

    def state(self, now: object = None) -> str:
        """open / used / expired."""
        if self.used_at is not None:
            return "used"
        if self.expires_at <= (now or timezone.now()):  # type: ignore[operator]
            return "expired"
        return "open"
