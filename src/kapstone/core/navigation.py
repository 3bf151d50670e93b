"""Role-aware navigation and dashboard panels, derived from the access policy (never a second list)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.urls import reverse

from kapstone.access.policy import allows
from kapstone.core.actor import Actor


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    action: str

    @property
    def url(self) -> str:
        return reverse(self.url_name)


NAV: tuple[NavItem, ...] = (
    NavItem("Clients", "clients:list", "client.list"),
    NavItem("Caseload", "measures:caseload", "outcomes.caseload"),
    NavItem("Program outcomes", "outcomes:program", "outcomes.program"),
    NavItem("Members", "accounts:members", "member.view"),
    NavItem("Audit log", "audit:log", "audit.view"),
    NavItem("Instruments", "measures:instruments", "instrument.configure"),
    NavItem("Screening rules", "screening:ruleset", "ruleset.edit"),
    NavItem("Protocols", "care:protocols", "protocol.edit"),
    NavItem("Consent form", "intake:consent_template", "consent.template.edit"),
    NavItem("Training", "training:home", "training.home"),
    NavItem("Practicum", "practicum:home", "practicum.home"),
    NavItem("Consultation", "consultation:home", "consultation.view"),
)


def nav_for(actor: Actor) -> list[NavItem]:
    return [item for item in NAV if allows(actor, item.action)]


def dashboard_panels(actor: Actor) -> list[NavItem]:
    return nav_for(actor)


@dataclass(frozen=True)
class DashboardSection:
    """A block an app adds to the dashboard: a template and the context it needs."""

    template: str
    context: Mapping[str, object] = field(default_factory=dict)


SectionProvider = Callable[[Actor], "DashboardSection | None"]
_SECTION_PROVIDERS: list[SectionProvider] = []


def register_dashboard_section(provider: SectionProvider) -> SectionProvider:
    """Apps register providers in ``AppConfig.ready()``; each returns a section or None for this actor."""
    if provider not in _SECTION_PROVIDERS:
        _SECTION_PROVIDERS.append(provider)
    return provider


def dashboard_sections(actor: Actor) -> list[DashboardSection]:
    return [section for provider in _SECTION_PROVIDERS if (section := provider(actor)) is not None]
