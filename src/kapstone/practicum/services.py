"""Writes of the practicum ledger: one service per action, keyword-only arguments, one transaction
with its audit row; a refusal says why and writes nothing."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from kapstone.access.policy import allows
from kapstone.access.scoping import scoped_get
from kapstone.accounts.models import User
from kapstone.audit.services import record
from kapstone.clients.selectors import clients_scoped
from kapstone.core.actor import Actor
from kapstone.core.contract import NotYours, Refused, check_version
from kapstone.core.models import create_once
from kapstone.lib.hours import KINDS
from kapstone.practicum.models import KIND_LABELS, SESSION_KINDS, Fact, LedgerEntry, SupervisionMeeting
from kapstone.practicum.selectors import enabled_sets, program_of, supervised_ids, supervisor_ids_of

MAX_MINUTES = 24 * 60
DAY_MINUTES = 24 * 60


def _require(actor: Actor, action: str) -> tuple[int, int]:
    """The active organization and the acting user, or an audited 404."""
    if not allows(actor, action) or actor.organization_id is None or actor.user_id is None:
        record(actor, action, outcome="denied")
        raise NotYours
    return actor.organization_id, actor.user_id


def known_topics(organization_id: int) -> set[str]:
    return {t for s in enabled_sets(program_of(organization_id)) for r in s.requirements for t in r.topics}


def _check_hours(*, occurred_on: dt.date, minutes: int, field: str = "minutes") -> None:
    if occurred_on > timezone.localdate():
        raise Refused("Hours cannot be logged for a day that has not come yet.", field="occurred_on")
    if minutes <= 0:
        raise Refused("The duration must be more than zero minutes.", field=field)
    if minutes > MAX_MINUTES:
        raise Refused(
            f"One entry can be at most {MAX_MINUTES // 60} hours; split longer work by day.", field=field
        )


@transaction.atomic
def entry_log(  # noqa: C901 - one case per rule; listed in issue #10 to split
    actor: Actor,
    *,
    kind: str,
    occurred_on: dt.date,
    minutes: int,
    supervisor_id: int,
    description: str = "",
    topics: tuple[str, ...] = (),
    group_size: int | None = None,
    online: bool | None = None,
    session_kind: str = "",
    client_id: int | None = None,
    starts_at: dt.time | None = None,
    idempotency_key: str = "",
) -> LedgerEntry:
    """A trainee logs hours; they count once the named supervisor verifies them."""
    org, me = _require(actor, "practicum.own")
    if idempotency_key:  # a double submit returns the first entry before any check runs again
        earlier = LedgerEntry.objects.filter(trainee_id=me, idempotency_key=idempotency_key).first()
        if earlier is not None:
            return earlier
    if kind not in KINDS:
        raise Refused(f"{kind!r} is not a kind of hours.", field="kind")
    _check_hours(occurred_on=occurred_on, minutes=minutes)
    if supervisor_id == me:
        raise Refused("You cannot verify your own hours: name your supervisor.", field="supervisor")
    if supervisor_id not in supervisor_ids_of(me, org):
        raise Refused("Name one of your supervisors in this program.", field="supervisor")
    unknown = sorted(set(topics) - known_topics(org))
    if unknown:
        raise Refused(f"Unknown topic(s): {', '.join(unknown)}.", field="topics")
    if kind == "group_consultation":
        if group_size is None or group_size < 2:
            raise Refused(
                "Give the group's size (2 or more people) for a group consultation.", field="group_size"
            )
        limits = [
            r.max_group_size.value
            for s in enabled_sets(program_of(org)) for r in s.requirements
            if r.max_group_size is not None and r.max_group_size.value is not None
        ]  # fmt: skip
        if limits and group_size > max(limits):
            raise Refused(
                f"A group of {group_size} is larger than any enabled requirement set allows "
                f"(at most {max(limits):g}); such hours would not count.",
                field="group_size",
            )
    else:
        group_size = None
    if kind not in SESSION_KINDS:
        session_kind, client_id = "", None
    elif session_kind not in LedgerEntry.SessionKind.values:
        raise Refused("Choose the kind of session.", field="session_kind")
    if client_id is not None and not clients_scoped(actor, "client.view").filter(pk=client_id).exists():
        raise Refused("Choose a client whose care team you are on.", field="client")
    same_day = LedgerEntry.objects.filter(trainee_id=me, occurred_on=occurred_on, reverses__isnull=True)
    same_day = same_day.exclude(status=LedgerEntry.Status.RETURNED)
    if same_day.filter(kind=kind, minutes=minutes, description=description.strip()).exists():
        raise Refused("The same entry is already logged for that day.", field="occurred_on")
    if starts_at is not None:
        begin = starts_at.hour * 60 + starts_at.minute
        if begin + minutes > DAY_MINUTES:
            raise Refused(
                "An entry ends on the day it starts; log the rest on the next day.", field="minutes"
            )
        timed = same_day.filter(starts_at__isnull=False).values_list("starts_at", "minutes", "kind")
        for other_start, other_minutes, other_kind in timed:
            assert other_start is not None
            other_begin = other_start.hour * 60 + other_start.minute
            if begin < other_begin + other_minutes and other_begin < begin + minutes:
                raise Refused(
                    f"It overlaps the {KIND_LABELS[other_kind].lower()} logged from "
                    f"{other_start:%H:%M} for {other_minutes} minutes that day.",
                    field="starts_at",
                )
    logged = same_day.aggregate(total=Sum("minutes"))["total"] or 0
    if logged + minutes > DAY_MINUTES:
        raise Refused(
            f"That day already has {logged // 60} h {logged % 60} min logged; with this entry it would be "
            "more than 24 hours. Entries for the same person cannot overlap.",
            field="minutes",
        )

    def make() -> LedgerEntry:
        entry = LedgerEntry(
            organization_id=org, trainee_id=me, kind=kind, occurred_on=occurred_on,
            minutes=minutes,
            supervisor_id=supervisor_id, description=description.strip()[:300], topics=list(topics),
            group_size=group_size, online=online, session_kind=session_kind, client_id=client_id,
            starts_at=starts_at, idempotency_key=idempotency_key,
        )  # fmt: skip
        entry.full_clean()
        entry.save()
        return entry

    entry, created = create_once(
        LedgerEntry, key=idempotency_key, owner={"trainee_id": actor.user_id}, make=make
    )
    if created:
        record(actor, "practicum.entry.log", object_type="ledger_entry", object_id=entry.pk,
               client_id=client_id, detail={"kind": kind, "minutes": minutes})  # fmt: skip
    return entry


def _entry_for_review(actor: Actor, entry_id: object) -> LedgerEntry:
    scoped = LedgerEntry.objects.filter(
        organization_id=actor.organization_id or -1, trainee_id__in=supervised_ids(actor)
    )
    return scoped_get(
        actor, scoped.select_for_update(), entry_id, action="practicum.verify", object_type="ledger_entry",
        audit_read=False,
    )  # fmt: skip


@transaction.atomic
def entry_review(
    actor: Actor, *, entry_id: int, decision: str, comment: str = "", version: int | None
) -> LedgerEntry:
    """The named supervisor verifies an entry (it becomes immutable) or returns it with a comment."""
    org, me = _require(actor, "practicum.verify")
    entry = _entry_for_review(actor, entry_id)
    if entry.trainee_id == me:
        raise Refused("Nobody verifies their own hours.")
    if entry.supervisor_id != me:
        raise Refused("Only the supervisor the trainee named can verify or return this entry.")
    if entry.status != LedgerEntry.Status.PENDING:
        raise Refused(f"This entry is already {entry.get_status_display().lower()}.")
    check_version(current=entry.version, submitted=version, record=entry)
    if decision not in ("verify", "return"):
        raise Refused("Choose verify or return.", field="decision")
    comment = comment.strip()
    if decision == "return" and not comment:
        raise Refused("Say why you return it, so the trainee can correct it.", field="comment")
    entry.status = LedgerEntry.Status.VERIFIED if decision == "verify" else LedgerEntry.Status.RETURNED
    entry.reviewed_by_id = me
    entry.reviewed_at = timezone.now()
    entry.review_comment = comment
    entry.version += 1
    entry.full_clean()
    entry.save()
    record(actor, f"practicum.entry.{decision}", object_type="ledger_entry", object_id=entry.pk,
           client_id=entry.client_id, detail={"trainee": entry.trainee_id})  # fmt: skip
    return entry


@transaction.atomic
def entry_reverse(actor: Actor, *, entry_id: int, reason: str) -> LedgerEntry:
    """A verified entry is corrected by a new entry that reverses it (verified by the same supervisor)."""
    org, me = _require(actor, "practicum.own")
    mine = LedgerEntry.objects.filter(organization_id=org, trainee_id=me)
    entry = scoped_get(actor, mine.select_for_update(), entry_id, action="practicum.own",
                       object_type="ledger_entry", audit_read=False)  # fmt: skip
    if entry.status != LedgerEntry.Status.VERIFIED or entry.reverses_id is not None:
        raise Refused("Only a verified entry is corrected by reversing it; a pending one waits for review.")
    if LedgerEntry.objects.filter(reverses=entry).exclude(status=LedgerEntry.Status.RETURNED).exists():
        raise Refused("This entry already has a reversal.")
    reason = reason.strip()
    if not reason:
        raise Refused("Say what was wrong with the entry.", field="reason")
    reversal = LedgerEntry.objects.create(
        organization_id=org, trainee_id=me, kind=entry.kind, occurred_on=entry.occurred_on,
        minutes=entry.minutes, supervisor_id=entry.supervisor_id, reverses=entry,
        description=f"Reverses entry {entry.pk}: {reason}"[:300], topics=entry.topics,
        group_size=entry.group_size, online=entry.online, session_kind=entry.session_kind,
        client_id=entry.client_id,
    )  # fmt: skip
    record(actor, "practicum.entry.reverse", object_type="ledger_entry", object_id=reversal.pk,
           detail={"reverses": entry.pk})  # fmt: skip
    return reversal


@transaction.atomic
def meeting_record(
    actor: Actor,
    *,
    attendee_ids: list[int],
    occurred_on: dt.date,
    minutes: int,
    topics: str,
    actions: str = "",
) -> SupervisionMeeting:
    """A supervision meeting; it counts as consultation hours for each trainee who attended."""
    org, me = _require(actor, "practicum.meeting")
    _check_hours(occurred_on=occurred_on, minutes=minutes)
    attendees = set(attendee_ids)
    if not attendees:
        raise Refused("Choose who attended.", field="attendees")
    if not attendees <= set(supervised_ids(actor)):
        raise Refused("Only trainees you supervise can be recorded as attending.", field="attendees")
    if not topics.strip():
        raise Refused("Say what the meeting covered.", field="topics")
    meeting = SupervisionMeeting.objects.create(
        organization_id=org, supervisor_id=me, occurred_on=occurred_on, minutes=minutes,
        topics=topics.strip(), actions=actions.strip(),
    )  # fmt: skip
    meeting.attendees.set(User.objects.filter(pk__in=attendees))
    record(actor, "practicum.meeting.record", object_type="supervision_meeting", object_id=meeting.pk,
           detail={"attendees": sorted(attendees), "minutes": minutes})  # fmt: skip
    return meeting


@transaction.atomic
def fact_record(actor: Actor, *, trainee_id: int, fact: str, value: bool) -> None:
    """A supervisor records a fact a requirement set asks (an exam passed, a paper accepted)."""

    org, me = _require(actor, "practicum.trainee")
    scoped = User.objects.filter(pk__in=supervised_ids(actor))
    trainee = scoped_get(actor, scoped, trainee_id, action="practicum.trainee", object_type="trainee",
                         audit_read=False)  # fmt: skip
    known = {f for s in enabled_sets(program_of(org)) for f in s.facts}
    if fact not in known:
        raise Refused("That is not a fact any enabled requirement set asks for.", field="fact")
    Fact.objects.create(organization_id=org, trainee=trainee, fact=fact, value=value, recorded_by_id=me)
    record(actor, "practicum.fact.record", object_type="trainee", object_id=trainee.pk,
           detail={"fact": fact, "value": value})  # fmt: skip
