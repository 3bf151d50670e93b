"""The one access policy: which role may take which action, over which objects.

POLICY is a readable role × action table. It is the source of truth for the views (through
``kapstone.access.decorators.requires``) and the oracle the tests walk. A role missing from an
action's row is denied (deny by default).

Scopes:
  ORG        any object of the actor's active organization
  CARE_TEAM  only clients whose care team includes the actor (in the active organization)
"""

from __future__ import annotations

from enum import IntEnum

from kapstone.accounts.models import Role
from kapstone.core.actor import Actor


class Scope(IntEnum):
    NONE = 0
    CARE_TEAM = 1
    ORG = 2


A, T, P, S, R = Role.ORG_ADMIN, Role.THERAPIST, Role.PRESCRIBER, Role.SUPERVISOR, Role.TRAINEE
ORG, TEAM = Scope.ORG, Scope.CARE_TEAM

POLICY: dict[str, dict[str, Scope]] = {
    # Clients. Clinical content is for the care team only; the org admin runs the clinic, not the
    # record (minimum necessary, 45 CFR 164.514(d)).
    "client.list":        {A: ORG, T: TEAM, P: TEAM, S: TEAM, R: TEAM},
    "client.view":        {T: TEAM, P: TEAM, S: TEAM, R: TEAM},
    "client.create":      {A: ORG, T: ORG, P: ORG},
    "client.edit":        {T: TEAM, P: TEAM, R: TEAM},
    "careteam.manage":    {A: ORG, T: TEAM},
    # Running the organization.
    "member.view":        {A: ORG},
    "member.manage":      {A: ORG},
    "audit.view":         {A: ORG},
    "audit.export":       {A: ORG},
    # Measurement.
    "measure.view":       {T: TEAM, P: TEAM, S: TEAM, R: TEAM},
    "measure.record":     {T: TEAM, P: TEAM, R: TEAM},
    "measure.assign":     {T: TEAM, P: TEAM, R: TEAM},
    "safety.acknowledge": {T: TEAM, P: TEAM, S: TEAM, R: TEAM},
    "outcomes.caseload":  {T: TEAM, P: TEAM, S: TEAM, R: TEAM},
}  # fmt: skip

ACTIONS = frozenset(POLICY)


def scope_for(actor: Actor, action: str) -> Scope:
    """The widest scope any of the actor's roles in the active organization grant for the action."""
    if action not in POLICY:
        raise KeyError(f"Unknown action {action!r}: add it to kapstone.access.policy.POLICY")
    if actor.user is None or actor.organization is None:
        return Scope.NONE
    row = POLICY[action]
    return max((row.get(role, Scope.NONE) for role in actor.roles), default=Scope.NONE)


def allows(actor: Actor, action: str) -> bool:
    """May the actor take this action on at least some objects? (Object checks go through selectors.)"""
    return scope_for(actor, action) > Scope.NONE
