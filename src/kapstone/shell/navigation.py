"""Role-aware navigation and dashboard panels, derived from the access policy (never a second list).

Each link names the policy action that opens it; a person sees the links their roles allow. Links
fall into sections (Clients, Dosing, Measures, Notes, Training, Community, Admin) by their URL
namespace, so an app that arrives with its namespace lands in its section; an app may also add
links from its ``AppConfig`` (``nav_items``, tuples of label, URL name, action[, section]).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache

from django.apps import apps
from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

from kapstone.access.policy import POLICY, allows
from kapstone.core.actor import Actor

SECTIONS = ("Desk", "Clients", "Dosing", "Measures", "Notes", "Training", "Community", "Admin")
SECTION_OF_NAMESPACE: Mapping[str, str] = {
    "clients": "Clients", "intake": "Clients", "care": "Dosing", "measures": "Measures",
    "outcomes": "Measures", "notes": "Notes", "training": "Training", "practicum": "Training",
    "credentials": "Training", "community": "Community", "consultation": "Community",
    "accounts": "Admin", "audit": "Admin", "screening": "Admin", "core": "Admin",
}  # fmt: skip
# Clinic configuration is the admin's section, whichever app it lives in.
CONFIGURATION_ACTIONS = frozenset(
    {"instrument.configure", "ruleset.edit", "protocol.edit", "consent.template.edit", "member.view",
     "member.manage", "audit.view"}
)  # fmt: skip


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    action: str
    section: str = ""

    @property
    def url(self) -> str:
        return _catalogue().get(self.url_name) or reverse(self.url_name)

    @property
    def group(self) -> str:
        if self.section:
            return self.section
        if self.action in CONFIGURATION_ACTIONS:
            return "Admin"
        return SECTION_OF_NAMESPACE.get(self.url_name.split(":", 1)[0], "Admin")


@dataclass(frozen=True)
class NavLink:
    """A link an app lists for this person now (today's dosing sessions); no URL: a plain line."""

    label: str
    url: str = ""


@dataclass(frozen=True)
class NavSection:
    title: str
    items: list[NavItem | NavLink]


LinkProvider = Callable[[Actor], "list[NavLink]"]
# section -> (policy action that opens it, provider), registered by apps in AppConfig.ready().
_LINK_PROVIDERS: dict[str, tuple[str, LinkProvider]] = {}


def register_nav_links(section: str, action: str, provider: LinkProvider) -> None:
    """An app lists live links under a section (e.g. Dosing: today's sessions) for the people the
    policy lets do ``action``; the section shows for them even when the list is empty."""
    _LINK_PROVIDERS[section] = (action, provider)


NAV: tuple[NavItem, ...] = (
    NavItem("Desk", "core:dashboard", "desk.view", "Desk"),
    NavItem("Clients", "clients:list", "client.list"),
    NavItem("Caseload", "measures:caseload", "outcomes.caseload"),
    NavItem("Program outcomes", "outcomes:program", "outcomes.program"),
    NavItem("Members", "accounts:members", "member.view"),
    NavItem("Audit log", "audit:log", "audit.view"),
    NavItem("Instruments", "measures:instruments", "instrument.configure"),
    NavItem("Screening rules", "screening:ruleset", "ruleset.edit"),
    NavItem("Protocols", "care:protocols", "protocol.edit"),
    NavItem("Consent form", "intake:consent_template", "consent.template.edit"),
    NavItem("Organization settings", "core:organization_settings", "member.manage"),
    NavItem("Notes to co-sign", "notes:cosign_queue", "note.cosign"),
    NavItem("Training", "training:home", "training.home"),
    NavItem("Practicum", "practicum:home", "practicum.home"),
)


def _app_items() -> Iterable[NavItem]:
    """Links an app declares on its AppConfig, then each capability app's home page: an installed
    app whose URL namespace has a ``home`` and whose ``<app>.home`` or ``<app>.view`` action is in
    the policy gets a link under its own name, without an entry here."""
    for config in apps.get_app_configs():
        for entry in getattr(config, "nav_items", ()):
            yield NavItem(*entry)
    for config in apps.get_app_configs():
        namespace = config.label
        action = next((a for a in (f"{namespace}.home", f"{namespace}.view") if a in POLICY), None)
        if action is not None and namespace in SECTION_OF_NAMESPACE:
            yield NavItem(getattr(config, "nav_label", namespace.capitalize()), f"{namespace}:home", action)


@cache
def _all_items() -> tuple[NavItem, ...]:
    """NAV then the apps' links, in the order they show (fixed once the apps are ready)."""
    return (*NAV, *_app_items())


def _catalogue() -> dict[str, str]:
    """url_name -> URL of every reachable link. The links, the policy and the URL patterns are fixed
    once the apps are ready, so each link is resolved once per process (per URL configuration and
    script prefix), not three times per link on every page (about 50 reverse() calls a page)."""
    return _resolved(get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())


@cache
def _resolved(urlconf: object, prefix: str) -> dict[str, str]:  # the key; reverse() reads both
    urls = {}
    for item in _all_items():
        try:
            urls[item.url_name] = reverse(item.url_name)  # under the current urlconf and prefix
        except NoReverseMatch:  # an app that is not installed (or has not mounted its URLs yet)
            continue
    return urls


def _allowed(actor: Actor, item: NavItem) -> bool:
    if item.action == "desk.view":  # every signed-in staff member has a desk
        return actor.user is not None and actor.user.is_staff_member
    return allows(actor, item.action)


def nav_for(actor: Actor) -> list[NavItem]:
    reachable = _catalogue()
    seen: set[str] = set()
    items = []
    for item in _all_items():
        if item.url_name in seen or item.url_name not in reachable or not _allowed(actor, item):
            continue
        seen.add(item.url_name)
        items.append(item)
    return items


def nav_sections(actor: Actor) -> list[NavSection]:
    """The side navigation: the person's links by section, in the sections' order."""
    items = nav_for(actor)
    live = {
        section: provider(actor)
        for section, (action, provider) in _LINK_PROVIDERS.items()
        if actor.organization is not None and allows(actor, action)
    }
    order = {name: n for n, name in enumerate(SECTIONS)}
    names = {item.group for item in items} | set(live)
    groups = sorted(names, key=lambda name: order.get(name, len(SECTIONS)))
    return [
        NavSection(name, [*(item for item in items if item.group == name), *live.get(name, [])])
        for name in groups
    ]


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
