"""Time settings: a person's own zone and clock, and their organization's (one service per action)."""

from __future__ import annotations

from django.db import transaction

from kapstone.accounts.models import Organization, User
from kapstone.audit.services import record
from kapstone.core.actor import Actor
from kapstone.core.contract import Refused


def preferences_set(actor: Actor, *, time_zone: str, clock: str) -> User:
    """The signed-in person's own time zone and clock; blank means "as my organization"."""
    user = actor.user
    if user is None:
        raise Refused("Sign in to change your time settings.")
    with transaction.atomic():
        before = {"time_zone": user.time_zone, "clock": user.clock}
        user.time_zone, user.clock = time_zone, clock
        user.full_clean(exclude=["password"])
        user.save(update_fields=["time_zone", "clock"])
        record(actor, "time_settings.edit", object_type="user", object_id=user.pk,
               detail={"before": before, "after": {"time_zone": time_zone, "clock": clock}})  # fmt: skip
    return user


def organization_time_set(actor: Actor, *, time_zone: str, clock: str) -> Organization:
    """The organization's zone and clock (the admin's: ``member.manage``; the view checks it)."""
    organization = actor.organization
    if organization is None:
        raise Refused("You are not acting for an organization.")
    with transaction.atomic():
        before = {"time_zone": organization.time_zone, "clock": organization.clock}
        organization.time_zone, organization.clock = time_zone, clock
        organization.full_clean()
        organization.save(update_fields=["time_zone", "clock"])
        record(actor, "organization.settings", object_type="organization", object_id=organization.pk,
               detail={"before": before, "after": {"time_zone": time_zone, "clock": clock}})  # fmt: skip
    return organization
