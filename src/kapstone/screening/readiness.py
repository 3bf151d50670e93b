"""Is this client ready for a dosing session? THE CONTRACT with the care (dosing-course) module.

    from kapstone.screening.readiness import dosing_readiness
    readiness = dosing_readiness(client, at=session_start)   # at defaults to now
    if not readiness.ready:
        refuse, showing readiness.missing (one human-readable line each)

The care module calls it before scheduling a dosing session (with ``at`` = the planned start, so a
clearance that will have expired by then counts as not current) and again before starting one.
``ready`` is true only when there is a current medical clearance (a prescriber cleared the latest
submitted screening, it has not expired, it was not superseded by an intake change, and the facts
it was given have not changed since) and a current KAP consent (signed for the clinic's current
template version and not withdrawn). ``touch_opt_in`` is the supportive-touch agreement to show in
the dosing room (never "yes" without a current consent).

Not audited itself (it reads only state the caller's own audited read of the client covers); the
client must already have come through ``clients.selectors.client_get``. The signature is stable.
It lives with screening (clearance is its knowledge); the record's own pages reach it through
``kapstone.clients.hooks.dosing_readiness``, registered in ``ScreeningConfig.ready``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from kapstone.clients.consent_selectors import current_template, latest_consent, open_consent
from kapstone.clients.models import CareTeamMember, Client, ConsentRecord, Intake
from kapstone.core.memo import remember
from kapstone.screening.client_facts import (
    MEASURE_FACTS,
    changed_facts,
    intake_document,
    latest_measure_facts,
)
from kapstone.screening.models import Clearance
from kapstone.screening.selectors import latest_clearance, latest_submitted


@dataclass(frozen=True)
class TouchOptIn:
    """Supportive touch, as agreed before dosing (clinical.md §5.4)."""

    consented: bool
    scope: str = ""
    stop_signal: str = ""

    @property
    def summary(self) -> str:
        if not self.consented:
            return "No supportive touch: the client has not agreed to it in a current consent."
        return f"Supportive touch agreed: {self.scope}. Stop signal: {self.stop_signal}."


@dataclass(frozen=True)
class Readiness:
    ready: bool
    missing: list[str]
    clearance: Clearance | None  # the current clearance (None when there is none)
    consent: ConsentRecord | None  # the current consent (None when there is none)
    touch_opt_in: TouchOptIn
    conditions: str = ""  # the prescriber's conditions, for the dosing team
    warnings: list[str] = field(default_factory=list)  # not blocking (e.g. a trainee without supervisor)
    checked_at: datetime | None = None


def _day(value: datetime) -> str:
    return timezone.localtime(value).date().isoformat()


def _clearance_problems(client: Client, at: datetime) -> tuple[list[str], Clearance | None]:
    clearance = latest_clearance(client)
    submitted = latest_submitted(client)
    pending = submitted is not None and (clearance is None or clearance.evaluation_id != submitted.pk)
    if clearance is None or clearance.superseded_at is not None:
        missing: list[str] = []
        if clearance is not None and clearance.superseded_at is not None and clearance.clears:
            missing.append(
                f"medical clearance re-required: {clearance.superseded_reason or 'superseded'} "
                f"({_day(clearance.superseded_at)})"
            )
        if pending:
            assert submitted is not None and submitted.submitted_at is not None
            missing.append(
                "medical clearance awaiting the prescriber's decision on the screening submitted "
                f"{_day(submitted.submitted_at)}"
            )
        elif not missing:
            if not Intake.objects.filter(client=client).exists():
                missing.append("intake not recorded")
            missing.append("safety screening not submitted to a prescriber")
        return missing, None
    if not clearance.clears:
        line = (
            f"medical clearance declined by {clearance.prescriber.full_name} on {_day(clearance.decided_at)}"
        )
        return [line + ("; a newer screening awaits a decision" if pending else "")], None
    if clearance.expires_at is None or at >= clearance.expires_at:
        expired = _day(clearance.expires_at) if clearance.expires_at else "unknown"
        return [f"medical clearance not current (expired {expired})"], None
    problems: list[str] = []
    evaluation = clearance.evaluation
    if evaluation.outcome == "contraindicated" and not clearance.override_reason.strip():
        problems.append("screening outcome contraindicated without a prescriber override")
    # Facts drift: an intake or date-of-birth change, or a newer measure result with another value.
    screened_at = evaluation.created_at
    intake = Intake.objects.filter(client=client).first()
    screened = {k: v for k, v in evaluation.facts.items() if k not in MEASURE_FACTS}
    changed = changed_facts(screened, intake_document(intake, client, at=screened_at))
    for name, fact in latest_measure_facts(client, at=max(at, timezone.now())).items():
        if fact.administered_at > screened_at and fact.value != evaluation.facts.get(name):
            changed.append(name)
    if changed:
        problems.append(
            f"medical clearance re-required: screening facts changed since clearance ({', '.join(changed)})"
        )
    return problems, (None if problems else clearance)


def _consent_problems(client: Client) -> tuple[list[str], ConsentRecord | None]:
    template = current_template(client.organization_id)
    consent = open_consent(client)
    if consent is None:
        last = latest_consent(client)
        if last is not None and last.withdrawn_at is not None:
            return [
                f"KAP consent withdrawn on {_day(last.withdrawn_at)}: a new consent for template "
                f"v{template.doc.version} is needed"
            ], None
        return [f"KAP consent not signed for template v{template.doc.version}"], None
    if (consent.template_id, consent.template_version) != template.key:
        return [
            f"KAP consent must be renewed: signed for template v{consent.template_version}, "
            f"the current template is v{template.doc.version}"
        ], None
    return [], consent


def _team_warnings(client: Client, consent: ConsentRecord | None) -> list[str]:
    warnings: list[str] = []
    team = list(CareTeamMember.objects.filter(client=client).select_related("user", "supervisor"))
    supervisors = {m.user_id for m in team if m.team_role == CareTeamMember.TeamRole.SUPERVISOR}
    named = {n.strip().casefold() for n in (consent.observer_names if consent and consent.observers else [])}
    for member in team:
        if member.team_role != CareTeamMember.TeamRole.TRAINEE:
            continue
        if member.supervisor_id is None or member.supervisor_id not in supervisors:
            warnings.append(f"trainee {member.user.full_name} has no supervisor on the care team")
        if member.user.full_name.strip().casefold() not in named:
            warnings.append(
                f"trainee {member.user.full_name} is not named in the client's consent to observers and "
                "trainees, so may not be present at dosing"
            )
    return warnings


def dosing_readiness(client: Client, *, at: datetime | None = None) -> Readiness:
    """What stands between this client and a dosing session at ``at`` (default: now). Asked for now
    within ``shared_answers()`` (the client header), it is computed once for all who ask."""
    if at is None:
        return remember(("dosing_readiness", client.pk), lambda: _dosing_readiness(client, timezone.now()))
    return _dosing_readiness(client, at)


def _dosing_readiness(client: Client, at: datetime) -> Readiness:
    clearance_missing, clearance = _clearance_problems(client, at)
    consent_missing, consent = _consent_problems(client)
    missing = clearance_missing + consent_missing
    touch = (
        TouchOptIn(True, consent.touch_scope, consent.touch_stop_signal)
        if consent is not None and consent.touch
        else TouchOptIn(False)
    )
    return Readiness(
        ready=not missing,
        missing=missing,
        clearance=clearance,
        consent=consent,
        touch_opt_in=touch,
        conditions=clearance.conditions if clearance is not None else "",
        warnings=_team_warnings(client, consent),
        checked_at=at,
    )
