"""Models of the community app, one module per part."""

from kapstone.community.models.directory import Listing, Referral

__all__ = ["Listing", "Referral"]
