"""Treatment courses and their sessions: protocols (per organization), courses, preparation, dosing
(dose, vitals, ratings, interventions, adverse events, alerts, discharge) and integration.

The checks themselves live in the pure ``protocol_core``; these rows store what was entered and what
the core said (its JSON result, with the protocol id and version), so the record shows why.

Contract with ``kapstone.notes``: ``CareSession`` (name, ``client``, ``kind``, ``started_at``) is
stable; notes point at it with a nullable FK.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from kapstone.accounts.models import Organization
from kapstone.clients.models import Client

User = settings.AUTH_USER_MODEL


class ProtocolVersion(models.Model):
    """One version of one dosing protocol as installed in an organization: the TOML text (a shipped
    template, or a clinic's edited copy with a higher version), parsed by the pure core."""

    class Origin(models.TextChoices):
        SHIPPED = "shipped", "Shipped template"
        EDITED = "edited", "Edited by the clinic"

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="protocol_versions")
    protocol_id = models.CharField(max_length=60)
    version = models.CharField(max_length=20)
    title = models.CharField(max_length=300)
    route = models.CharField(max_length=20)
    product = models.CharField(max_length=30)
    origin = models.CharField(max_length=10, choices=Origin.choices)
    text = models.TextField(help_text="The protocol file (TOML), as the pure core reads it.")
    sha256 = models.CharField(max_length=64)
    based_on = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    note = models.TextField(blank=True, help_text="Why this version: what changed and on whose decision.")
    is_active = models.BooleanField(default=True, help_text="Offered for new courses.")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organization", "protocol_id", "version"], name="care_protocolversion_unique"
            )
        ]
        ordering = ("protocol_id", "-created_at")

    def __str__(self) -> str:
        return f"{self.protocol_id} {self.version}"


class Course(models.Model):
    """A client's course of KAP care under one protocol version."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        MAINTENANCE = "maintenance", "Maintenance"
        COMPLETED = "completed", "Completed"
        CLOSED = "closed", "Closed early"

    OPEN_STATUSES: ClassVar = (Status.ACTIVE, Status.MAINTENANCE)  # a client has at most one such course

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="courses")
    protocol = models.ForeignKey(ProtocolVersion, on_delete=models.PROTECT, related_name="courses")
    # Stored as text too, so the record reads without a join and survives any later edit.
    protocol_key = models.CharField(max_length=60, help_text="The protocol's id, e.g. im_kap.")
    protocol_version = models.CharField(max_length=20)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    indication = models.CharField(max_length=200, blank=True)
    goals = models.TextField(blank=True)
    prescriber = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    started_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["client", "started_at"], name="care_course_client")]

    def __str__(self) -> str:
        return f"Course {self.pk} ({self.protocol_key} {self.protocol_version}) for client {self.client_id}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class CareSession(models.Model):
    """A session of a course. Kind-specific details live in one-to-one rows (``preparation``,
    ``dosing``, ``integration``). Stable contract: name, ``client``, ``kind``, ``started_at``."""

    class Kind(models.TextChoices):
        PREPARATION = "preparation", "Preparation"
        DOSING = "dosing", "Dosing"
        INTEGRATION = "integration", "Integration"
        MAINTENANCE = "maintenance", "Maintenance"

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    class Location(models.TextChoices):
        CLINIC = "clinic", "Clinic"
        HOME = "home", "Home (chaperoned)"
        VIRTUAL = "virtual", "Virtual"

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="care_sessions")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="sessions")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SCHEDULED)
    location = models.CharField(max_length=10, choices=Location.choices, default=Location.CLINIC)
    # Dosing sessions: their number in the course (1 = first). Integration: the dosing session it follows.
    number = models.PositiveSmallIntegerField(null=True, blank=True)
    follows = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="integrations"
    )
    scheduled_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    lead = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    people_present = models.TextField(blank=True)
    cancel_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["client", "kind", "started_at"], name="care_session_client_kind"),
            models.Index(fields=["course", "kind"], name="care_session_course_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} session {self.pk} for client {self.client_id}"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.SCHEDULED, self.Status.IN_PROGRESS)


class PreparationDetail(models.Model):
    session = models.OneToOneField(CareSession, on_delete=models.CASCADE, related_name="preparation")
    psychoeducation = models.JSONField(default=dict, blank=True, help_text="Checklist item id -> covered.")
    intentions = models.TextField(blank=True, help_text="In the client's words.")
    expectations = models.TextField(blank=True)
    fears = models.TextField(blank=True)
    what_if_plan = models.TextField(blank=True)
    music = models.TextField(blank=True)
    touch_agreement = models.TextField(blank=True, help_text="Which areas, what kind, how to signal stop.")
    touch_stop_signal = models.CharField(max_length=200, blank=True)
    safety_plan = models.TextField(blank=True)
    emergency_contacts = models.TextField(blank=True)
    transport_plan = models.TextField(blank=True)
    fasting_instructions_given = models.BooleanField(default=False)
    medication_hold_instructions_given = models.BooleanField(default=False)
    chaperone_briefed = models.BooleanField(null=True, blank=True, help_text="At-home dosing only.")
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    def __str__(self) -> str:
        return f"Preparation detail of session {self.session_id}"


class DosingDetail(models.Model):
    class Decision(models.TextChoices):
        GO = "go", "Go"
        NEEDS_JUSTIFICATION = "needs_justification", "Go with prescriber justification"
        NO_GO = "no_go", "No go"

    session = models.OneToOneField(CareSession, on_delete=models.CASCADE, related_name="dosing")
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    # Readiness (clients.readiness) at the start, as it was.
    readiness = models.JSONField(default=dict, blank=True)
    touch_opt_in = models.BooleanField(default=False)
    touch_scope = models.TextField(blank=True)
    # The pre-dose checklist as entered, and the core's go/no-go on it.
    pre_dose_input = models.JSONField(default=dict, blank=True)
    pre_dose_result = models.JSONField(default=dict, blank=True)
    decision = models.CharField(max_length=24, choices=Decision.choices, blank=True)
    decision_justification = models.TextField(blank=True)
    decision_justified_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Discharge
    discharged_at = models.DateTimeField(null=True, blank=True)
    discharged_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    discharge_checklist = models.JSONField(default=dict, blank=True)
    discharge_result = models.JSONField(default=dict, blank=True)
    vitals_justification = models.TextField(
        blank=True,
        help_text="A prescriber's reason to discharge with a scheduled reading missing or out of limits.",
    )
    vitals_justified_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    left_with = models.CharField(max_length=200, blank=True, help_text="Who the client left with.")
    aftercare_given = models.BooleanField(default=False)
    discharge_notes = models.TextField(blank=True)
    no_driving = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"Dosing detail of session {self.session_id}"


class DoseRecord(models.Model):
    session = models.ForeignKey(CareSession, on_delete=models.PROTECT, related_name="doses")
    is_booster = models.BooleanField(default=False)
    route = models.CharField(max_length=20)
    formulation = models.CharField(max_length=200)
    product = models.CharField(max_length=30)
    tier = models.CharField(max_length=40, blank=True)
    amount_mg = models.DecimalField(max_digits=7, decimal_places=2)
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    mg_per_kg = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)
    given_at = models.DateTimeField()
    given_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    # An IV infusion: ``given_at`` is its start; the end is recorded when it stops (before discharge).
    infusion_started_at = models.DateTimeField(null=True, blank=True)
    infusion_ended_at = models.DateTimeField(null=True, blank=True)
    lot = models.CharField(max_length=60, blank=True)
    check_result = models.JSONField(
        default=dict, help_text="The core's DoseCheck, with protocol id and version."
    )
    level = models.CharField(max_length=24)
    justification = models.TextField(blank=True)
    justified_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    idempotency_key = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ("given_at", "pk")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["session", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="care_dose_idempotent",
            )
        ]

    def __str__(self) -> str:
        return f"{self.amount_mg} mg {self.route} at {self.given_at:%H:%M}"


class VitalReading(models.Model):
    class Phase(models.TextChoices):
        PRE_DOSE = "pre_dose", "Pre-dose"
        POST_DOSE = "post_dose", "Post-dose"

    session = models.ForeignKey(CareSession, on_delete=models.PROTECT, related_name="vitals")
    phase = models.CharField(max_length=10, choices=Phase.choices)
    taken_at = models.DateTimeField()
    systolic = models.PositiveSmallIntegerField(null=True, blank=True)
    diastolic = models.PositiveSmallIntegerField(null=True, blank=True)
    heart_rate = models.PositiveSmallIntegerField(null=True, blank=True)
    spo2 = models.PositiveSmallIntegerField(null=True, blank=True)
    respiratory_rate = models.PositiveSmallIntegerField(null=True, blank=True)
    symptoms = models.JSONField(default=list, blank=True)
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    idempotency_key = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ("taken_at", "pk")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["session", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="care_vitals_idempotent",
            )
        ]

    def __str__(self) -> str:
        return f"Vitals at {self.taken_at:%H:%M} (session {self.session_id})"


class Rating(models.Model):
    """Dissociation, sedation (MOAA/S) and emotional state at one time point."""

    session = models.ForeignKey(CareSession, on_delete=models.PROTECT, related_name="ratings")
    phase = models.CharField(max_length=10, choices=VitalReading.Phase.choices)
    taken_at = models.DateTimeField()
    moaas = models.PositiveSmallIntegerField("MOAA/S (0-5)", null=True, blank=True)
    dissociation_scale = models.CharField(max_length=20, blank=True)
    dissociation_score = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    emotional_state = models.CharField(max_length=30, blank=True)
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    idempotency_key = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ("taken_at", "pk")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["session", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="care_rating_idempotent",
            )
        ]

    def __str__(self) -> str:
        return f"Rating at {self.taken_at:%H:%M} (session {self.session_id})"


class Intervention(models.Model):
    class Kind(models.TextChoices):
        VERBAL_SUPPORT = "verbal_support", "Verbal support"
        GROUNDING = "grounding", "Grounding"
        BREATH = "breath", "Breath work"
        CONTAINMENT = "containment", "Containment"
        MUSIC = "music", "Music adjusted"
        REDUCE_STIMULATION = "reduce_stimulation", "Reduced stimulation"
        SUPPORTIVE_TOUCH = "supportive_touch", "Supportive touch"
        ANTIEMETIC = "antiemetic", "Antiemetic given"
        OTHER = "other", "Other"

    session = models.ForeignKey(CareSession, on_delete=models.PROTECT, related_name="interventions")
    at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    description = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    idempotency_key = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ("at", "pk")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["session", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="care_intervention_idempotent",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.at:%H:%M}"


class AdverseEvent(models.Model):
    class Severity(models.TextChoices):
        MILD = "mild", "Mild"
        MODERATE = "moderate", "Moderate"
        SEVERE = "severe", "Severe"

    class Outcome(models.TextChoices):
        RESOLVED = "resolved", "Resolved"
        RESOLVING = "resolving", "Resolving"
        ONGOING = "ongoing", "Not resolved"
        SEQUELAE = "sequelae", "Resolved with sequelae"
        UNKNOWN = "unknown", "Unknown"

    class Relatedness(models.TextChoices):
        UNRELATED = "unrelated", "Not related"
        UNLIKELY = "unlikely", "Unlikely"
        POSSIBLE = "possible", "Possible"
        PROBABLE = "probable", "Probable"
        DEFINITE = "definite", "Definite"

    session = models.ForeignKey(CareSession, on_delete=models.PROTECT, related_name="adverse_events")
    onset_at = models.DateTimeField()
    category = models.CharField(max_length=40)
    term = models.CharField(max_length=60)
    catalog_version = models.CharField(max_length=20)
    description = models.TextField(blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    serious = models.BooleanField(default=False)
    action_taken = models.TextField(blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.ONGOING)
    relatedness = models.CharField(max_length=10, choices=Relatedness.choices, default=Relatedness.POSSIBLE)
    rems_report = models.BooleanField(default=False, help_text="Reportable to the REMS (SPRAVATO).")
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    idempotency_key = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ("onset_at", "pk")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["session", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="care_ae_idempotent",
            )
        ]

    def __str__(self) -> str:
        return f"AE {self.term} ({self.severity})"


class Alert(models.Model):
    """An alert the core raised on a reading; it stays open until someone acknowledges it and says
    what they did."""

    session = models.ForeignKey(CareSession, on_delete=models.PROTECT, related_name="alerts")
    reading = models.ForeignKey(
        VitalReading, on_delete=models.PROTECT, null=True, blank=True, related_name="alerts"
    )
    rating = models.ForeignKey(Rating, on_delete=models.PROTECT, null=True, blank=True, related_name="alerts")
    code = models.CharField(max_length=60)
    severity = models.CharField(max_length=12)
    message = models.TextField()
    suggested_action = models.TextField(blank=True)
    result = models.JSONField(default=dict, help_text="The core's Alert, with protocol id and version.")
    raised_at = models.DateTimeField(default=timezone.now)
    acknowledged_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    action_taken = models.TextField(blank=True)

    class Meta:
        ordering = ("raised_at", "pk")

    def __str__(self) -> str:
        return f"Alert {self.code} ({self.severity})"

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None


class IntegrationDetail(models.Model):
    session = models.OneToOneField(CareSession, on_delete=models.CASCADE, related_name="integration")
    interval_hours = models.DecimalField(max_digits=7, decimal_places=1, null=True, blank=True)
    narrative = models.TextField(blank=True, help_text="The client's account, in their words.")
    themes = models.JSONField(default=list, blank=True)
    insights = models.TextField(blank=True)
    commitments = models.TextField(blank=True)
    modalities = models.JSONField(default=list, blank=True)
    safety_check = models.TextField(blank=True)
    measures_due = models.JSONField(default=list, blank=True)
    next_dose_plan = models.TextField(blank=True)
    prescriber_feedback = models.TextField(
        blank=True, help_text="Dose-adjustment feedback for the prescriber."
    )
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    def __str__(self) -> str:
        return f"Integration detail of session {self.session_id}"
