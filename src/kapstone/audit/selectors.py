"""Reading the audit log: an org admin sees their own organization's events, filtered and sortable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import QuerySet

from kapstone.audit.models import AuditEvent
from kapstone.core.actor import Actor

# Sort keys are allow-listed: request text never reaches order_by (security.md T19).
SORTS = {
    "newest": ("-at", "-id"),
    "oldest": ("at", "id"),
    "action": ("action", "-id"),
    "actor": ("actor_email", "-id"),
}


@dataclass(frozen=True)
class AuditFilter:
    date_from: date | None = None
    date_to: date | None = None
    actor_email: str = ""
    action: str = ""
    outcome: str = ""
    client_id: int | None = None
    sort: str = "newest"


def audit_events(actor: Actor, flt: AuditFilter) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.filter(organization_id=actor.organization_id)
    if flt.date_from:
        qs = qs.filter(at__gte=datetime.combine(flt.date_from, time.min, tzinfo=UTC))
    if flt.date_to:
        qs = qs.filter(at__lt=datetime.combine(flt.date_to + timedelta(days=1), time.min, tzinfo=UTC))
    if flt.actor_email:
        qs = qs.filter(actor_email__icontains=flt.actor_email)
    if flt.action:
        qs = qs.filter(action__startswith=flt.action)
    if flt.outcome:
        qs = qs.filter(outcome=flt.outcome)
    if flt.client_id is not None:
        qs = qs.filter(client_id=flt.client_id)
    return qs.order_by(*SORTS.get(flt.sort, SORTS["newest"]))
