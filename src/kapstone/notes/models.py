"""Progress notes, their addenda, and psychotherapy notes (a separate model, kept apart).

A progress note is a draft its author edits (each save names the ``version`` it read; a stale save
is refused), then signed: from then on the row is immutable — its content hash is stored, and a
database trigger (migration 0002) refuses any UPDATE of it except setting the co-sign stamp once,
and any DELETE. Changes after signing are ``Addendum`` rows, which the database keeps append-only.

A psychotherapy note (45 CFR 164.501) is its author's alone; a supervisor reads one only through a
``PsychNoteGrant`` the author gave for training (164.508(a)(2)(i)(B)), and each read is audited with
the grant's id. No portal page, export, FHIR resource or consultation reads this model.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from kapstone.accounts.models import Organization
from kapstone.clients.models import Client

User = settings.AUTH_USER_MODEL
TRAINING_REASON = "training (45 CFR 164.508(a)(2)(i)(B))"


class ProgressNote(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PENDING_COSIGN = "pending_cosign", "Signed, pending co-sign"
        SIGNED = "signed", "Signed"

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="progress_notes")
    session = models.ForeignKey(
        "care.CareSession", null=True, blank=True, on_delete=models.PROTECT, related_name="progress_notes"
    )
    template_id = models.CharField(max_length=40)
    template_version = models.CharField(max_length=20)
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    sections = models.JSONField(default=dict, blank=True, help_text="Section key -> text.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    # Optimistic concurrency for drafts: a save names the version it read.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    content_hash = models.CharField(max_length=64, blank=True)
    cosign_required = models.BooleanField(default=False, help_text="The author signed as a trainee.")
    cosigned_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    cosigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-pk")
        indexes: ClassVar = [
            models.Index(fields=["client", "created_at"], name="notes_client_created"),
            models.Index(fields=["status", "organization"], name="notes_status_org"),
        ]
        constraints: ClassVar = [
            # A draft has no signature; a signed (or pending) note has a time, a signer and a hash.
            models.CheckConstraint(
                name="notes_signed_fields_consistent",
                condition=(
                    Q(status="draft", signed_at__isnull=True, signed_by__isnull=True, content_hash="")
                    | (
                        Q(
                            status__in=["pending_cosign", "signed"],
                            signed_at__isnull=False,
                            signed_by__isnull=False,
                        )
                        & ~Q(content_hash="")
                    )
                ),
            ),
            models.CheckConstraint(
                name="notes_cosign_stamp_whole",
                condition=Q(cosigned_at__isnull=True, cosigned_by__isnull=True)
                | Q(
                    cosigned_at__isnull=False,
                    cosigned_by__isnull=False,
                    cosign_required=True,
                    status="signed",
                ),
            ),
            models.CheckConstraint(
                name="notes_pending_needs_cosign",
                condition=~Q(status="pending_cosign") | Q(cosign_required=True, cosigned_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template_id.upper()} note {self.pk} ({self.status}) for client {self.client_id}"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_signed(self) -> bool:
        """Signed by its author (even if a co-sign is still pending): the content is fixed."""
        return self.signed_at is not None


class Addendum(models.Model):
    """A dated, attributed addition to a signed note. The original is never touched."""

    note = models.ForeignKey(ProgressNote, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    content_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ("created_at", "pk")
        verbose_name_plural = "addenda"

    def __str__(self) -> str:
        return f"Addendum {self.pk} to note {self.note_id}"


class PsychotherapyNote(models.Model):
    """The author's private process note (45 CFR 164.501), separate from the progress note."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(
        "care.CareSession", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # The body, encrypted at rest (kapstone.notes.sealing): AES-256-GCM under a per-note data key,
    # which is wrapped by the key-encryption key ``key_id`` kept outside the database. Read it with
    # ``kapstone.notes.psychvault.read_body``; there is no plaintext column.
    key_id = models.CharField(max_length=40)
    wrapped_key = models.BinaryField()
    ciphertext = models.BinaryField()

    class Meta:
        ordering = ("-created_at", "-pk")
        indexes: ClassVar = [
            models.Index(fields=["author", "client", "created_at"], name="psychnote_author_client"),
            models.Index(fields=["key_id"], name="psychnote_key_id"),
        ]

    def __str__(self) -> str:
        return f"Psychotherapy note {self.pk}"


class PsychNoteGrant(models.Model):
    """An author lets one supervisor read their psychotherapy notes for training: one note, or all
    of them (``note`` empty). Revocable; never edited otherwise."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    granted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    supervisor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    note = models.ForeignKey(
        PsychotherapyNote, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=200, default=TRAINING_REASON)
    granted_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-granted_at", "-pk")
        constraints: ClassVar = [
            models.CheckConstraint(
                name="psychgrant_not_self", condition=~Q(granted_by=models.F("supervisor"))
            ),
            models.UniqueConstraint(
                fields=["granted_by", "supervisor", "note"],
                name="psychgrant_one_active_note",
                condition=Q(revoked_at__isnull=True, note__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["granted_by", "supervisor"],
                name="psychgrant_one_active_all",
                condition=Q(revoked_at__isnull=True, note__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"Grant {self.pk}: {self.granted_by_id} -> {self.supervisor_id}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class NoteReturn(models.Model):
    """A supervisor's comments on a trainee's note, instead of co-signing it yet.

    The signed note itself never changes (its triggers refuse it): the trainee answers by addendum,
    which marks the return answered, and the note stays in the co-sign queue until co-signed.
    """

    note = models.ForeignKey(ProgressNote, on_delete=models.PROTECT, related_name="returns")
    returned_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    returned_at = models.DateTimeField(default=timezone.now)
    comment = models.TextField()
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ("returned_at", "pk")
        indexes: ClassVar = [models.Index(fields=["note", "answered_at"], name="notes_return_open")]

    def __str__(self) -> str:
        return f"Return of note {self.note_id} by {self.returned_by_id}"

    @property
    def is_open(self) -> bool:
        return self.answered_at is None
