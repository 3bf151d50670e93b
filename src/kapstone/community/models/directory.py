"""The referral directory: opted-in listings and member-to-member referrals."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from kapstone.accounts.models import Organization
from kapstone.community.vocab import LISTING_KINDS, decode_set


class Listing(models.Model):
    """One practitioner, prescriber, clinic or program in the directory.

    Shown publicly only while ``opted_in``. A credential is shown as verified only from the
    platform: a licence the organization admin attested (``licence_attested_*``), or a Kapstone
    certificate read from the registered credential sources at view time. Nothing typed into the
    listing itself is ever shown as verified.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="listings")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="listing"
    )
    kind = models.CharField(max_length=20, choices=LISTING_KINDS)
    display_name = models.CharField(max_length=160)
    credentials_text = models.CharField(
        max_length=160, blank=True, help_text="Degrees as the person writes them."
    )
    bio = models.TextField(blank=True, max_length=2000)
    city = models.CharField(max_length=80, blank=True)
    state = models.CharField(max_length=2)
    zip3 = models.CharField(max_length=3, blank=True)
    telehealth = models.BooleanField(default=False)
    accepting = models.BooleanField(default=True)
    sliding_scale = models.BooleanField(default=False)
    insurance = models.CharField(max_length=200, blank=True)
    # Sets of codes stored as |a|b| (kapstone.community.vocab.encode_set).
    routes = models.CharField(max_length=120, blank=True)
    modalities = models.CharField(max_length=200, blank=True)
    languages = models.CharField(max_length=200, blank=True)
    # Lower-cased name, city, bio and credentials: what ``q`` searches.
    search_text = models.TextField(blank=True, editable=False)
    # A Kapstone certificate the listing names; accepted only when a credential source says the
    # person holds it, and shown as verified only while its status is still "active".
    certificate_title = models.CharField(max_length=200, blank=True)
    licence_type = models.CharField(max_length=60, blank=True)
    licence_number = models.CharField(max_length=40, blank=True)
    licence_state = models.CharField(max_length=2, blank=True)
    licence_attested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    licence_attested_at = models.DateTimeField(null=True, blank=True)
    opted_in = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        indexes: ClassVar = [
            # The public search: opted-in rows by state, the filter nearly every search carries.
            models.Index(
                fields=["state", "display_name"],
                name="listing_public_state",
                condition=models.Q(opted_in=True),
            ),
            models.Index(
                fields=["display_name"], name="listing_public_name", condition=models.Q(opted_in=True)
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def route_codes(self) -> list[str]:
        return decode_set(self.routes)

    @property
    def modality_codes(self) -> list[str]:
        return decode_set(self.modalities)

    @property
    def language_list(self) -> list[str]:
        return decode_set(self.languages)

    @property
    def licence_attested(self) -> bool:
        return self.licence_attested_at is not None


class Referral(models.Model):
    """A client referred from one member to another, carrying only the elements the client
    consented to share (``consent_elements``); the snapshot holds exactly those values."""

    class Status(models.TextChoices):
        SENT = "sent", "Waiting for an answer"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"

    from_organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    from_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The sender's own record of whom it was about; never shown to the receiver.
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    to_listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="referrals")
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    consent_elements = models.JSONField(default=list)
    consent_channel = models.CharField(max_length=20)
    consent_recorded_at = models.DateTimeField()
    shared = models.JSONField(default=dict, help_text="Only the consented elements' values.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SENT)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["to_user", "status"], name="referral_inbox"),
            models.Index(fields=["from_user", "created_at"], name="referral_sent"),
        ]

    def __str__(self) -> str:
        return f"Referral {self.pk} ({self.status})"
