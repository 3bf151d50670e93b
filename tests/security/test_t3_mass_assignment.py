"""T3 (security.md section 7): privileged fields posted into write forms and the JSON API, and
forbidden state transitions. Each attempt is a real request over the URL conf; "accepted" means the
stored state changed in the attacker's favour, read back from the database after the request.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from kapstone.accounts.models import Membership
from kapstone.clients.models import CareTeamMember, Client
from kapstone.core.actor import Actor
from kapstone.notes.models import ProgressNote
from kapstone.notes.services import draft_create

pytestmark = pytest.mark.django_db

SECTIONS = {"section_data": "edited", "section_assessment": "a", "section_plan": "p"}


def _draft(world: Any, name: str, role: str) -> ProgressNote:
    actor = Actor(user=world.users[name], organization=world.org_a, roles=frozenset({role}))
    return draft_create(actor, world.clients["rowan"], "dap", sections={"data": "d"})


def test_t3_privileged_fields_and_forbidden_transitions_are_never_accepted(world, as_user, battery):
    rowan, harper, users = world.clients["rowan"], world.clients["harper"], world.users
    accepted: dict[str, bool] = {}

    # Client edit: organization (a move across organizations), primary key, portal login, record dates.
    theo = as_user("theo")
    theo.post(
        reverse("clients:edit", kwargs={"pk": rowan.pk}),
        {"given_name": "Rowan", "family_name": "Fictional", "preferred_name": "Ro", "version": rowan.version,
         "organization": world.org_b.pk, "organization_id": world.org_b.pk, "id": 9999,
         "portal_user": users["olive"].pk, "created_at": "2001-01-01"},
    )  # fmt: skip
    stored = Client.objects.get(pk=rowan.pk)
    took_effect = {"client edit": stored.preferred_name == "Ro"}
    accepted["client.organization"] = stored.organization_id != world.org_a.pk
    accepted["client.id"] = Client.objects.filter(pk=9999).exists()
    accepted["client.portal_user"] = stored.portal_user_id != users["rowan_portal"].pk
    accepted["client.created_at"] = stored.created_at.year == 2001 if hasattr(stored, "created_at") else False
    as_user("olive").post(
        reverse("clients:edit", kwargs={"pk": rowan.pk}),
        {"given_name": "Taken", "family_name": "Over", "version": stored.version},
    )
    accepted["client edited from another organization"] = (
        Client.objects.get(pk=rowan.pk).given_name == "Taken"
    )

    # Care team: a person of another organization joined to the team.
    as_user("avery").post(
        reverse("clients:care_team", kwargs={"pk": rowan.pk}),
        {"user": users["olive"].pk, "team_role": "therapist"},
    )
    accepted["care team across organizations"] = (
        CareTeamMember.objects.filter(user=users["olive"]).count() > 1
    )

    # A new note: author, status, signing time, another client, another organization.
    theo.post(
        reverse("notes:create", kwargs={"pk": rowan.pk}),
        {"template": "dap", "author": users["tamsin"].pk, "status": "signed", "signed_at": "2020-01-01",
         "client": harper.pk, "organization": world.org_b.pk},
    )  # fmt: skip
    created = ProgressNote.objects.filter(client=rowan).latest("pk")
    accepted["note.author (create)"] = created.author_id != users["theo"].pk
    accepted["note.status (create)"] = created.status != "draft" or created.signed_at is not None
    accepted["note.client (create)"] = ProgressNote.objects.filter(client=harper).exists()
    accepted["note.organization (create)"] = ProgressNote.objects.filter(organization=world.org_b).exists()

    # Editing a draft: the same fields, plus the hash and the co-sign flag.
    note = _draft(world, "theo", "therapist")
    theo.post(
        reverse("notes:edit", kwargs={"pk": note.pk}),
        {"version": note.version, "action": "save", **SECTIONS, "author": users["tamsin"].pk,
         "status": "signed", "signed_at": "2020-01-01", "client": harper.pk, "content_hash": "0" * 64,
         "signed_by": users["sam"].pk},
    )  # fmt: skip
    note.refresh_from_db()
    took_effect["note edit"] = note.sections.get("data") == "edited"
    accepted["note.author (edit)"] = note.author_id != users["theo"].pk
    accepted["note.status/signed_at (edit)"] = note.status != "draft" or note.signed_at is not None
    accepted["note.client (edit)"] = note.client_id != rowan.pk
    accepted["note.content_hash (edit)"] = note.content_hash == "0" * 64

    # Forbidden transitions: a trainee signs their own note as final; non-authors sign a draft.
    toby_note = _draft(world, "toby", "trainee")
    as_user("toby").post(
        reverse("notes:edit", kwargs={"pk": toby_note.pk}),
        {"version": toby_note.version, "action": "sign", **SECTIONS, "status": "signed",
         "cosign_required": "", "cosigned_by": users["sam"].pk},
    )  # fmt: skip
    toby_note.refresh_from_db()
    took_effect["trainee's sign"] = toby_note.status == "pending_cosign"
    accepted["trainee signs own note as final"] = (
        toby_note.status == "signed" or not toby_note.cosign_required
    )
    for name in ("priya", "sam", "tamsin"):
        as_user(name).post(reverse("notes:sign", kwargs={"pk": note.pk}), {"version": note.version})
        as_user(name).post(
            reverse("api:note_sign", kwargs={"note_id": note.pk}), HTTP_IF_MATCH=f'"{note.version}"'
        )
        note.refresh_from_db()
        accepted[f"non-author ({name}) signs a draft"] = note.status != "draft"

    # The JSON API: privileged fields in a new note's body.
    before = ProgressNote.objects.count()
    theo.post(
        reverse("api:client_notes", kwargs={"client_id": rowan.pk}),
        {"template": "dap", "author": users["tamsin"].pk, "status": "signed", "organization": world.org_b.pk},
        content_type="application/json",
    )
    extra = ProgressNote.objects.order_by("-pk")[: ProgressNote.objects.count() - before]
    accepted["API note.author/status/organization"] = any(
        n.author_id != users["theo"].pk or n.status != "draft" or n.organization_id != world.org_a.pk
        for n in extra
    )

    # Member page: role, staff and superuser flags, organization through the activation form.
    membership = Membership.objects.get(user=users["theo"])
    as_user("avery").post(
        reverse("accounts:member_set_active", kwargs={"pk": membership.pk}),
        {"active": "1", "role": "org_admin", "is_staff": "1", "is_superuser": "1",
         "organization": world.org_b.pk, "user": users["avery"].pk},
    )  # fmt: skip
    membership.refresh_from_db()
    theo_user = type(users["theo"]).objects.get(pk=users["theo"].pk)
    accepted["member.role"] = membership.role != "therapist"
    accepted["member.organization"] = membership.organization_id != world.org_a.pk
    accepted["member.user"] = membership.user_id != users["theo"].pk
    accepted["user.is_staff"] = bool(getattr(theo_user, "is_staff", False))
    accepted["user.is_superuser"] = bool(getattr(theo_user, "is_superuser", False))

    battery("T3", f"privileged fields/transitions tried: {len(accepted)}; accepted: {sum(accepted.values())}")
    assert [name for name, ok in accepted.items() if ok] == []
    assert took_effect == dict.fromkeys(took_effect, True)  # the legitimate part of each request went through
