"""Role-aware navigation and dashboard panels, derived from the access policy (never a second list)."""

from __future__ import annotations

from dataclasses import dataclass

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
    NavItem("Members", "accounts:members", "member.view"),
    NavItem("Audit log", "audit:log", "audit.view"),
)


def nav_for(actor: Actor) -> list[NavItem]:
    return [item for item in NAV if allows(actor, item.action)]


def dashboard_panels(actor: Actor) -> list[NavItem]:
    return nav_for(actor)
