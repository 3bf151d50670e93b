"""Protocol versions: installing the shipped templates and saving a prescriber's edit."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from kapstone.access.policy import allows
from kapstone.audit.services import record
from kapstone.care import catalog
from kapstone.care.models import (
    ProtocolVersion,
)
from kapstone.care.protocol_core import (
    Protocol,
    ProtocolError,
)
from kapstone.care.services._common import (
    _user,
)
from kapstone.core.actor import Actor

if TYPE_CHECKING:
    from kapstone.accounts.models import Organization

# --------------------------------------------------------------------------------------------------
# Protocols
# --------------------------------------------------------------------------------------------------


def protocols_install_shipped(actor: Actor, organization: Organization) -> list[ProtocolVersion]:
    """Make every shipped template available to the organization (idempotent)."""
    installed: list[ProtocolVersion] = []
    with transaction.atomic():
        for protocol, text in catalog.shipped_templates():
            pv, created = ProtocolVersion.objects.get_or_create(
                organization=organization,
                protocol_id=protocol.id,
                version=protocol.version,
                defaults={
                    "title": protocol.title,
                    "route": protocol.route,
                    "product": protocol.product,
                    "origin": ProtocolVersion.Origin.SHIPPED,
                    "text": text,
                    "sha256": catalog.sha256(text),
                    "note": "Shipped template.",
                },
            )
            if created:
                record(
                    actor,
                    "protocol.install",
                    object_type="protocolversion",
                    object_id=pv.pk,
                    detail={"protocol": pv.protocol_id, "version": pv.version, "sha256": pv.sha256},
                )
            installed.append(pv)
    return installed


def _ceiling_detail(protocol: Protocol) -> dict[str, float]:
    assert protocol.ceiling is not None
    return {v.field.rsplit(".", 1)[-1]: float(v.value) for v in protocol.ceiling.limits()}


def _ceiling_raised(protocol: Protocol, existing: Iterable[ProtocolVersion]) -> list[str]:
    """The ceiling limits this version raises above the highest installed version of the same id."""
    latest = max(existing, key=lambda pv: catalog.version_key_of(pv.version), default=None)
    if latest is None:
        return []
    try:
        before = catalog.parse_stored(latest.text, f"protocol {latest.protocol_id} {latest.version}")
    except ProtocolError:
        return []
    if before.ceiling is None:
        return []
    old = _ceiling_detail(before)
    return sorted(key for key, value in _ceiling_detail(protocol).items() if value > old.get(key, value))


def protocol_version_create(
    actor: Actor, organization: Organization, text: str, *, note: str, based_on: ProtocolVersion | None = None
) -> ProtocolVersion:
    """A prescriber saves a protocol: a new version of one (same id, higher version than every
    installed version of that id) or a new protocol (a new id, e.g. copied from a template, recorded
    in ``based_on``). The pure core validates the text exactly as it does a shipped file."""
    if not allows(actor, "protocol.edit") or actor.organization_id != organization.pk:
        raise PermissionDenied("protocol.edit")
    if not note.strip():
        raise ValidationError({"note": "Say what changed and why (the record keeps it)."})
    try:
        protocol = catalog.parse_new(text, "the protocol text")
    except ProtocolError as exc:
        where = f"line {exc.line}: " if exc.line else ""
        where += f"{exc.field}: " if exc.field else ""
        raise ValidationError({"text": f"{where}{exc.detail}"}) from exc
    if protocol.ceiling is None:
        raise ValidationError(
            {"text": "ceiling: every protocol needs a [ceiling] table (absolute maximum per dose and per "
             "session, in mg and mg/kg, and max_fold_of_previous_dose); see the shipped templates."}
        )  # fmt: skip
    existing = ProtocolVersion.objects.filter(organization=organization, protocol_id=protocol.id)
    for other in existing:
        if not catalog.is_higher(protocol.version, other.version):
            raise ValidationError(
                {"text": f"version: {protocol.version} is not above the installed {other.version}."}
            )
    with transaction.atomic():
        pv = ProtocolVersion.objects.create(
            organization=organization,
            protocol_id=protocol.id,
            version=protocol.version,
            title=protocol.title,
            route=protocol.route,
            product=protocol.product,
            origin=ProtocolVersion.Origin.EDITED,
            text=text,
            sha256=catalog.sha256(text),
            based_on=based_on,
            note=note.strip(),
            created_by=_user(actor),
        )
        record(
            actor,
            "protocol.edit",
            object_type="protocolversion",
            object_id=pv.pk,
            detail={
                "protocol": pv.protocol_id,
                "version": pv.version,
                "sha256": pv.sha256,
                "ceiling": _ceiling_detail(protocol),
                "ceiling_raised": _ceiling_raised(protocol, existing),
            },
        )
    return pv
