"""The access oracle: every URL pattern, every persona, the status they must get.

Walks every named URL in the project; a pattern with no row here fails the suite, so a new page
cannot ship without saying who may open it. Each row names the URL kwargs (built from the `world`
fixture) and the expected GET status per persona; "*" is the default for personas not named.

Personas (tests/conftest.py): anon; avery = org admin A; theo = therapist on Rowan's team;
tamsin = therapist in A, not on Rowan's team; priya = prescriber, sam = supervisor, toby = trainee
(all three on Rowan's team); olive = therapist in organization B; rowan_portal = Rowan's portal login.
Status 302 for anon means "sent to sign in"; 404 means "not found or not yours" (the same page).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from kapstone.access.decorators import PORTAL, PUBLIC, SIGNED_IN
from kapstone.access.policy import ACTIONS, POLICY, Scope, scope_for
from kapstone.core.actor import Actor

PERSONAS = ("anon", "avery", "theo", "tamsin", "priya", "sam", "toby", "olive", "rowan_portal")
STAFF_IN_A = ("avery", "theo", "tamsin", "priya", "sam", "toby")
CARE_TEAM_OF_ROWAN = ("theo", "priya", "sam", "toby")


@dataclass(frozen=True)
class Row:
    expect: dict[str, int]
    kwargs: Callable[[Any], dict[str, Any]] = field(default=lambda w: {})
    # Namespaces whose views declare access their own way (the JSON API checks in its auth layer).
    query: str = ""

    def status_for(self, persona: str) -> int:
        return self.expect.get(persona, self.expect["*"])


def rowan(w: Any) -> dict[str, Any]:
    return {"pk": w.clients["rowan"].pk}


def only(allowed: tuple[str, ...], ok: int = 200, anon: int = 302) -> dict[str, int]:
    """Allowed personas get ``ok``; anonymous people are sent to sign in; everyone else gets 404."""
    return {"*": 404, "anon": anon, **dict.fromkeys(allowed, ok)}


STAFF_ALL = ("avery", "theo", "tamsin", "priya", "sam", "toby", "olive")

ORACLE: dict[str, Row] = {
    # Public.
    "core:home": Row({"*": 302}),
    "core:healthz": Row({"*": 200}),
    "accounts:login": Row({"*": 302, "anon": 200}),
    "accounts:mfa_verify": Row({"*": 302}),  # nobody is half-way through signing in here
    "accounts:mfa_setup": Row({"*": 302}),
    "accounts:logout": Row({"*": 405}),  # POST only
    "accounts:accept_invitation": Row({"*": 404}, kwargs=lambda w: {"token": "no-such-invitation"}),
    # Any staff member.
    "core:dashboard": Row(only(STAFF_ALL)),
    "accounts:switch_organization": Row(only(STAFF_ALL, ok=405)),
    # Clients.
    "clients:list": Row(only(STAFF_ALL)),
    "clients:create": Row(only(("avery", "theo", "tamsin", "priya", "olive"))),
    "clients:detail": Row(only(CARE_TEAM_OF_ROWAN), kwargs=rowan),
    "clients:edit": Row(only(("theo", "priya", "toby")), kwargs=rowan),
    "clients:care_team": Row(only(("avery", "theo")), kwargs=rowan),
    # Running the organization.
    "accounts:members": Row(only(("avery",))),
    "accounts:member_set_active": Row(only(("avery",), ok=405), kwargs=lambda w: {"pk": 1}),
    "audit:log": Row(only(("avery",))),
    "audit:export": Row(only(("avery",))),
    # The client's own portal.
    "portal:home": Row(only(("rowan_portal",))),
}


def _walk(resolver: URLResolver, prefix: str = "") -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            found += _walk(entry, namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            found.append((f"{prefix}{entry.name}", entry.callback))
    return found


ALL_PATTERNS = _walk(get_resolver())


def test_every_url_pattern_has_a_row_in_the_oracle() -> None:
    names = {name for name, _ in ALL_PATTERNS}
    missing = sorted(names - set(ORACLE))
    stale = sorted(set(ORACLE) - names)
    assert not missing, f"URL patterns without an access row: {missing}; add them to ORACLE"
    assert not stale, f"ORACLE rows for URLs that no longer exist: {stale}"


def test_every_view_declares_its_access() -> None:
    declared = {PUBLIC, SIGNED_IN, PORTAL, *ACTIONS}
    undeclared = [
        name
        for name, view in ALL_PATTERNS
        if not name.startswith("api") and getattr(view, "kapstone_access", None) not in declared
    ]
    assert not undeclared, f"views without an access decorator: {undeclared}"


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", sorted(ORACLE))
def test_each_persona_gets_the_oracle_status(url_name: str, world: Any) -> None:
    from tests.conftest import signed_in_client

    row = ORACLE[url_name]
    url = reverse(url_name, kwargs=row.kwargs(world)) + row.query
    seen = {}
    for persona in PERSONAS:
        http = HttpClient() if persona == "anon" else signed_in_client(world.users[persona])
        seen[persona] = http.get(url).status_code
    expected = {persona: row.status_for(persona) for persona in PERSONAS}
    assert seen == expected


# --- The policy table itself, read as a specification ------------------------------------------------


def test_unknown_action_is_an_error_not_a_denial() -> None:
    with pytest.raises(KeyError):
        scope_for(Actor(user=None), "client.delete_everything")


@pytest.mark.django_db
def test_no_organization_means_no_scope_for_any_action(world: Any) -> None:
    actor = Actor(user=world.users["theo"], organization=None, roles=frozenset({"therapist"}))
    assert {action: scope_for(actor, action) for action in ACTIONS} == dict.fromkeys(ACTIONS, Scope.NONE)


@pytest.mark.django_db
def test_multiple_roles_take_the_widest_scope(world: Any) -> None:
    both = Actor(user=world.users["theo"], organization=world.org_a, roles=frozenset({"therapist", "org_admin"}))
    assert scope_for(both, "client.list") is Scope.ORG
    assert scope_for(both, "client.view") is Scope.CARE_TEAM  # admin adds nothing to the record itself


def test_org_admin_never_reads_the_clinical_record() -> None:
    clinical = [action for action in POLICY if action.startswith(("client.view", "client.edit", "measure."))]
    assert clinical
    assert all("org_admin" not in POLICY[action] for action in clinical)
