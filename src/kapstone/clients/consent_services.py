"""Consent writes: sign (portal or in person), withdraw, and the clinic's template versions.

One transaction each, audited inside it. Signing replaces any open consent of the client (the new
one holds the client's current choices); a new template version makes every consent signed under an
older one no longer current, so the client is asked to renew.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from kapstone.access.policy import Scope, scope_for
from kapstone.access.scoping import deny
from kapstone.accounts.models import User
from kapstone.audit.services import record
from kapstone.clients.consent.template import (
    ConsentTemplateError,
    default_consent_template,
    loads_consent_template,
)
from kapstone.clients.consent_selectors import current_template
from kapstone.clients.models import Client, ConsentRecord, ConsentTemplate
from kapstone.core.actor import Actor

NAME_MAX = 200
OPT_IN_FIELDS = ("touch", "recording", "observers", "at_home", "research")


CONSENT_ANSWERS = (
    "signed_name", "understood", "touch", "touch_scope", "touch_stop_signal", "recording", "observers",
    "observer_names", "at_home", "chaperone_name", "research",
)  # fmt: skip


def _text(value: object) -> str:
    return str(value or "").strip()


def _names(value: object) -> list[str]:
    if isinstance(value, str):
        value = value.splitlines()
    names: list[str] = []
    for raw in value or []:  # type: ignore[attr-defined]
        name = str(raw).strip()
        if name and name.casefold() not in {n.casefold() for n in names}:
            names.append(name[:NAME_MAX])
    return names


def consent_sign(
    actor: Actor,
    client: Client,
    *,
    channel: str,
    template_key: tuple[str, int],
    witnessed_by: User | None = None,
    signed_name: str = "",
    understood: bool = False,
    touch: bool = False,
    touch_scope: str = "",
    touch_stop_signal: str = "",
    recording: bool = False,
    observers: bool = False,
    observer_names: str | Sequence[str] = (),
    at_home: bool = False,
    chaperone_name: str = "",
    research: bool = False,
) -> ConsentRecord:
    """Record a signature on the clinic's current template. ``template_key`` is the (id, version)
    the signer was shown: if the template changed meanwhile, nothing is signed. The answers come as
    keywords (``CONSENT_ANSWERS`` names them); ``observer_names`` is a list or one name a line."""
    if channel not in ConsentRecord.Channel.values:
        raise ValueError(channel)
    if channel == ConsentRecord.Channel.IN_PERSON and scope_for(actor, "consent.manage") is Scope.NONE:
        raise deny(actor, "consent.manage", object_type="consent", client_id=client.pk)
    if channel == ConsentRecord.Channel.PORTAL and (
        actor.user is None or client.portal_user_id != actor.user.pk
    ):
        raise deny(actor, "consent.sign", object_type="consent", client_id=client.pk)
    if actor.user is None:
        raise deny(actor, "consent.sign", object_type="consent", client_id=client.pk)
    signer = actor.user
    template = current_template(client.organization_id)
    if template.key != tuple(template_key):
        raise ValidationError(
            f"The consent form changed to {template.label} while it was open; please read the new version."
        )
    errors: dict[str, list[str]] = {}

    def need(condition: bool, field: str, message: str) -> None:
        if not condition:
            errors.setdefault(field, []).append(message)

    signed_name = _text(signed_name)
    need(bool(understood), "understood", "Confirm that you have read and understood the form.")
    need(len(signed_name) >= 2, "signed_name", "Type your full name to sign.")
    need(len(signed_name) <= NAME_MAX, "signed_name", f"At most {NAME_MAX} characters.")
    touch, observers, at_home = bool(touch), bool(observers), bool(at_home)
    scope, stop = _text(touch_scope), _text(touch_stop_signal)
    if touch:
        need(bool(scope), "touch_scope", "Describe where and how supportive touch may be used.")
        need(bool(stop), "touch_stop_signal", "Describe the signal that means 'stop touching me'.")
    names = _names(observer_names)
    if observers:
        need(bool(names), "observer_names", "Name each observer or trainee who may be present.")
    chaperone = _text(chaperone_name)
    if at_home:
        need(bool(chaperone), "chaperone_name", "Name the chaperone who will be with you at home.")
    if channel == ConsentRecord.Channel.IN_PERSON:
        need(witnessed_by is not None, "witnessed_by", "The staff member who witnessed the signature.")
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    with transaction.atomic():
        replaced = ConsentRecord.objects.filter(
            client=client, withdrawn_at__isnull=True, superseded_at__isnull=True
        ).update(superseded_at=now)
        consent = ConsentRecord.objects.create(
            organization_id=client.organization_id,
            client=client,
            clinic_template=template.row,
            template_id=template.doc.id,
            template_version=template.doc.version,
            template_sha256=template.doc.sha256,
            template_snapshot=template.doc.snapshot(),
            signed_name=signed_name,
            signed_at=now,
            source_ip=actor.source_ip,
            channel=channel,
            recorded_by=signer,
            witnessed_by=witnessed_by,
            touch=touch,
            touch_scope=scope if touch else "",
            touch_stop_signal=stop if touch else "",
            recording=bool(recording),
            observers=observers,
            observer_names=names if observers else [],
            at_home=at_home,
            chaperone_name=chaperone if at_home else "",
            research=bool(research),
        )
        record(
            actor,
            "consent.sign",
            object_type="consent",
            object_id=consent.pk,
            client_id=client.pk,
            detail={
                "template": template.label,
                "channel": channel,
                "replaced": replaced,
                "opt_ins": {k: getattr(consent, k) for k in OPT_IN_FIELDS},
            },
        )
    return consent


def consent_withdraw(actor: Actor, consent: ConsentRecord, *, reason: str, channel: str) -> ConsentRecord:
    """Withdraw a consent (the client in the portal, or staff on the client's word)."""
    if channel == ConsentRecord.Channel.PORTAL:
        if actor.user is None or consent.client.portal_user_id != actor.user.pk:
            raise deny(actor, "consent.withdraw", object_type="consent", object_id=consent.pk,
                       client_id=consent.client_id)  # fmt: skip
    elif scope_for(actor, "consent.manage") is Scope.NONE:
        raise deny(actor, "consent.manage", object_type="consent", object_id=consent.pk,
                   client_id=consent.client_id)  # fmt: skip
    reason = reason.strip()
    if channel == ConsentRecord.Channel.IN_PERSON and not reason:
        raise ValidationError({"reason": "Record how the client withdrew (for example 'told me by phone')."})
    with transaction.atomic():
        updated = ConsentRecord.objects.filter(pk=consent.pk, withdrawn_at__isnull=True).update(
            withdrawn_at=timezone.now(),
            withdrawn_by=actor.user,
            withdrawal_reason=reason[:2000],
            withdrawal_channel=channel,
        )
        if not updated:
            raise ValidationError("This consent was already withdrawn.")
        record(
            actor,
            "consent.withdraw",
            object_type="consent",
            object_id=consent.pk,
            client_id=consent.client_id,
            detail={"channel": channel, "template": f"{consent.template_id} v{consent.template_version}"},
        )
    consent.refresh_from_db()
    return consent


# --- The clinic's template ------------------------------------------------------------------------


def consent_template_save(actor: Actor, text: str, *, note: str = "") -> ConsentTemplate:
    """Parse a template edit and make it the clinic's active version. A template that does not load
    is refused (its line named) and the previous version stays active."""
    org_id = actor.organization_id
    if scope_for(actor, "consent.template.edit") is Scope.NONE or org_id is None or actor.user is None:
        raise deny(actor, "consent.template.edit", object_type="consent_template")
    editor = actor.user
    try:
        doc = loads_consent_template(text, "consent template")
    except ConsentTemplateError as exc:
        raise ValidationError({"text": str(exc)}) from exc
    current = current_template(org_id)
    if doc.sha256 == current.doc.sha256:
        raise ValidationError({"text": "Nothing changed: this is the template already in use."})
    used = set(
        ConsentTemplate.objects.filter(organization_id=org_id, template_id=doc.id).values_list(
            "version", flat=True
        )
    )
    shipped = default_consent_template()
    if shipped.id == doc.id:
        used.add(shipped.version)
    if used and doc.version <= max(used):
        raise ValidationError(
            {"text": f"version: {doc.id} version {doc.version} is already used; raise it to {max(used) + 1}."}
        )
    now = timezone.now()
    with transaction.atomic():
        previous = ConsentTemplate.objects.filter(organization_id=org_id, is_active=True)
        previous_label = current.label
        previous.update(is_active=False)
        row = ConsentTemplate.objects.create(
            organization_id=org_id,
            template_id=doc.id,
            version=doc.version,
            title=doc.title,
            text=text,
            sha256=doc.sha256,
            note=note.strip(),
            created_by=editor,
            created_at=now,
            is_active=True,
            activated_at=now,
        )
        record(
            actor,
            "consent.template.activate",
            object_type="consent_template",
            object_id=row.pk,
            detail={"template": doc.label, "previous": previous_label, "sha256": doc.sha256},
        )
    return row
