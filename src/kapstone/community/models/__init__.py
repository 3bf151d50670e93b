"""Models of the community app, one module per part."""

from kapstone.community.models.directory import Listing, Referral
from kapstone.community.models.workshops import CalendarFeed, Registration, Workshop

__all__ = ["CalendarFeed", "Listing", "Referral", "Registration", "Workshop"]
