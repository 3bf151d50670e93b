"""The header on every client page: who the client is and what needs attention, with tabs.

Apps add what they know from their ``desk`` module (kapstone.shell.desk finds them at start-up):
``register_header(provider)``; a provider returns ``HeaderFact`` rows for this actor and client
(an empty list when the actor may not see that part). The ground never imports a domain app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse

from kapstone.access.policy import allows
from kapstone.core.actor import Actor
from kapstone.core.memo import shared_answers


@dataclass(frozen=True)
class HeaderFact:
    label: str
    value: str
    level: str = ""  # "alert" or "warn" draws the eye; "" is plain
    url: str = ""
    order: int = 50


@dataclass(frozen=True)
class Tab:
    label: str
    url: str
    current: bool


HeaderProvider = Callable[[Actor, Any], "list[HeaderFact]"]
_PROVIDERS: list[HeaderProvider] = []

TABS: tuple[tuple[str, str, str], ...] = (
    ("Overview", "clients:detail", "client.view"),
    ("Intake", "intake:detail", "intake.view"),
    ("Screening", "screening:list", "screening.view"),
    ("Consent", "intake:consent", "consent.view"),
    ("Course", "care:client_courses", "course.view"),
    ("Measures", "measures:client", "measure.view"),
    ("Notes", "notes:client_notes", "note.view"),
)


def register_header(provider: HeaderProvider) -> HeaderProvider:
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)
    return provider


def header_facts(actor: Actor, client: Any) -> list[HeaderFact]:
    with shared_answers():  # providers asking the same question (the client's readiness) ask once
        facts = [fact for provider in _PROVIDERS for fact in provider(actor, client)]
    return sorted(facts, key=lambda fact: fact.order)


def client_tabs(actor: Actor, client: Any, path: str) -> list[Tab]:
    tabs = []
    for label, url_name, action in TABS:
        if not allows(actor, action):
            continue
        try:
            url = reverse(url_name, args=[client.pk])
        except NoReverseMatch:
            continue
        current = path == url or (label != "Overview" and path.startswith(url))
        tabs.append(Tab(label, url, current))
    return tabs
