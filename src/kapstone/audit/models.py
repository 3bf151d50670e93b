"""Append-only audit events with a hash chain.

Each row stores the SHA-256 of its own canonical content and of the previous row, so an edit or a
deletion made behind the application's back breaks the chain at that row (`kapstone audit verify`).
Database triggers (migration 0002) refuse UPDATE and DELETE as a second layer.

There is one chain per organization (``chain`` = the organization's id, 0 for events with none), so
app servers appending for different organizations never wait on each other. Rows written before
per-organization chains (migration 0003) keep ``chain`` NULL and form the legacy single chain.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone


class Outcome(models.TextChoices):
    SUCCESS = "success", "Success"
    DENIED = "denied", "Denied"
    FAILURE = "failure", "Failure"


class AuditEvent(models.Model):
    at = models.DateTimeField(default=timezone.now)
    actor_id = models.BigIntegerField(null=True)
    actor_email = models.CharField(max_length=254, blank=True)
    organization_id = models.BigIntegerField(null=True)
    role = models.CharField(max_length=60, blank=True)
    action = models.CharField(max_length=80)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    client_id = models.BigIntegerField(null=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.SUCCESS)
    request_id = models.CharField(max_length=64, blank=True)
    source_ip = models.GenericIPAddressField(null=True)
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # The chain this row links into: organization_id, or 0 without one; NULL = the legacy chain.
    chain = models.BigIntegerField(null=True)

    class Meta:
        ordering: ClassVar = ["id"]
        indexes: ClassVar = [
            models.Index(fields=["organization_id", "at"], name="audit_org_at"),
            models.Index(fields=["client_id", "at"], name="audit_client_at"),
            models.Index(fields=["actor_id", "at"], name="audit_actor_at"),
            models.Index(fields=["chain", "id"], name="audit_chain_id"),  # each chain's head
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.outcome}"
