"""Screening reads: the clinic's active rule set and settings, evaluations and clearances.

Client-scoped reads take a ``Client`` already fetched through ``clients.selectors.client_get``
(the one road to a client, audited there); evaluations are looked up *within* that client, so an
evaluation id from another client is the same 404.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.http import Http404

from kapstone.access.scoping import scoped_get
from kapstone.audit.models import Outcome
from kapstone.audit.services import record
from kapstone.clients.models import Client
from kapstone.core.actor import Actor
from kapstone.screening.models import Clearance, RuleSetVersion, ScreeningEvaluation, ScreeningSettings
from kapstone.screening.ruleset import DEFAULT_RULESET, RuleSet, default_ruleset, loads_ruleset

SHIPPED = "shipped default"


@dataclass(frozen=True)
class ActiveRuleSet:
    """The rule set a clinic screens with now: its own active version, or the shipped default."""

    ruleset: RuleSet
    row: RuleSetVersion | None
    sha256: str
    text: str

    @property
    def label(self) -> str:
        return f"{self.ruleset.id} {self.ruleset.version}"

    @property
    def is_shipped_default(self) -> bool:
        return self.row is None


@functools.cache
def _default_text() -> tuple[str, str]:
    text = DEFAULT_RULESET.read_text(encoding="utf-8")
    return text, hashlib.sha256(text.encode("utf-8")).hexdigest()


@functools.lru_cache(maxsize=32)
def _parsed(sha256: str, text: str, source: str) -> RuleSet:
    return loads_ruleset(text, source)


def parse_stored(row: RuleSetVersion) -> RuleSet:
    """A stored version's rule set (validated when it was saved; parsed once per process)."""
    return _parsed(row.sha256, row.toml_text, f"rule set {row.ruleset_id} {row.version}")


def shipped_ruleset() -> ActiveRuleSet:
    text, sha = _default_text()
    return ActiveRuleSet(default_ruleset(), None, sha, text)


def active_ruleset(organization_id: int | None) -> ActiveRuleSet:
    """The organization's active rule set (the shipped default when it has none)."""
    row = (
        RuleSetVersion.objects.filter(organization_id=organization_id, is_active=True).first()
        if organization_id is not None
        else None
    )
    if row is None:
        return shipped_ruleset()
    return ActiveRuleSet(parse_stored(row), row, row.sha256, row.toml_text)


def ruleset_versions(organization_id: int | None) -> list[RuleSetVersion]:
    if organization_id is None:
        return []
    return list(
        RuleSetVersion.objects.filter(organization_id=organization_id)
        .select_related("created_by")
        .order_by("-created_at", "-pk")
    )


def ruleset_version_get(actor: Actor, pk: int) -> RuleSetVersion:
    """A stored rule-set version of the actor's organization; another's is the same audited 404."""
    org_id = actor.organization_id
    rows = RuleSetVersion.objects
    scoped = rows.filter(organization_id=org_id) if org_id is not None else rows.none()
    return scoped_get(
        actor, scoped, pk, action="ruleset.view", object_type="ruleset_version", audit_read=False
    )


# --- settings -----------------------------------------------------------------------------------------


def screening_settings(organization_id: int | None) -> ScreeningSettings | None:
    if organization_id is None:
        return None
    return ScreeningSettings.objects.filter(organization_id=organization_id).first()


def setting_overrides(organization_id: int | None) -> dict[str, object]:
    row = screening_settings(organization_id)
    return dict(row.overrides) if row is not None else {}


def clearance_valid_days(organization_id: int | None) -> int:
    """How long a medical clearance stays current: the clinic's setting, else the deployment's."""
    row = screening_settings(organization_id)
    if row is not None and row.clearance_valid_days:
        return row.clearance_valid_days
    return int(settings.KAPSTONE_CLEARANCE_VALID_DAYS)


def measure_max_age_days(organization_id: int | None) -> int:
    """How old a PHQ-9 or C-SSRS result may be and still count as a screening fact."""
    row = screening_settings(organization_id)
    if row is not None and row.measure_max_age_days:
        return row.measure_max_age_days
    return int(settings.KAPSTONE_SCREENING_MEASURE_MAX_AGE_DAYS)


# --- evaluations and clearances ------------------------------------------------------------------------


def evaluations_for(client: Client) -> list[ScreeningEvaluation]:
    return list(
        ScreeningEvaluation.objects.filter(client=client)
        .select_related("created_by", "submitted_by", "clearance", "clearance__prescriber")
        .order_by("-created_at", "-pk")[:50]
    )


def evaluation_get(actor: Actor, client: Client, pk: int | str, *, action: str) -> ScreeningEvaluation:
    """One evaluation of this client (already scoped); audited; 404 when it is not this client's."""
    evaluation = (
        ScreeningEvaluation.objects.filter(client=client, pk=int(pk) if str(pk).isdigit() else -1)
        .select_related("created_by", "submitted_by", "clinic_ruleset")
        .first()
    )
    if evaluation is None:
        record(
            actor,
            action,
            outcome=Outcome.DENIED,
            object_type="screening",
            object_id=str(pk)[:64],
            client_id=client.pk,
        )
        raise Http404
    record(actor, action, object_type="screening", object_id=evaluation.pk, client_id=client.pk)
    return evaluation


def latest_submitted(client: Client) -> ScreeningEvaluation | None:
    """The newest submitted, not superseded screening of the client."""
    return (
        ScreeningEvaluation.objects.filter(
            organization_id=client.organization_id,
            client=client,
            status=ScreeningEvaluation.Status.SUBMITTED,
            superseded_at__isnull=True,
        )
        .select_related("submitted_by")
        .order_by("-submitted_at", "-pk")
        .first()
    )


def latest_clearance(client: Client) -> Clearance | None:
    """The newest prescriber decision for the client (current or not: readiness says why)."""
    return (
        Clearance.objects.filter(organization_id=client.organization_id, client=client)
        .select_related("prescriber", "evaluation")
        .order_by("-decided_at", "-pk")
        .first()
    )


def clearance_of(evaluation: ScreeningEvaluation) -> Clearance | None:
    try:
        return evaluation.clearance
    except Clearance.DoesNotExist:
        return None
