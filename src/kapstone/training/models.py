"""Training records: programs and their versions, cohorts, enrolments, completions, knowledge-check
attempts, live teaching and attendance, competency assessments, the reflective journal.

A ``ProgramVersion`` stores its files exactly as imported (``files``: relative path → text), so the
version a trainee learned on can always be read back and exported; once published it never changes
(the services refuse, and a content hash is kept). Every completion and attempt records the version
it was earned on.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from kapstone.core.models import IdempotentEntry, Versioned

User = settings.AUTH_USER_MODEL


class Program(models.Model):
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    program_id = models.CharField(max_length=64)
    title = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organization", "program_id"], name="training_program_unique"),
        ]

    def __str__(self) -> str:
        return self.title


class ProgramVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="versions")
    version = models.CharField(max_length=40)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    title = models.CharField(max_length=300)
    files = models.JSONField(default=dict)  # {relative path: text}, exactly as imported or edited
    sha256 = models.CharField(max_length=64)
    based_on = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["program", "version"], name="training_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.program.program_id} {self.version} ({self.status})"

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class Cohort(models.Model):
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="cohorts")
    version = models.ForeignKey(ProgramVersion, on_delete=models.PROTECT, related_name="cohorts")
    name = models.CharField(max_length=200)
    starts_on = models.DateField(null=True, blank=True)
    checks_close_at = models.DateTimeField(null=True, blank=True, help_text="Knowledge checks close then.")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class Enrollment(models.Model):
    cohort = models.ForeignKey(Cohort, on_delete=models.PROTECT, related_name="enrollments")
    trainee = models.ForeignKey(User, on_delete=models.PROTECT, related_name="training_enrollments")
    supervisor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # Named by the program lead to rate the same evidence as the supervisor, for calibration (Cohen's κ);
    # their ratings never set the trainee's level.
    second_rater = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # The version this trainee learns on: the cohort's, until they are moved explicitly.
    version = models.ForeignKey(ProgramVersion, on_delete=models.PROTECT, related_name="+")
    enrolled_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_version = models.ForeignKey(
        ProgramVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["cohort", "trainee"], name="training_enrollment_unique"),
        ]

    def __str__(self) -> str:
        return f"Enrolment {self.pk} in {self.cohort_id}"


class LessonCompletion(models.Model):
    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="lessons_done")
    lesson_id = models.CharField(max_length=64)
    module_id = models.CharField(max_length=64)
    version = models.ForeignKey(ProgramVersion, on_delete=models.PROTECT, related_name="+")
    minutes = models.PositiveIntegerField()
    topics = models.JSONField(default=list)
    completed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["enrollment", "lesson_id"], name="training_lesson_once"),
        ]

    def __str__(self) -> str:
        return f"{self.lesson_id} done ({self.enrollment_id})"


class ModuleCompletion(models.Model):
    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="modules_done")
    module_id = models.CharField(max_length=64)
    version = models.ForeignKey(ProgramVersion, on_delete=models.PROTECT, related_name="+")
    completed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["enrollment", "module_id"], name="training_module_once"),
        ]

    def __str__(self) -> str:
        return f"{self.module_id} done ({self.enrollment_id})"


class QuizAttempt(IdempotentEntry):
    class Status(models.TextChoices):
        PASSED = "passed", "Passed"
        FAILED = "failed", "Not passed"
        PENDING = "pending", "Waiting for the supervisor's grade"

    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="attempts")
    module_id = models.CharField(max_length=64)
    version = models.ForeignKey(ProgramVersion, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField()
    seed = models.BigIntegerField()
    drawn = models.JSONField(default=list)
    answers = models.JSONField(default=dict)  # question id → submitted values
    marks = models.JSONField(default=dict)  # short answers: question id → the supervisor's verdict
    status = models.CharField(max_length=10, choices=Status.choices)
    earned = models.PositiveIntegerField()
    available = models.PositiveIntegerField()
    submitted_at = models.DateTimeField(default=timezone.now)
    graded_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    graded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            IdempotentEntry.idempotent_on("enrollment", "training_attempt_once"),
            models.UniqueConstraint(
                fields=["enrollment", "module_id", "number"], name="training_attempt_number"
            ),
        ]

    def __str__(self) -> str:
        return f"Attempt {self.number} on {self.module_id} ({self.status})"


class LiveSession(models.Model):
    cohort = models.ForeignKey(Cohort, on_delete=models.PROTECT, related_name="live_sessions")
    title = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    minutes = models.PositiveIntegerField()
    topics = models.JSONField(default=list)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return self.title


class Attendance(models.Model):
    session = models.ForeignKey(LiveSession, on_delete=models.PROTECT, related_name="attendance")
    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="attendance")
    attended = models.BooleanField()
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["session", "enrollment"], name="training_attendance_once"),
        ]

    def __str__(self) -> str:
        return f"{'Attended' if self.attended else 'Absent'}: {self.session_id}/{self.enrollment_id}"


class CompetencyAssessment(IdempotentEntry):
    class Evidence(models.TextChoices):
        KNOWLEDGE_CHECK = "knowledge_check", "Knowledge-check result"
        COSIGNED_SESSION = "cosigned_session", "Co-signed session"
        ROLE_PLAY = "role_play", "Observed role-play"
        SUPERVISION = "supervision_meeting", "Supervision meeting"

    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="assessments")
    framework_id = models.CharField(max_length=64)
    framework_version = models.CharField(max_length=40)
    competency_id = models.CharField(max_length=64)
    level = models.PositiveSmallIntegerField()
    evidence_kind = models.CharField(max_length=24, choices=Evidence.choices)
    evidence_ref = models.CharField(max_length=200)  # what a second rater would look at; no client name
    note = models.TextField(blank=True)
    assessor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    # Made by the enrolment's second rater on evidence the supervisor rated: calibration, not the
    # trainee's level.
    second_rating = models.BooleanField(default=False)
    assessed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            IdempotentEntry.idempotent_on("assessor", "training_assessment_once"),
            models.CheckConstraint(condition=models.Q(level__gte=1), name="training_assessment_level_min"),
        ]

    def __str__(self) -> str:
        return f"{self.competency_id} level {self.level}"


class JournalEntry(Versioned):
    """A trainee's reflective entry: a training record, never a clinical one; private to its author
    unless shared with their supervisor."""

    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="journal_entries")
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    title = models.CharField(max_length=200)
    body = models.TextField()
    written_on = models.DateField(default=timezone.localdate)
    lesson_id = models.CharField(max_length=64, blank=True)
    session_ref = models.CharField(
        max_length=120, blank=True
    )  # e.g. "Dosing session, 3 Dec" (no client name)
    shared_with = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    shared_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Journal entry {self.pk}"


class JournalComment(models.Model):
    entry = models.ForeignKey(JournalEntry, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Comment {self.pk} on entry {self.entry_id}"
