"""Desk queues of measurement (kapstone.core.desk): open safety tasks by level, and questionnaires
due for the clinician's clients."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from kapstone.access.policy import allows
from kapstone.accounts.models import Role
from kapstone.clients.selectors import clients_scoped
from kapstone.core.actor import Actor
from kapstone.core.desk import Queue, QueueItem, register_queue
from kapstone.measures.models import MeasureSchedule, SafetyTask
from kapstone.measures.selectors import open_safety_tasks


def safety_tasks(actor: Actor) -> Queue | None:
    if not allows(actor, "safety.acknowledge"):
        return None
    tasks = open_safety_tasks(actor, limit=50)
    levels: dict[str, int] = {}
    for task in tasks:
        levels[str(SafetyTask.Level(task.level).label)] = (
            levels.get(str(SafetyTask.Level(task.level).label), 0) + 1
        )
    items = [
        QueueItem(
            task.client.display_name,
            reverse("measures:safety_task", args=[task.pk]),
            at=task.opened_at,
            level=str(SafetyTask.Level(task.level).label),
            note=task.message,
        )
        for task in tasks[:10]
    ]
    return Queue(
        "safety",
        "Safety tasks",
        items,
        total=len(tasks),
        levels=levels,
        order=5,
        empty="No open safety task for your clients.",
    )


def measures_due(actor: Actor) -> Queue | None:
    if not allows(actor, "measure.assign"):
        return None
    due = (
        MeasureSchedule.objects.filter(
            client__in=clients_scoped(actor, "measure.assign").values("pk"),
            active=True,
            next_due_at__lte=timezone.now(),
        )
        .select_related("client")
        .order_by("next_due_at", "pk")
    )
    items = [
        QueueItem(
            f"{s.client.display_name}: {s.instrument_id.upper()}",
            reverse("measures:schedules", args=[s.client_id]),
            at=s.next_due_at,
        )
        for s in due[:10]
    ]
    return Queue(
        "measures_due",
        "Questionnaires due",
        items,
        total=due.count(),
        order=30,
        empty="No questionnaire is due.",
    )


for _role in (Role.THERAPIST, Role.TRAINEE, Role.PRESCRIBER, Role.SUPERVISOR):
    register_queue(_role.value, safety_tasks)
for _role in (Role.THERAPIST, Role.TRAINEE):
    register_queue(_role.value, measures_due)
