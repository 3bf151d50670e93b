"""Blocks the KAP intake/consent work adds to pages other apps own (the client page, the portal)."""

from __future__ import annotations

from typing import Any

from django import template

from kapstone.access.policy import allows
from kapstone.clients.consent.principles import principles_for
from kapstone.clients.consent_selectors import consents_for, current_template, is_current, open_consent
from kapstone.clients.hooks import dosing_readiness, upcoming_sessions
from kapstone.clients.models import CarePreferences, CareTeamMember, Intake

register = template.Library()


@register.inclusion_tag("clients/_kap_section.html", takes_context=True)
def kap_client_section(context: dict[str, Any], client: Any) -> dict[str, Any]:
    """Ready-to-schedule status and links to intake, screening, consent and choices."""

    actor = context.get("actor")
    actions = ("intake.view", "intake.edit", "screening.view", "consent.view")
    may = {a.replace(".", "_"): bool(actor and allows(actor, a)) for a in actions}
    return {
        "client": client,
        "readiness": dosing_readiness(client),
        "preferences": CarePreferences.objects.filter(client=client).first(),
        "may": may,
        "principles": {k: principles_for(k) for k in ("music", "people_present", "touch")},
    }


@register.inclusion_tag("portal/_kap_sections.html", takes_context=True)
def portal_kap_sections(context: dict[str, Any], client: Any) -> dict[str, Any]:
    """The client's own plan, consent, upcoming sessions and choices."""

    template = current_template(client.organization_id)
    consent = open_consent(client)
    readiness = dosing_readiness(client)
    team = CareTeamMember.objects.filter(client=client).select_related("user").order_by("team_role")
    return {
        "client": client,
        "intake": Intake.objects.filter(client=client).first(),
        "team": team,
        "template": template,
        "consent": consent,
        "consent_current": is_current(consent, template),
        "past_consents": consents_for(client)[:10],
        "clearance": readiness.clearance,
        "clearance_needed": readiness.clearance is None,
        "sessions": upcoming_sessions(client),
        "preferences": CarePreferences.objects.filter(client=client).first(),
        "principles": {k: principles_for(k) for k in ("plan", "consent", "music", "people_present", "touch")},
    }
