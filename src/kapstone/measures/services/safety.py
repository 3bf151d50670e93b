"""Safety tasks: opened (or re-raised) from a response's safety flags at the highest Columbia level
they reach, and closed by the review a clinician documents."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone

from kapstone.audit.services import record
from kapstone.clients.models import Client
from kapstone.core.actor import Actor
from kapstone.measures import conf
from kapstone.measures.instruments import (
    Instrument,
)
from kapstone.measures.models import (
    Response,
    SafetyTask,
)
from kapstone.measures.scoring import ScoreResult
from kapstone.measures.scoring.safety_levels import default_safety_levels, triage, unanswered_flags
from kapstone.measures.tasks import notify_safety_task

from ._common import SAFETY, require


def _safety_flags(result: ScoreResult) -> list[dict[str, object]]:
    return [f for f in result.flags if f.get("severity") == SAFETY]


def _unanswered(result: ScoreResult) -> set[str]:
    return {str(e["item"]) for e in result.errors if e.get("code") == "missing" and e.get("item")}


def open_safety_tasks(
    actor: Actor,
    client: Client,
    instrument: Instrument,
    result: ScoreResult,
    answers: Mapping[str, object],
    *,
    source: str,
    response: Response | None = None,
    refused: bool = False,
) -> list[SafetyTask]:
    """Open (or re-raise) ONE task for this response's safety flags, at the highest Columbia level
    they reach (``measures/safety/levels.toml``). Call inside the caller's transaction.

    ``refused`` (a final submission refused as incomplete) also turns a safety item left unanswered
    (PHQ-9 item 9) into a review task, so the gap leaves a trace. A task already open for this client
    and instrument from refused answers is not duplicated: a stored response attaches to it, its
    level rises if this one is higher, and another refused attempt is audited against it.
    """
    levels = default_safety_levels()
    flags = _safety_flags(result)
    if refused:
        flags += unanswered_flags(levels, instrument.id, _unanswered(result))
    finding = triage(levels, flags)
    if finding is None:
        return []
    evidence = {
        str(f["item"]): answers[str(f["item"])]
        for f in finding.flags
        if f.get("item") and str(f["item"]) in answers
    }
    flag_rows = [{"id": str(f["id"]), "message": str(f.get("message", ""))} for f in finding.flags]
    existing = (
        SafetyTask.objects.select_for_update()
        .filter(
            client=client, instrument_id=instrument.id, response__isnull=True, acknowledged_at__isnull=True
        )
        .order_by("opened_at")
        .first()
    )
    if existing is not None:
        raised = finding.level.rank > existing.level_rank
        changes: dict[str, object] = {}
        if response is not None:
            changes["response"] = response
        if raised:
            changes.update(
                level=finding.level.id,
                level_rank=finding.level.rank,
                flag_id=finding.flag_id,
                message=finding.message,
                flags=flag_rows,
                evidence={**existing.evidence, **evidence},
            )
        if changes:
            SafetyTask.objects.filter(pk=existing.pk).update(**changes)
            for name, value in changes.items():
                setattr(existing, name, value)
        record(
            actor,
            "safety.flag_repeated",
            object_type="safety_task",
            object_id=existing.pk,
            client_id=client.pk,
            detail={
                "flag": finding.flag_id,
                "level": finding.level.id,
                "raised": raised,
                "source": source,
                "response": response.pk if response else None,
            },
        )
        if raised:
            _notify_on_commit(existing.pk)
        return [existing]
    task = SafetyTask.objects.create(
        organization_id=client.organization_id,
        client=client,
        response=response,
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        flag_id=finding.flag_id,
        severity=SAFETY,
        level=finding.level.id,
        level_rank=finding.level.rank,
        message=finding.message,
        flags=flag_rows,
        item_id=str(finding.flags[0].get("item") or ""),
        evidence=evidence,
        source=source,
        opened_by=actor.user,
    )
    record(
        actor,
        "safety.open",
        object_type="safety_task",
        object_id=task.pk,
        client_id=client.pk,
        detail={
            "flag": finding.flag_id,
            "flags": [row["id"] for row in flag_rows],
            "level": finding.level.id,
            "levels_version": levels.version,
            "instrument": instrument.id,
            "version": instrument.version,
            "source": source,
            "response": response.pk if response else None,
        },
    )
    _notify_on_commit(task.pk)
    return [task]


def _notify_on_commit(task_id: int) -> None:
    transaction.on_commit(partial(notify_safety_task.enqueue, task_id))


def safety_acknowledge(
    actor: Actor, task: SafetyTask, action_taken: str, *, safety_plan: str = ""
) -> SafetyTask:
    """Close a safety task with the review the clinician documents. Refused without the action; a
    moderate or high level also needs the safety plan made or updated (Columbia triage). Closing a
    high task is the documented review that lets dosing go ahead."""
    text = (action_taken or "").strip()
    plan = (safety_plan or "").strip()
    if not text:
        raise ValidationError(
            {
                "action_taken": [
                    "Describe what you did (for example: called the client, "
                    "completed a C-SSRS, updated the safety plan)."
                ]
            }
        )
    if len(text) > conf.ACTION_TAKEN_MAX:
        raise ValidationError({"action_taken": [f"Keep it under {conf.ACTION_TAKEN_MAX} characters."]})
    level = task.level_info
    if getattr(level, "needs_safety_plan", True) and not plan:
        raise ValidationError(
            {
                "safety_plan": [
                    f"{task.get_level_display()}: record the safety plan made or updated with the client."
                ]
            }
        )
    if len(plan) > conf.ACTION_TAKEN_MAX:
        raise ValidationError({"safety_plan": [f"Keep it under {conf.ACTION_TAKEN_MAX} characters."]})
    require(actor, "safety.acknowledge", task.client)
    with transaction.atomic():
        now = timezone.now()
        done = SafetyTask.objects.filter(pk=task.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=now, acknowledged_by=actor.user, action_taken=text, safety_plan=plan
        )
        if not done:
            current = SafetyTask.objects.select_related("acknowledged_by").get(pk=task.pk)
            who = current.acknowledged_by.full_name if current.acknowledged_by else "someone"
            when = f"{current.acknowledged_at:%Y-%m-%d %H:%M}"
            raise ValidationError(
                {
                    NON_FIELD_ERRORS: [
                        f"{who} already acknowledged this task at {when} UTC; "
                        f"your note was not saved. It is kept below."
                    ]
                }
            )
        record(
            actor,
            "safety.acknowledge",
            object_type="safety_task",
            object_id=task.pk,
            client_id=task.client_id,
            detail={"flag": task.flag_id, "level": task.level, "safety_plan": bool(plan)},
        )
    task.refresh_from_db()
    return task
