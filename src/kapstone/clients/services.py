"""Client record writes. One transaction each, audited inside it."""

from __future__ import annotations

import datetime as dt
from typing import TypedDict, Unpack

from django.core.exceptions import ValidationError
from django.db import transaction

from kapstone.access.policy import Scope, scope_for
from kapstone.access.scoping import deny
from kapstone.accounts.models import Membership, Role, User
from kapstone.audit.services import record
from kapstone.clients.models import CareTeamMember, Client
from kapstone.core.actor import Actor
from kapstone.core.contract import Stale

EDITABLE_FIELDS = (
    "given_name", "family_name", "preferred_name", "pronouns", "date_of_birth", "email", "phone",
)  # fmt: skip


class ClientFields(TypedDict, total=False):
    """The record's editable fields, as keyword arguments: a create names what it knows, an edit
    what it changes."""

    given_name: str
    family_name: str
    preferred_name: str
    pronouns: str
    date_of_birth: dt.date | None
    email: str
    phone: str


TEAM_ROLE_FOR: dict[str, str] = {Role.THERAPIST: "therapist", Role.PRESCRIBER: "prescriber",
                                 Role.SUPERVISOR: "supervisor", Role.TRAINEE: "trainee"}  # fmt: skip


def client_create(actor: Actor, **fields: Unpack[ClientFields]) -> Client:
    if scope_for(actor, "client.create") is Scope.NONE or actor.organization is None or actor.user is None:
        raise deny(actor, "client.create", object_type="client")
    client = Client(organization=actor.organization, **fields)
    client.full_clean()
    with transaction.atomic():
        client.save()
        for role in sorted(actor.roles):
            if role in TEAM_ROLE_FOR:
                CareTeamMember.objects.create(client=client, user=actor.user, team_role=TEAM_ROLE_FOR[role])
        record(actor, "client.create", object_type="client", object_id=client.pk, client_id=client.pk)
    return client


def client_update(
    actor: Actor, client: Client, *, expected_version: int, **fields: Unpack[ClientFields]
) -> Client:
    """Apply an edit read at ``expected_version``; refuse with ``Stale`` (the stored record in
    ``current``) if someone saved in between."""
    # Compare with the stored row, not the caller's instance: a bound ModelForm has already written the
    # new values into that instance, which would make every edit look like "no change".
    candidate = Client.objects.get(pk=client.pk)
    changes = {k: v for k, v in fields.items() if v != getattr(candidate, k)}
    for name, value in changes.items():
        setattr(candidate, name, value)
    candidate.full_clean()  # a fetched row, so uniqueness checks exclude itself
    with transaction.atomic():
        updated = Client.objects.filter(pk=client.pk, version=expected_version).update(
            **changes, version=expected_version + 1
        )
        if not updated:
            current = Client.objects.get(pk=client.pk)
            raise Stale(
                current_version=current.version,
                submitted_version=expected_version,
                current=current,
                message="This record was changed by someone else since you opened it.",
            )
        record(
            actor,
            "client.edit",
            object_type="client",
            object_id=client.pk,
            client_id=client.pk,
            detail={"fields": sorted(changes)},
        )
    client.refresh_from_db()
    return client


def care_team_add(
    actor: Actor, client: Client, user: User, team_role: str, *, supervisor: User | None = None
) -> CareTeamMember:
    if team_role not in CareTeamMember.TeamRole.values:
        raise ValidationError({"team_role": f"Unknown care-team role {team_role!r}."})
    members = Membership.objects.filter(organization_id=client.organization_id, is_active=True)
    if not members.filter(user=user).exists():
        raise ValidationError({"user": "Only active members of this organization can join a care team."})
    if supervisor is not None and team_role != CareTeamMember.TeamRole.TRAINEE:
        raise ValidationError({"supervisor": "Only a trainee has a supervisor on the team."})
    if supervisor is not None and not members.filter(user=supervisor, role=Role.SUPERVISOR).exists():
        raise ValidationError({"supervisor": "Choose a supervisor of this organization."})
    with transaction.atomic():
        member, _ = CareTeamMember.objects.get_or_create(client=client, user=user, team_role=team_role)
        if supervisor is not None and member.supervisor_id != supervisor.pk:
            member.supervisor = supervisor
            member.save(update_fields=["supervisor"])
        record(
            actor,
            "careteam.add",
            object_type="care_team_member",
            object_id=member.pk,
            client_id=client.pk,
            detail={
                "user": user.email,
                "team_role": team_role,
                "supervisor": supervisor.email if supervisor else None,
            },
        )
    return member
