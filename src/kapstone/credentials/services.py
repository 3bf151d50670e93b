"""Issuing certificates and changing their status. One transaction each, audited; a refusal says
why and writes nothing."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from kapstone.access.policy import allows
from kapstone.access.scoping import scoped_get
from kapstone.accounts.models import Organization, User
from kapstone.audit.services import record
from kapstone.core.actor import Actor
from kapstone.core.contract import NotYours, Refused
from kapstone.credentials import keys
from kapstone.credentials.models import Credential
from kapstone.credentials.vc import integrity, openbadge, statuslist
from kapstone.practicum.core import Status, hours, shipped_sets
from kapstone.practicum.models import KIND_LABELS
from kapstone.practicum.selectors import check_trainee, program_of, supervised_ids

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud, typed from paper


def new_code() -> str:
    body = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"KAP-{body[:4]}-{body[4:]}"


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def status_list_url(organization_slug: str) -> str:
    return f"{keys.site_url()}/credentials/status/{organization_slug}/"


def verify_url(code: str) -> str:
    return f"{keys.site_url()}/verify/{code}/"


def _set_for(organization_id: int, set_id: str) -> Any:
    program = program_of(organization_id)
    chosen = set_id or program.certificate_set or (program.enabled_sets[0] if program.enabled_sets else "")
    if chosen not in program.enabled_sets or chosen not in shipped_sets():
        raise Refused("That requirement set is not enabled for this program.", field="set_id")
    return shipped_sets().get(chosen)


@transaction.atomic
def credential_issue(actor: Actor, *, trainee_id: int, set_id: str = "") -> Credential:
    """A supervisor signs off a trainee who meets every requirement of the set: the credential is
    built, signed with the organization's key, and given a random place on the status list."""
    if not allows(actor, "credential.issue") or actor.organization is None or actor.user_id is None:
        record(actor, "credential.issue", outcome="denied")
        raise NotYours
    trainee = scoped_get(
        actor,
        User.objects.filter(pk__in=supervised_ids(actor)),
        trainee_id,
        action="credential.issue",
        object_type="trainee",
        audit_read=False,
    )
    if trainee.pk == actor.user_id:
        raise Refused("Nobody signs off their own certificate.")
    organization = actor.organization
    req_set = _set_for(organization.pk, set_id)
    _, reports, view = check_trainee(trainee, organization.pk)
    report = next(r for r in reports if r.set_id == req_set.id)
    unmet = [v for v in report.verdicts if v.status is not Status.MET]
    if unmet:
        detail = "; ".join(f"{v.title}: {v.message}" for v in unmet[:5])
        record(
            actor,
            "credential.issue",
            outcome="denied",
            object_type="trainee",
            object_id=trainee.pk,
            detail={"set": req_set.id, "unmet": len(unmet)},
        )
        raise Refused(f"Not every requirement of {req_set.title} is met ({len(unmet)} open): {detail}")
    live = Credential.objects.filter(
        organization=organization, holder=trainee, set_id=req_set.id, set_version=req_set.version
    ).exclude(status=Credential.Status.REVOKED)
    if live.exists():
        raise Refused(
            f"{trainee.full_name} already holds a certificate for {req_set.title} {req_set.version}."
        )
    key = keys.active_key(organization)
    used = Credential.objects.filter(organization=organization).values_list("status_index", flat=True)
    index = statuslist.random_index(used)
    code = new_code()
    while Credential.objects.filter(code=code).exists():
        code = new_code()
    now = timezone.now()
    totals = {KIND_LABELS[k]: round(v["counted"] / 60, 2) for k, v in view.totals.items() if v["counted"]}
    title = program_of(organization.pk).certificate_title or req_set.title
    award = openbadge.Award(
        credential_id=f"urn:uuid:{uuid.uuid4()}",
        issuer_did=keys.instance_did(),
        issuer_name=organization.name,
        issuer_url=f"{keys.site_url()}/",
        holder_name=trainee.full_name or trainee.email,
        holder_email=trainee.email,
        achievement_id=f"{keys.site_url()}/credentials/achievements/{req_set.id}/{req_set.version}/",
        title=title,
        description=req_set.summary,
        criteria=f"Every requirement of {req_set.title} (version {req_set.version}) met on the practicum "
        "ledger, and a supervisor's sign-off.",
        set_id=req_set.id,
        set_version=req_set.version,
        set_title=req_set.title,
        totals=totals,
        requirements_met=len(report.verdicts),
        valid_from=iso(now),
        verify_url=verify_url(code),
        status=statuslist.entry(list_url=status_list_url(organization.slug), index=index),
        code=code,
    )
    document = integrity.sign(
        openbadge.build(award),
        keys.private_key(key),
        verification_method=keys.verification_method(key),
        created=iso(now),
    )
    credential = Credential.objects.create(
        organization=organization,
        holder=trainee,
        issued_by_id=actor.user_id,
        key=key,
        code=code,
        title=title,
        set_id=req_set.id,
        set_version=req_set.version,
        issued_at=now,
        status_index=index,
        document=document,
    )
    record(
        actor,
        "credential.issue",
        object_type="credential",
        object_id=credential.pk,
        detail={
            "code": code,
            "set": req_set.id,
            "version": req_set.version,
            "holder": trainee.pk,
            "totals_minutes": {k: v["counted"] for k, v in view.totals.items()},
        },
    )
    return credential


def credential_get(actor: Actor, code: str, *, action: str) -> Credential:
    """A credential of the actor's organization they may manage, or their own; else an audited 404."""
    scoped = Credential.objects.filter(organization_id=actor.organization_id or -1)
    if not allows(actor, "credential.manage"):
        scoped = scoped.filter(holder_id=actor.user_id or -1)
    found = scoped.filter(code=code).values_list("pk", flat=True).first()
    return scoped_get(
        actor, scoped, found if found is not None else code, action=action, object_type="credential"
    )


@transaction.atomic
def credential_set_status(actor: Actor, *, code: str, status: str, reason: str) -> Credential:
    """Suspend, reinstate or revoke. Revoking is final; the document itself never changes."""
    if not allows(actor, "credential.manage"):
        record(actor, "credential.manage", outcome="denied")
        raise NotYours
    credential = credential_get(actor, code, action="credential.manage")
    if status not in Credential.Status.values:
        raise Refused("Choose valid, suspended or revoked.", field="status")
    if credential.status == Credential.Status.REVOKED:
        raise Refused("This certificate is revoked; revoking is final. Issue a new one if it was a mistake.")
    if status == credential.status:
        raise Refused(
            f"The certificate is already {credential.get_status_display().lower()}.", field="status"
        )
    reason = reason.strip()
    if status != Credential.Status.VALID and not reason:
        raise Refused("Give the reason; it is kept in the audit log.", field="reason")
    previous = credential.status
    credential.status = status
    credential.status_changed_at = timezone.now()
    credential.status_reason = reason[:300]
    credential.save(update_fields=["status", "status_changed_at", "status_reason"])
    record(
        actor,
        f"credential.{status}",
        object_type="credential",
        object_id=credential.pk,
        detail={"code": credential.code, "from": previous, "reason": reason[:300]},
    )
    return credential


STATUS_VALUES: dict[str, int] = {"suspended": statuslist.SUSPENDED, "revoked": statuslist.REVOKED}


def status_list_document(organization_id: int, organization_slug: str) -> dict[str, Any]:
    """The organization's status list credential, signed now with its active key."""

    organization = Organization.objects.get(pk=organization_id)
    statuses = {
        index: STATUS_VALUES[status]
        for index, status in Credential.objects.filter(organization_id=organization_id)
        .exclude(status=Credential.Status.VALID)
        .values_list("status_index", "status")
    }
    key = keys.active_key(organization)
    now = iso(timezone.now())
    unsigned = statuslist.list_credential(
        list_url=status_list_url(organization_slug),
        issuer={"id": keys.instance_did()},
        encoded_list=statuslist.encode(statuses),
        valid_from=now,
    )
    return integrity.sign(
        unsigned, keys.private_key(key), verification_method=keys.verification_method(key), created=now
    )


def hours_text(minutes: int) -> str:
    return hours(minutes)
