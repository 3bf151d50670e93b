"""Models of the community app, one module per part."""

from kapstone.community.models.directory import Listing, Referral
from kapstone.community.models.forum import (
    DigestMark,
    Flag,
    ModerationAction,
    Post,
    PostAttachment,
    Space,
    Topic,
)
from kapstone.community.models.library import Resource, ResourceFile
from kapstone.community.models.mentorship import (
    MentorProfile,
    Mentorship,
    MentorshipMeeting,
    MentorshipRequest,
)
from kapstone.community.models.workshops import CalendarFeed, Registration, Workshop

__all__ = [
    "CalendarFeed",
    "DigestMark",
    "Flag",
    "Listing",
    "MentorProfile",
    "Mentorship",
    "MentorshipMeeting",
    "MentorshipRequest",
    "ModerationAction",
    "Post",
    "PostAttachment",
    "Referral",
    "Registration",
    "Resource",
    "ResourceFile",
    "Space",
    "Topic",
    "Workshop",
]
