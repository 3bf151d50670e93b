"""The supervision desk: one queue per supervisor, each item with its age.

Notes awaiting co-sign come from the notes app's own scoped queue (so a supervisor reaches a
trainee's clinical work only through the existing policy); ledger entries naming this supervisor;
trainees at risk (behind on an hours requirement given the time left before their cohort ends).
Short answers to grade come from the training app's knowledge-check attempts waiting for this
supervisor's grade (read by name, as that app is being built alongside). Assessments due are not
listed: the training app records assessments but keeps no due dates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils import timezone

from kapstone.audit.services import record
from kapstone.core.actor import Actor
from kapstone.notes.selectors import cosign_queue
from kapstone.practicum.core import SetReport, Status
from kapstone.practicum.models import LedgerEntry, Supervision
from kapstone.practicum.selectors import check_trainee
from kapstone.training.models import QuizAttempt
from kapstone.training.selectors import enrollments_scoped

AT_RISK_SLACK = 0.15  # behind by more than 15 % of the requirement, against the share of time elapsed


@dataclass(frozen=True)
class Item:
    label: str
    detail: str
    url: str
    since: dt.datetime | dt.date | None

    @property
    def age_days(self) -> int | None:
        if self.since is None:
            return None
        day = self.since.date() if isinstance(self.since, dt.datetime) else self.since
        return (timezone.localdate() - day).days


@dataclass
class Desk:
    notes: list[Item] = field(default_factory=list)
    entries: list[LedgerEntry] = field(default_factory=list)
    at_risk: list[Item] = field(default_factory=list)
    training: list[Item] = field(default_factory=list)
    training_available: bool = False


def behind(report: SetReport, *, elapsed: float) -> list[str]:
    """Hours and count requirements lagging the share of the cohort's time already gone."""
    reasons = []
    for verdict in report.verdicts:
        if verdict.status is Status.MET or not verdict.need:
            continue
        if verdict.have / verdict.need < elapsed - AT_RISK_SLACK:
            reasons.append(f"{report.title} · {verdict.title}: {verdict.message}")
    return reasons


def _at_risk(actor: Actor, today: dt.date) -> list[Item]:
    items = []
    rows = Supervision.objects.filter(
        organization_id=actor.organization_id or -1,
        supervisor_id=actor.user_id,
        active=True,
        ends_on__isnull=False,
    ).select_related("trainee")
    for row in rows:
        assert row.ends_on is not None
        span = max((row.ends_on - row.starts_on).days, 1)
        elapsed = min(max((today - row.starts_on).days / span, 0.0), 1.0)
        _, reports, _ = check_trainee(row.trainee, row.organization_id, listed=0)  # lists none
        reasons = [reason for report in reports for reason in behind(report, elapsed=elapsed)]
        if reasons:
            left = (row.ends_on - today).days
            when = f"cohort ends in {left} days" if left >= 0 else f"cohort ended {-left} days ago"
            items.append(Item(
                label=row.trainee.full_name or row.trainee.email, detail=f"{when}; " + "; ".join(reasons[:3]),
                url=f"/practicum/trainees/{row.trainee_id}/", since=row.starts_on,
            ))  # fmt: skip
    return items


def _training_queue(actor: Actor) -> tuple[bool, list[Item]]:
    """Knowledge-check attempts with short answers waiting for this supervisor's grade, read through
    the training app's own scoped enrollments (its grading page then checks access again)."""
    mine = enrollments_scoped(actor).filter(supervisor_id=actor.user_id)
    attempts = (
        QuizAttempt.objects.filter(enrollment__in=mine, status="pending")
        .select_related("enrollment__trainee")
        .order_by("submitted_at", "pk")[:100]
    )
    return True, [
        Item(
            label=f"Short answers by {a.enrollment.trainee.full_name}",
            detail=f"knowledge check of module {a.module_id}, attempt {a.number}",
            url=reverse("training:attempt_mark", args=[a.pk]),
            since=a.submitted_at,
        )
        for a in attempts
    ]


def desk_for(actor: Actor) -> Desk:
    desk = Desk()
    for note in cosign_queue(actor):  # audited by the notes app
        desk.notes.append(Item(
            label=f"{note.template_id.upper()} note by {note.author.full_name}",
            detail=note.client.display_name,
            url=reverse("notes:detail", args=[note.pk]), since=note.signed_at,
        ))  # fmt: skip
    desk.entries = list(
        LedgerEntry.objects.filter(
            organization_id=actor.organization_id or -1,
            supervisor_id=actor.user_id,
            status=LedgerEntry.Status.PENDING,
        )
        .select_related("trainee")
        .order_by("created_at", "pk")[:200]
    )
    desk.at_risk = _at_risk(actor, timezone.localdate())
    desk.training_available, desk.training = _training_queue(actor)
    counts = {"notes": len(desk.notes), "entries": len(desk.entries), "at_risk": len(desk.at_risk)}
    record(
        actor, "practicum.desk.view", object_type="supervisor", object_id=actor.user_id or "", detail=counts
    )
    return desk
