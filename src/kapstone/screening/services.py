"""Screening writes: run and submit a screening, the prescriber's clearance decision, and the clinic's
rule set and settings. One transaction each, the audit row inside it."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from kapstone.access.policy import Scope, scope_for
from kapstone.access.scoping import deny
from kapstone.accounts.models import User
from kapstone.audit.services import record
from kapstone.clients.models import CareTeamMember, Client
from kapstone.core.actor import Actor
from kapstone.screening import selectors
from kapstone.screening.client_facts import changed_facts, facts_and_sources
from kapstone.screening.engine import CONTRAINDICATED_OUTCOME, FLAGGED, INSUFFICIENT, evaluate
from kapstone.screening.facts import FactsError
from kapstone.screening.models import Clearance, RuleSetVersion, ScreeningEvaluation, ScreeningSettings
from kapstone.screening.ruleset import (
    PRESCRIBER_JUDGEMENT,
    RuleSet,
    RuleSetError,
    SettingsError,
    loads_ruleset,
)

OVERRIDE_MIN = 10  # characters: a documented reason, not "ok"
DAYS_MAX = 730


def _require(actor: Actor, action: str) -> tuple[User, int]:
    """The acting person and their organization, when the policy gives them any scope for ``action``."""
    if scope_for(actor, action) is Scope.NONE or actor.user is None or actor.organization_id is None:
        raise deny(actor, action)
    return actor.user, actor.organization_id


def _cited_sources(ruleset: RuleSet) -> dict[str, dict[str, object]]:
    keys = {key for rule in ruleset.rules for key in rule.source}
    return {
        key: {"citation": s.citation, "grade": s.grade, "url": s.url, "note": s.note}
        for key, s in ruleset.sources.items()
        if key in keys
    }


# --- Screening ---------------------------------------------------------------------------------------


def screening_run(actor: Actor, client: Client) -> ScreeningEvaluation:
    """Evaluate the client's facts now against the clinic's active rule set; store it as a draft."""
    user, _ = _require(actor, "screening.submit")
    active = selectors.active_ruleset(client.organization_id)
    overrides = selectors.setting_overrides(client.organization_id)
    facts, sources = facts_and_sources(client)
    try:
        result = evaluate(active.ruleset, facts, overrides)
    except FactsError as exc:
        raise ValidationError([e.message for e in exc.errors]) from exc
    except SettingsError as exc:
        raise ValidationError([f"Clinic screening settings: {e.message}" for e in exc.errors]) from exc
    now = timezone.now()
    with transaction.atomic():
        ScreeningEvaluation.objects.filter(
            client=client, status=ScreeningEvaluation.Status.DRAFT, superseded_at__isnull=True
        ).update(superseded_at=now, superseded_reason="a newer screening was run")
        evaluation = ScreeningEvaluation.objects.create(
            organization_id=client.organization_id,
            client=client,
            clinic_ruleset=active.row,
            ruleset_id=active.ruleset.id,
            ruleset_version=active.ruleset.version,
            ruleset_sha256=active.sha256,
            settings_used=dict(result.settings),
            settings_overridden=list(result.settings_overridden),
            facts=facts,
            fact_sources=sources,
            sources=_cited_sources(active.ruleset),
            result=result.to_dict(),
            outcome=result.outcome,
            created_by=user,
            created_at=now,
        )
        record(
            actor,
            "screening.run",
            object_type="screening",
            object_id=evaluation.pk,
            client_id=client.pk,
            detail={"ruleset": active.label, "outcome": result.outcome},
        )
    return evaluation


def screening_submit(actor: Actor, evaluation: ScreeningEvaluation, *, note: str = "") -> ScreeningEvaluation:
    """Send a draft screening to the prescriber. Refused when the facts or the rule set changed since
    it was run (run it again), so the prescriber always decides on what is true now."""
    user, _ = _require(actor, "screening.submit")
    if evaluation.status != ScreeningEvaluation.Status.DRAFT or evaluation.superseded_at is not None:
        raise ValidationError("Only the latest draft screening can be submitted; run the screening again.")
    client = evaluation.client
    facts, _ = facts_and_sources(client)
    changed = changed_facts(evaluation.facts, facts)
    if changed:
        raise ValidationError(
            f"The facts changed since this screening was run ({', '.join(changed)}); run the screening again."
        )
    active = selectors.active_ruleset(client.organization_id)
    if active.sha256 != evaluation.ruleset_sha256:
        raise ValidationError(
            f"The clinic's rule set changed to {active.label} since this screening was run; run it again."
        )
    now = timezone.now()
    with transaction.atomic():
        updated = ScreeningEvaluation.objects.filter(
            pk=evaluation.pk, status=ScreeningEvaluation.Status.DRAFT, superseded_at__isnull=True
        ).update(
            status=ScreeningEvaluation.Status.SUBMITTED,
            submitted_by=user,
            submitted_at=now,
            submission_note=note.strip()[:4000],
        )
        if not updated:
            raise ValidationError("This screening was already submitted or replaced.")
        ScreeningEvaluation.objects.filter(
            client=client,
            status=ScreeningEvaluation.Status.SUBMITTED,
            superseded_at__isnull=True,
            clearance__isnull=True,
        ).exclude(pk=evaluation.pk).update(
            superseded_at=now, superseded_reason="a newer screening was submitted"
        )
        record(
            actor,
            "screening.submit",
            object_type="screening",
            object_id=evaluation.pk,
            client_id=client.pk,
            detail={"outcome": evaluation.outcome, "ruleset": evaluation.ruleset_label},
        )
    evaluation.refresh_from_db()
    return evaluation


# --- Medical clearance -----------------------------------------------------------------------------


def flagged_judgement_rules(evaluation: ScreeningEvaluation) -> list[dict[str, Any]]:
    return [
        r
        for r in evaluation.result.get("rules", [])
        if r.get("level") == PRESCRIBER_JUDGEMENT and r.get("outcome") == FLAGGED
    ]


def is_team_prescriber(actor: Actor, client: Client) -> bool:
    return (
        scope_for(actor, "clearance.decide") is not Scope.NONE
        and CareTeamMember.objects.filter(
            client=client, user_id=actor.user_id or -1, team_role=CareTeamMember.TeamRole.PRESCRIBER
        ).exists()
    )


def clearance_decide(
    actor: Actor,
    evaluation: ScreeningEvaluation,
    *,
    decision: str,
    note: str,
    conditions: str = "",
    override_reason: str = "",
    attestations: Mapping[str, str] | None = None,
) -> Clearance:
    """The prescriber's decision on a submitted screening: cleared, cleared with conditions, or
    declined, with a note. Clearing a contraindicated screening needs a documented override reason;
    every flagged prescriber-judgement rule needs an attestation; an incomplete screening cannot be
    cleared (complete the intake and screen again)."""
    client = evaluation.client
    if not is_team_prescriber(actor, client) or actor.user is None:
        raise PermissionError("clearance.decide")
    user = actor.user
    if evaluation.status != ScreeningEvaluation.Status.SUBMITTED or evaluation.superseded_at is not None:
        raise ValidationError("This screening is not awaiting a decision (it was replaced or not submitted).")
    if Clearance.objects.filter(evaluation=evaluation).exists():
        raise ValidationError("A decision on this screening is already recorded.")
    decision = str(decision or "")
    note = str(note or "").strip()
    conditions = str(conditions or "").strip()
    override = str(override_reason or "").strip()
    attested = {str(k): str(v or "").strip() for k, v in dict(attestations or {}).items()}
    errors: dict[str, list[str]] = {}

    def need(condition: bool, field: str, message: str) -> None:
        if not condition:
            errors.setdefault(field, []).append(message)

    need(
        decision in Clearance.Decision.values,
        "decision",
        "Choose cleared, cleared with conditions, or declined.",
    )
    need(bool(note), "note", "Write a note for the care team.")
    clears = decision in (Clearance.Decision.CLEARED, Clearance.Decision.CLEARED_WITH_CONDITIONS)
    if decision == Clearance.Decision.CLEARED_WITH_CONDITIONS:
        need(bool(conditions), "conditions", "State the conditions.")
    attests: dict[str, dict[str, object]] = {}
    if clears:
        if evaluation.outcome == INSUFFICIENT or evaluation.result.get("missing_facts"):
            # Also with a contraindication: a missing fact may hide another one.
            missing = ", ".join(evaluation.result.get("missing_facts", []))
            need(
                False,
                "decision",
                f"The screening is incomplete (insufficient information: {missing}); it cannot "
                "be cleared. Decline, or ask for the intake to be completed and screened again.",
            )
        if evaluation.outcome == CONTRAINDICATED_OUTCOME:
            need(
                len(override) >= OVERRIDE_MIN,
                "override_reason",
                "The screening is contraindicated: document the reason for overriding it "
                f"(at least {OVERRIDE_MIN} characters).",
            )
        for rule in flagged_judgement_rules(evaluation):
            rule_id = str(rule["id"])
            if rule_id in attested:
                attests[rule_id] = {"attested": True, "note": attested[rule_id]}
            else:
                need(False, f"attest_{rule_id}", f"Attest that you weighed '{rule['title']}'.")
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    days = selectors.clearance_valid_days(client.organization_id) if clears else None
    with transaction.atomic():
        Clearance.objects.filter(client=client, superseded_at__isnull=True).update(
            superseded_at=now, superseded_reason=f"replaced by the decision on screening {evaluation.pk}"
        )
        clearance = Clearance.objects.create(
            organization_id=client.organization_id,
            client=client,
            evaluation=evaluation,
            prescriber=user,
            decision=decision,
            conditions=conditions if decision == Clearance.Decision.CLEARED_WITH_CONDITIONS else "",
            note=note,
            override_reason=override if clears and evaluation.outcome == CONTRAINDICATED_OUTCOME else "",
            attestations=attests,
            decided_at=now,
            valid_days=days,
            expires_at=now + dt.timedelta(days=days) if days else None,
        )
        record(
            actor,
            "clearance.decide",
            object_type="clearance",
            object_id=clearance.pk,
            client_id=client.pk,
            detail={
                "decision": decision,
                "screening": evaluation.pk,
                "outcome": evaluation.outcome,
                "override": bool(clearance.override_reason),
                "attested": sorted(attests),
                "expires_at": clearance.expires_at.isoformat() if clearance.expires_at else None,
            },
        )
    return clearance


# --- The clinic's rule set and settings -------------------------------------------------------------------


def _check_overrides(ruleset: RuleSet, overrides: Mapping[str, object], field: str = "toml_text") -> None:
    try:
        ruleset.resolve_settings(overrides)
    except SettingsError as exc:
        raise ValidationError(
            {
                field: [
                    f"The clinic overrides a setting this rule set cannot take: {e.message}"
                    for e in exc.errors
                ]
            }
        ) from exc


def ruleset_save(actor: Actor, text: str, *, note: str = "") -> RuleSetVersion:
    """Parse an edited rule set and make it the clinic's active version. An unparseable edit is
    refused with its line (or rule) named, and the previous version stays active."""
    user, org_id = _require(actor, "ruleset.edit")
    try:
        ruleset = loads_ruleset(text, "rule set text")
    except RuleSetError as exc:
        raise ValidationError({"toml_text": str(exc)}) from exc
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    active = selectors.active_ruleset(org_id)
    if sha == active.sha256:
        raise ValidationError({"toml_text": "Nothing changed: this is the rule set already in use."})
    shipped = selectors.shipped_ruleset().ruleset
    taken = RuleSetVersion.objects.filter(
        organization_id=org_id, ruleset_id=ruleset.id, version=ruleset.version
    )
    if taken.exists() or (ruleset.id, ruleset.version) == (shipped.id, shipped.version):
        raise ValidationError(
            {
                "toml_text": f"version: {ruleset.id} {ruleset.version} is already used for other "
                "rules; raise the version for every change."
            }
        )
    _check_overrides(ruleset, selectors.setting_overrides(org_id))
    now = timezone.now()
    with transaction.atomic():
        RuleSetVersion.objects.filter(organization_id=org_id, is_active=True).update(is_active=False)
        row = RuleSetVersion.objects.create(
            organization_id=org_id,
            ruleset_id=ruleset.id,
            version=ruleset.version,
            title=ruleset.title,
            toml_text=text,
            sha256=sha,
            note=note.strip(),
            created_by=user,
            created_at=now,
            is_active=True,
            activated_at=now,
        )
        record(
            actor,
            "ruleset.activate",
            object_type="ruleset",
            object_id=row.pk,
            detail={"ruleset": f"{row.ruleset_id} {row.version}", "previous": active.label, "sha256": sha},
        )
    return row


def ruleset_activate(actor: Actor, row: RuleSetVersion | None) -> None:
    """Make an earlier version (or, with ``None``, the shipped default) the active rule set again."""
    user, org_id = _require(actor, "ruleset.edit")
    if row is not None and row.organization_id != org_id:
        raise deny(actor, "ruleset.edit", object_type="ruleset_version", object_id=row.pk)
    target = selectors.parse_stored(row) if row is not None else selectors.shipped_ruleset().ruleset
    _check_overrides(target, selectors.setting_overrides(org_id), field="__all__")
    previous = selectors.active_ruleset(org_id)
    with transaction.atomic():
        RuleSetVersion.objects.filter(organization_id=org_id, is_active=True).update(is_active=False)
        if row is not None:
            RuleSetVersion.objects.filter(pk=row.pk).update(is_active=True, activated_at=timezone.now())
        record(
            actor,
            "ruleset.activate",
            object_type="ruleset",
            object_id=row.pk if row else "",
            detail={
                "ruleset": f"{target.id} {target.version}",
                "previous": previous.label,
                "shipped_default": row is None,
            },
        )


def screening_settings_save(
    actor: Actor,
    *,
    overrides: Mapping[str, object],
    clearance_valid_days: int | None,
    measure_max_age_days: int | None,
    expected_version: int,
) -> ScreeningSettings:
    """The clinic's overrides of the active rule set's settings, and its validity periods."""
    user, org_id = _require(actor, "ruleset.edit")
    active = selectors.active_ruleset(org_id)
    errors: dict[str, list[str]] = {}
    try:
        active.ruleset.resolve_settings(overrides)
    except SettingsError as exc:
        for e in exc.errors:
            errors.setdefault(e.field.replace("settings.", "setting_", 1), []).append(e.message)
    for name, value in (
        ("clearance_valid_days", clearance_valid_days),
        ("measure_max_age_days", measure_max_age_days),
    ):
        if value is not None and not 1 <= value <= DAYS_MAX:
            errors.setdefault(name, []).append(f"Between 1 and {DAYS_MAX} days (empty for the default).")
    if errors:
        raise ValidationError(errors)
    stored = ScreeningSettings.objects.filter(organization_id=org_id).first()
    if (stored.version if stored else 0) != expected_version:
        raise ValidationError(
            "These settings were changed by someone else since you opened them; reload the page."
        )
    values = {
        "overrides": dict(overrides),
        "clearance_valid_days": clearance_valid_days,
        "measure_max_age_days": measure_max_age_days,
    }
    now = timezone.now()
    with transaction.atomic():
        if stored is None:
            row = ScreeningSettings.objects.create(
                organization_id=org_id, version=1, updated_by=user, updated_at=now, **values
            )
        else:
            if not ScreeningSettings.objects.filter(pk=stored.pk, version=expected_version).update(
                version=expected_version + 1, updated_by=user, updated_at=now, **values
            ):
                raise ValidationError("These settings were changed by someone else since you opened them.")
            row = ScreeningSettings.objects.get(pk=stored.pk)
        record(
            actor,
            "ruleset.settings",
            object_type="screening_settings",
            object_id=row.pk,
            detail={**values, "ruleset": active.label},
        )
    return row
