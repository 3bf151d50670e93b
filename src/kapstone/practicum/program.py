"""The program's practicum configuration, by its admin: which requirement sets trainees are checked
against, the values of the sets' settings (the numbers the sources disagree on), the set the
certificate is issued for, and who supervises whom until when. Services and reads; the page is in
``program_views``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.db import transaction

from kapstone.access.policy import allows
from kapstone.accounts.models import Membership, Role, User
from kapstone.audit.services import record
from kapstone.core.actor import Actor
from kapstone.core.contract import NotYours, Refused
from kapstone.practicum.core import RequirementSet, Setting, shipped_sets
from kapstone.practicum.models import Program, Supervision
from kapstone.practicum.selectors import program_of


def _org(actor: Actor, action: str) -> int:
    if not allows(actor, action) or actor.organization_id is None:
        record(actor, action, outcome="denied")
        raise NotYours
    return actor.organization_id


def settings_of(sets: list[RequirementSet]) -> list[tuple[RequirementSet, Setting]]:
    return [(s, setting) for s in sets for setting in s.settings]


def members(organization_id: int, role: str) -> list[User]:
    ids = Membership.objects.filter(organization_id=organization_id, role=role, is_active=True).values(
        "user_id"
    )
    return list(User.objects.filter(pk__in=ids).order_by("full_name", "pk"))


@transaction.atomic
def program_configure(
    actor: Actor,
    *,
    enabled_sets: list[str],
    certificate_set: str,
    certificate_title: str,
    values: Mapping[str, float | None],
) -> Program:
    org = _org(actor, "practicum.configure")
    known = shipped_sets()
    unknown = [ident for ident in enabled_sets if ident not in known]
    if unknown or not enabled_sets:
        raise Refused("Enable at least one of the installed requirement sets.", field="enabled_sets")
    if certificate_set and certificate_set not in enabled_sets:
        raise Refused(
            "The certificate's requirement set must be one of the enabled sets.", field="certificate_set"
        )
    declared = {setting.id for ident in enabled_sets for setting in known.get(ident).settings}
    chosen: dict[str, float] = {}
    for key, value in values.items():
        if key not in declared:
            raise Refused(f"{key} is not a setting of an enabled set.", field="")
        if value is not None:
            if value < 0:
                raise Refused("A setting cannot be negative.", field=f"setting_{key}")
            chosen[key] = float(value)
    program = Program.objects.filter(organization_id=org).first() or Program(organization_id=org)
    before = {
        "sets": program.enabled_sets,
        "settings": program.settings,
        "certificate": program.certificate_set,
    }
    program.enabled_sets = list(enabled_sets)
    program.settings = chosen
    program.certificate_set = certificate_set
    program.certificate_title = certificate_title.strip()[:200]
    program.save()
    record(
        actor,
        "practicum.program.configure",
        object_type="practicum_program",
        object_id=program.pk,
        detail={
            "before": before,
            "after": {"sets": enabled_sets, "settings": chosen, "certificate": certificate_set},
        },
    )
    return program


@transaction.atomic
def supervision_assign(
    actor: Actor, *, supervisor_id: int, trainee_id: int, starts_on: dt.date, ends_on: dt.date | None
) -> Supervision:
    org = _org(actor, "practicum.configure")
    if supervisor_id == trainee_id:
        raise Refused("Nobody supervises themselves.", field="trainee")
    if supervisor_id not in {u.pk for u in members(org, Role.SUPERVISOR)}:
        raise Refused("Choose a supervisor of this organization.", field="supervisor")
    if trainee_id not in {u.pk for u in members(org, Role.TRAINEE)}:
        raise Refused("Choose a trainee of this organization.", field="trainee")
    if ends_on is not None and ends_on <= starts_on:
        raise Refused("The cohort's end comes after its start.", field="ends_on")
    row, _ = Supervision.objects.update_or_create(
        organization_id=org,
        supervisor_id=supervisor_id,
        trainee_id=trainee_id,
        defaults={"starts_on": starts_on, "ends_on": ends_on, "active": True},
    )
    record(
        actor,
        "practicum.supervision.assign",
        object_type="supervision",
        object_id=row.pk,
        detail={"supervisor": supervisor_id, "trainee": trainee_id},
    )
    return row


@transaction.atomic
def supervision_end(actor: Actor, *, supervision_id: int) -> None:
    org = _org(actor, "practicum.configure")
    updated = Supervision.objects.filter(organization_id=org, pk=supervision_id, active=True).update(
        active=False
    )
    if not updated:
        record(
            actor,
            "practicum.supervision.end",
            outcome="denied",
            object_type="supervision",
            object_id=supervision_id,
        )
        raise NotYours
    record(actor, "practicum.supervision.end", object_type="supervision", object_id=supervision_id)


def program_page(organization_id: int) -> dict[str, object]:
    program = program_of(organization_id)
    sets = shipped_sets()
    enabled = [sets.get(i) for i in program.enabled_sets if i in sets]
    return {
        "program": program,
        "all_sets": [sets.get(i) for i in sets.ids()],
        "settings": [(s, setting, program.settings.get(setting.id)) for s, setting in settings_of(enabled)],
        "supervisions": list(
            Supervision.objects.filter(organization_id=organization_id)
            .select_related("supervisor", "trainee")
            .order_by("-active", "trainee__full_name")
        ),
        "supervisors": members(organization_id, Role.SUPERVISOR),
        "trainees": members(organization_id, Role.TRAINEE),
    }
