"""Peer support: spaces (per organization or per cohort), topics, posts, flags and moderation."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from kapstone.accounts.models import Organization


class Space(models.Model):
    class Kind(models.TextChoices):
        ORGANIZATION = "organization", "Everyone in the organization"
        COHORT = "cohort", "A cohort (members only)"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="spaces")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.ORGANIZATION)
    name = models.CharField(max_length=120)
    description = models.CharField(max_length=500, blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class Topic(models.Model):
    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="topics")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    locked = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    subscribers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")

    class Meta:
        indexes: ClassVar = [models.Index(fields=["space", "created_at"], name="topic_space_created")]

    def __str__(self) -> str:
        return self.title


class Post(models.Model):
    class Status(models.TextChoices):
        PUBLISHED = "published", "Published"
        HELD = "held", "Held for your review"
        HIDDEN = "hidden", "Hidden"

    class Hidden(models.TextChoices):
        NONE = "", "—"
        CLIENT_INFO = "client_info", "Flagged as containing client information"
        FLAGS = "flags", "Hidden after several flags"
        MODERATOR = "moderator", "Hidden by a moderator"

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(max_length=20_000, help_text="Markdown, as the author wrote it.")
    html = models.TextField(help_text="Rendered with raw HTML disabled, then sanitised.")
    status = models.CharField(max_length=12, choices=Status.choices)
    hidden_reason = models.CharField(max_length=20, choices=Hidden.choices, blank=True)
    # What the de-identification screen found (spans as dicts) and the engine's version.
    findings = models.JSONField(default=list, blank=True)
    screen_version = models.CharField(max_length=40, blank=True)
    reviewed_by_author = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["topic", "created_at"], name="post_topic_created")]

    def __str__(self) -> str:
        return f"Post {self.pk} by {self.author_id} ({self.status})"


class Flag(models.Model):
    class Reason(models.TextChoices):
        CLIENT_INFO = "client_info", "Contains client information"
        DISRESPECTFUL = "disrespectful", "Disrespectful or harassing"
        SPAM = "spam", "Spam or advertising"
        OTHER = "other", "Something else"

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="flags")
    flagger = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["post", "flagger"], name="flag_once_per_person")
        ]

    def __str__(self) -> str:
        return f"Flag {self.reason} on post {self.post_id}"


class ModerationAction(models.Model):
    """Every moderator action (and every automatic hide), kept as a log."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, null=True, blank=True, related_name="actions")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, null=True, blank=True, related_name="actions")
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=20)  # hide, restore, lock, unlock, auto_hide
    reason = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.action} by {self.moderator_id or 'system'}"


class DigestMark(models.Model):
    """When a person's last forum digest was sent: the next one covers what came after."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Digest of user {self.user_id} at {self.sent_at:%Y-%m-%d %H:%M}"


class PostAttachment(models.Model):
    """A PDF or image on a post, from a member at trust level 1 or more; checked by content."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=120)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    data = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.filename
