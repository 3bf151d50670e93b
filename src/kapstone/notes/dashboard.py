"""The notes panel of the staff dashboard: "Notes awaiting your co-sign" for a supervisor."""

from __future__ import annotations

from kapstone.access.policy import allows
from kapstone.core.actor import Actor
from kapstone.notes.selectors import cosign_queue
from kapstone.shell.navigation import DashboardSection


def cosign_section(actor: Actor) -> DashboardSection | None:
    if not allows(actor, "note.cosign"):
        return None
    return DashboardSection("notes/_dashboard_cosign.html", {"notes": cosign_queue(actor)})
