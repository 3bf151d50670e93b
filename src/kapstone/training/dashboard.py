"""The training panel of the staff dashboard: a trainee's progress and next step in each program."""

from __future__ import annotations

from kapstone.access.policy import allows
from kapstone.core.actor import Actor
from kapstone.shell.navigation import DashboardSection
from kapstone.training.selectors import my_enrollments, progress


def training_section(actor: Actor) -> DashboardSection | None:
    if not allows(actor, "training.learn"):
        return None
    rows = [(e, progress(e)) for e in my_enrollments(actor)]
    return DashboardSection("training/_dashboard.html", {"rows": rows}) if rows else None
