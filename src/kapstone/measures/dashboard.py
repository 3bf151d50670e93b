"""The measures section of the staff dashboard: open safety tasks for the actor's clients."""

from __future__ import annotations

from kapstone.access.policy import allows
from kapstone.core.actor import Actor
from kapstone.measures.selectors import open_safety_tasks
from kapstone.shell.navigation import DashboardSection


def safety_section(actor: Actor) -> DashboardSection | None:
    """Every care-team member sees every open safety task of their clients until someone
    acknowledges it."""
    if not allows(actor, "safety.acknowledge"):
        return None
    return DashboardSection("measures/_dashboard_safety.html", {"tasks": open_safety_tasks(actor)})
