"""Consent reads: the template in force for a clinic, and a client's consent records."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404

from kapstone.audit.models import Outcome
from kapstone.audit.services import record
from kapstone.clients.consent.template import (
    ConsentTemplateDoc,
    default_consent_template,
    loads_consent_template,
)
from kapstone.clients.models import Client, ConsentRecord, ConsentTemplate
from kapstone.core.actor import Actor
from kapstone.core.memo import remember


@dataclass(frozen=True)
class CurrentTemplate:
    doc: ConsentTemplateDoc
    row: ConsentTemplate | None  # None: the shipped default

    @property
    def label(self) -> str:
        return self.doc.label

    @property
    def key(self) -> tuple[str, int]:
        return (self.doc.id, self.doc.version)


def parse_template_row(row: ConsentTemplate) -> ConsentTemplateDoc:
    return loads_consent_template(row.text, f"consent template {row.template_id} v{row.version}")


def current_template(organization_id: int | None) -> CurrentTemplate:
    row = (
        ConsentTemplate.objects.filter(organization_id=organization_id, is_active=True).first()
        if organization_id is not None
        else None
    )
    if row is None:
        return CurrentTemplate(default_consent_template(), None)
    return CurrentTemplate(parse_template_row(row), row)


def template_versions(organization_id: int | None) -> list[ConsentTemplate]:
    if organization_id is None:
        return []
    return list(
        ConsentTemplate.objects.filter(organization_id=organization_id)
        .select_related("created_by")
        .order_by("-created_at", "-pk")
    )


def consents_for(client: Client) -> list[ConsentRecord]:
    return list(
        ConsentRecord.objects.filter(organization_id=client.organization_id, client=client)
        .select_related("recorded_by", "witnessed_by", "withdrawn_by")
        .order_by("-signed_at", "-pk")
    )


def open_consent(client: Client) -> ConsentRecord | None:
    """The newest consent that is neither withdrawn nor replaced (it may be for an old template).

    Within one client header (``core.memo.shared_answers``) the touch fact and the dosing readiness
    both ask: read once."""
    return remember(
        ("open_consent", client.pk),
        lambda: (
            ConsentRecord.objects.filter(
                organization_id=client.organization_id,
                client=client,
                withdrawn_at__isnull=True,
                superseded_at__isnull=True,
            )
            .order_by("-signed_at", "-pk")
            .first()
        ),
    )


def latest_consent(client: Client) -> ConsentRecord | None:
    return (
        ConsentRecord.objects.filter(organization_id=client.organization_id, client=client)
        .order_by("-signed_at", "-pk")
        .first()
    )


def is_current(consent: ConsentRecord | None, template: CurrentTemplate) -> bool:
    return (
        consent is not None
        and consent.is_open
        and (consent.template_id, consent.template_version) == template.key
    )


def consent_get(actor: Actor, client: Client, pk: int | str, *, action: str) -> ConsentRecord:
    consent = ConsentRecord.objects.filter(client=client, pk=int(pk) if str(pk).isdigit() else -1).first()
    if consent is None:
        record(
            actor,
            action,
            outcome=Outcome.DENIED,
            object_type="consent",
            object_id=str(pk)[:64],
            client_id=client.pk,
        )
        raise Http404
    return consent
