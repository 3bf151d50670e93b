"""The resource library: documents and links, tagged, with an evidence level and a visibility.

A document's bytes live in the database (``ResourceFile``), so the platform's backup and restore
carry them with everything else and no media directory has to be configured or served.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from kapstone.accounts.models import Organization
from kapstone.community.vocab import decode_set

EVIDENCE_LEVELS = (
    ("guideline", "Clinical guideline or consensus statement"),
    ("systematic_review", "Systematic review / meta-analysis"),
    ("rct", "Randomised controlled trial"),
    ("observational", "Observational study"),
    ("case_series", "Case series or case report"),
    ("expert_opinion", "Expert opinion"),
    ("educational", "Educational material (not evidence)"),
)


class Resource(models.Model):
    class Kind(models.TextChoices):
        DOCUMENT = "document", "Document"
        LINK = "link", "Link"

    class Visibility(models.TextChoices):
        ORGANIZATION = "organization", "My organization"
        PUBLIC = "public", "Every Kapstone member"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="resources")
    shared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=4000)
    url = models.URLField(blank=True, max_length=500)
    tags = models.CharField(max_length=300, blank=True)  # |tag|tag|
    evidence_level = models.CharField(max_length=20, choices=EVIDENCE_LEVELS)
    visibility = models.CharField(max_length=12, choices=Visibility.choices, default=Visibility.ORGANIZATION)
    # For documents: what the content is (sniffed, never the name's word), its size and hash.
    content_type = models.CharField(max_length=40, blank=True)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    filename = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["organization", "created_at"], name="resource_org_created")]

    def __str__(self) -> str:
        return self.title

    @property
    def tag_list(self) -> list[str]:
        return decode_set(self.tags)


class ResourceFile(models.Model):
    resource = models.OneToOneField(Resource, on_delete=models.CASCADE, related_name="file", primary_key=True)
    data = models.BinaryField()

    def __str__(self) -> str:
        return f"File of resource {self.resource_id}"
