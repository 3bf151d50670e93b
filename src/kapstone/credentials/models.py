"""Issued certificates and the organizations' signing keys.

A credential's signed document is stored exactly as issued (and never changed): its status lives
in the ``status`` column and reaches verifiers through the organization's Bitstring Status List,
where the credential holds a random index. Private keys are not in the database: they are files in
the instance's private storage (``kapstone.credentials.keys``); the database keeps the public half,
and a retired key stays listed in the DID document so what it signed still verifies.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from kapstone.accounts.models import Organization

User = settings.AUTH_USER_MODEL


class IssuerKey(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    fragment = models.CharField(
        max_length=80, unique=True, help_text="The DID URL fragment: did:web:HOST#fragment."
    )
    public_multibase = models.CharField(max_length=80)
    created_at = models.DateTimeField(default=timezone.now)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("organization", "created_at", "pk")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(retired_at__isnull=True),
                name="credentials_one_active_key",
            )
        ]

    def __str__(self) -> str:
        return f"Signing key {self.fragment}"


class Credential(models.Model):
    class Status(models.TextChoices):
        VALID = "valid", "Valid"
        SUSPENDED = "suspended", "Suspended"
        REVOKED = "revoked", "Revoked"

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    holder = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    issued_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    key = models.ForeignKey(IssuerKey, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=20, unique=True)
    title = models.CharField(max_length=200)
    set_id = models.CharField(max_length=80)
    set_version = models.CharField(max_length=20)
    issued_at = models.DateTimeField(default=timezone.now)
    status_index = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.VALID)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_reason = models.CharField(max_length=300, blank=True)
    document = models.JSONField(help_text="The signed credential, exactly as issued.")

    class Meta:
        ordering = ("-issued_at", "-pk")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organization", "status_index"], name="credentials_one_index"),
            models.UniqueConstraint(
                fields=["organization", "holder", "set_id", "set_version"],
                condition=~Q(status="revoked"),
                name="credentials_one_live_per_set",
            ),
        ]

    def __str__(self) -> str:
        return f"Credential {self.code} ({self.status})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).values_list("document", flat=True).first()
            if stored is not None and stored != self.document:
                raise ValueError("an issued credential's document never changes")
        super().save(*args, **kwargs)
