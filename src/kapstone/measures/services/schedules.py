"""Measure schedules: every N days, or before integration / after dosing as the care module reports
its sessions."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from kapstone.audit.services import record
from kapstone.clients.models import Client
from kapstone.core.actor import Actor
from kapstone.measures.models import (
    MeasureSchedule,
)

from ._common import installed_instrument, require


def schedule_create(
    actor: Actor,
    client: Client,
    instrument_id: str,
    *,
    kind: str,
    interval_days: int | None = None,
    first_due_at: datetime | None = None,
) -> MeasureSchedule:
    require(actor, "measure.assign", client)
    instrument = installed_instrument(instrument_id)
    if kind not in MeasureSchedule.Kind.values:
        raise ValidationError({"kind": [f"Unknown schedule kind {kind!r}."]})
    if kind == MeasureSchedule.Kind.INTERVAL:
        if not interval_days or interval_days < 1 or interval_days > 366:
            raise ValidationError({"interval_days": ["Give the number of days between measures (1 to 366)."]})
        next_due = first_due_at or timezone.now()
    else:
        interval_days = None
        next_due = None  # set by schedule_event when the care module reports the session
    if MeasureSchedule.objects.filter(
        client=client, instrument_id=instrument.id, kind=kind, active=True
    ).exists():
        raise ValidationError(
            {"kind": [f"{instrument.short_title} already has an active schedule of this kind."]}
        )
    with transaction.atomic():
        schedule = MeasureSchedule.objects.create(
            organization_id=client.organization_id,
            client=client,
            instrument_id=instrument.id,
            kind=kind,
            interval_days=interval_days,
            next_due_at=next_due,
            created_by=actor.user,
        )
        record(
            actor,
            "measure.schedule",
            object_type="measure_schedule",
            object_id=schedule.pk,
            client_id=client.pk,
            detail={"instrument": instrument.id, "kind": kind, "interval_days": interval_days},
        )
    return schedule


def schedule_stop(actor: Actor, schedule: MeasureSchedule) -> None:
    require(actor, "measure.assign", schedule.client)
    with transaction.atomic():
        MeasureSchedule.objects.filter(pk=schedule.pk).update(active=False)
        record(
            actor,
            "measure.schedule_stop",
            object_type="measure_schedule",
            object_id=schedule.pk,
            client_id=schedule.client_id,
            detail={"instrument": schedule.instrument_id, "kind": schedule.kind},
        )


def schedule_event(actor: Actor, client: Client, event: str, at: datetime) -> int:
    """The care module reports a session event (``before_integration`` / ``after_dosing``): every
    active schedule of that kind for the client becomes due at ``at``. Returns how many.

    Called by trusted services that already hold the client through a selector.
    """
    if event not in (MeasureSchedule.Kind.BEFORE_INTEGRATION, MeasureSchedule.Kind.AFTER_DOSING):
        raise ValueError(f"unknown schedule event {event!r}")
    if actor.organization_id is not None and actor.organization_id != client.organization_id:
        raise PermissionDenied("schedule_event")
    with transaction.atomic():
        count = MeasureSchedule.objects.filter(client=client, kind=event, active=True).update(next_due_at=at)
        record(
            actor,
            "measure.schedule_event",
            object_type="client",
            object_id=client.pk,
            client_id=client.pk,
            detail={"event": event, "at": at.isoformat(), "schedules": count},
        )
    return count
