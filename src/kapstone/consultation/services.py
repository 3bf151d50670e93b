"""Writes of consultation: one service per action, keyword-only, audited in the same transaction.

The road of a case: ``case_create`` (from a client the author's care team holds; the engine runs
and every proposal is stored) -> ``case_review`` (the author decides each proposal) ->
``case_post`` (refused while anything is undecided, a flag unresolved, or a value of the record
still in the text; on success an immutable snapshot) -> members' ``feedback_add`` -> a member's
``case_flag`` hides it at once and returns it to the author -> the facilitator's ``case_close``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from kapstone.access.policy import allows
from kapstone.accounts.models import Membership, User
from kapstone.audit.services import record
from kapstone.clients.models import Client
from kapstone.clients.selectors import clients_scoped
from kapstone.consultation import selectors
from kapstone.consultation.models import (
    Attendance,
    Case,
    CaseSnapshot,
    ConsultationGroup,
    Feedback,
    GroupMember,
    Meeting,
    Proposal,
)
from kapstone.consultation.record import known_for, source_text
from kapstone.core.actor import Actor
from kapstone.core.contract import NotYours, Refused
from kapstone.deid import deidentify
from kapstone.deid.known import known_hits
from kapstone.deid.types import Result
from kapstone.notes.models import ProgressNote

MAX_SOURCE = 40_000
MAX_FEEDBACK = 5_000
REMOVED = "[REMOVED]"
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _who(actor: Actor) -> tuple[User, int]:
    """The acting user and their active organization; without both, nothing here is theirs."""
    if actor.user is None or actor.organization_id is None:
        raise NotYours
    return actor.user, actor.organization_id


def _plain(text: str, *, limit: int, field: str, what: str) -> str:
    """Plain text as typed (markup is escaped where it is shown, never interpreted), control
    characters removed; refused when empty or too long."""
    text = CONTROL.sub("", text.replace("\r\n", "\n")).strip()
    if not text:
        raise Refused(f"Write the {what} first.", field=field)
    if len(text) > limit:
        raise Refused(f"The {what} is {len(text):,} characters; the limit is {limit:,}.", field=field)
    return text


# --- Groups and meetings ------------------------------------------------------------------------------


def group_create(
    actor: Actor,
    *,
    name: str,
    facilitator: User,
    max_members: int = 6,
    minutes_per_case: int = 20,
    schedule: str = "",
) -> ConsultationGroup:
    if not allows(actor, "consultation.group.manage"):
        raise NotYours
    _, org_id = _who(actor)
    name = _plain(name, limit=120, field="name", what="group's name")
    if not Membership.objects.filter(user=facilitator, organization_id=org_id).exists():
        raise Refused("The facilitator must be a member of this organization.", field="facilitator")
    if not 2 <= max_members <= 30:
        raise Refused("A group has between 2 and 30 members.", field="max_members")
    with transaction.atomic():
        if ConsultationGroup.objects.filter(organization_id=org_id, name=name).exists():
            raise Refused("A group with this name already exists.", field="name")
        group = ConsultationGroup.objects.create(
            organization_id=org_id,
            name=name,
            facilitator=facilitator,
            max_members=max_members,
            minutes_per_case=minutes_per_case,
            schedule=schedule.strip()[:200],
        )
        GroupMember.objects.create(group=group, user=facilitator)
        record(actor, "consultation.group.create", object_type="consult_group", object_id=group.pk)
    return group


def member_add(actor: Actor, *, group: ConsultationGroup, user: User) -> GroupMember:
    if not allows(actor, "consultation.group.manage") or group.organization_id != actor.organization_id:
        raise NotYours
    if not Membership.objects.filter(user=user, organization_id=group.organization_id).exists():
        raise Refused("Only members of this organization can join its consultation groups.", field="user")
    with transaction.atomic():
        ConsultationGroup.objects.select_for_update().filter(pk=group.pk).first()
        if group.members.filter(user=user).exists():
            raise Refused("Already a member of this group.", field="user")
        if group.members.count() >= group.max_members:
            raise Refused(f"This group is full ({group.max_members} members).", field="user")
        member = GroupMember.objects.create(group=group, user=user)
        record(
            actor,
            "consultation.group.member_add",
            object_type="consult_group",
            object_id=group.pk,
            detail={"user": user.pk},
        )
    return member


def meeting_record(
    actor: Actor, *, group: ConsultationGroup, held_on: dt.date, minutes: int, attendees: Sequence[User]
) -> Meeting:
    """The facilitator records a meeting and who attended (members only): group-consultation hours."""
    if group.facilitator_id != actor.user_id or group.organization_id != actor.organization_id:
        raise NotYours
    if not 1 <= minutes <= 600:
        raise Refused("A meeting lasts between 1 and 600 minutes.", field="minutes")
    if held_on > timezone.localdate():
        raise Refused("A meeting is recorded after it took place.", field="held_on")
    me, _ = _who(actor)
    allowed = selectors.member_ids(group)
    if not attendees or any(u.pk not in allowed for u in attendees):
        raise Refused("Choose who attended, from the group's members.", field="attendees")
    with transaction.atomic():
        meeting = Meeting.objects.create(group=group, held_on=held_on, minutes=minutes, recorded_by=me)
        Attendance.objects.bulk_create([Attendance(meeting=meeting, user=u) for u in attendees])
        record(
            actor,
            "consultation.meeting.record",
            object_type="consult_meeting",
            object_id=meeting.pk,
            detail={"group": group.pk, "attendees": len(attendees), "minutes": minutes},
        )
    return meeting


# --- Cases ---------------------------------------------------------------------------------------------


def case_create(actor: Actor, *, client: Client, summary: str, note_ids: Sequence[int]) -> Case:
    """A draft case from the client's record; the engine's proposals stored for the author to decide."""
    if not clients_scoped(actor, "consultation.case.create").filter(pk=client.pk).exists():
        raise NotYours
    me, org_id = _who(actor)
    summary = _plain(summary, limit=MAX_SOURCE, field="summary", what="summary and question")
    # Signed progress notes of this client only (never a draft, never a psychotherapy note).
    notes = list(
        ProgressNote.objects.filter(client=client, pk__in=list(note_ids), signed_at__isnull=False).order_by(
            "created_at", "pk"
        )
    )
    if len(notes) != len(set(note_ids)):
        raise Refused("Choose signed progress notes of this client.", field="notes")
    text = source_text(summary, notes)
    if len(text) > MAX_SOURCE:
        raise Refused(f"The case is {len(text):,} characters; the limit is {MAX_SOURCE:,}.", field="notes")
    result = deidentify(text, known_for(client, notes), today=timezone.localdate())
    with transaction.atomic():
        case = Case.objects.create(
            organization_id=org_id,
            author=me,
            client=client,
            source_text=text,
            note_ids=[n.pk for n in notes],
            engine_version=result.version,
        )
        _store_proposals(case, result)
        record(
            actor,
            "consultation.case.create",
            object_type="consult_case",
            object_id=case.pk,
            client_id=client.pk,
            detail={"notes": len(notes), "proposals": case.proposals.count(), "held": result.held},
        )
    return case


def _store_proposals(case: Case, result: object) -> None:

    assert isinstance(result, Result)
    rows: list[Proposal] = []
    unclassified = {(f.start, f.end) for f in result.flags if f.kind == "unclassified"}
    for span in result.spans:
        if (span.start, span.end) in unclassified:
            continue  # the flag below carries it
        rows.append(
            Proposal(
                case=case,
                kind=Proposal.Kind.REDACTION,
                cls=span.cls,
                start=span.start,
                end=span.end,
                why=span.why[:200],
                suggested=span.replacement,
                confidence=span.confidence,
                source=span.source,
            )
        )
    for flag in result.flags:
        suggested = "[ID]" if flag.kind == "unclassified" else REMOVED
        rows.append(
            Proposal(
                case=case,
                kind=Proposal.Kind.FLAG,
                cls="other" if flag.kind == "unclassified" else "quasi_identifier",
                start=flag.start,
                end=flag.end,
                why=flag.why[:200],
                suggested=suggested,
                source=flag.kind,
            )
        )
    rows.sort(key=lambda p: (p.start, p.end))
    for position, row in enumerate(rows):
        row.position = position
    Proposal.objects.bulk_create(rows)


def case_redact_more(actor: Actor, *, case: Case, phrase: str) -> int:
    """The author redacts what the engine missed: every occurrence of ``phrase`` (any case) becomes
    a redaction proposal, decided as accepted. Returns how many were added."""
    if case.author_id != actor.user_id or case.organization_id != actor.organization_id:
        raise NotYours
    if not case.editable:
        raise Refused("This case is posted; it changes only if it comes back to you.", code="posted")
    phrase = _plain(phrase, limit=200, field="phrase", what="text to redact")
    taken = [(p.start, p.end) for p in case.proposals.all()]
    found = [m.span() for m in re.finditer(re.escape(phrase), case.source_text, re.IGNORECASE)]
    new = [(a, b) for a, b in found if not any(x <= a and b <= y for x, y in taken)]
    if not found:
        raise Refused("That text does not appear in the case.", field="phrase")
    with transaction.atomic():
        top = case.proposals.order_by("-position").values_list("position", flat=True).first() or 0
        grown: list[tuple[int, int]] = []
        for a, b in new:  # a wider span takes in the proposals it overlaps, never exposing a part of one
            inside = list(case.proposals.filter(start__lt=b, end__gt=a))
            grown.append((min([a, *(p.start for p in inside)]), max([b, *(p.end for p in inside)])))
            case.proposals.filter(pk__in=[p.pk for p in inside]).delete()
        new = grown
        Proposal.objects.bulk_create(
            [
                Proposal(
                    case=case,
                    position=top + 1 + i,
                    kind=Proposal.Kind.REDACTION,
                    cls="other",
                    start=a,
                    end=b,
                    why="redacted by the author",
                    suggested="[REDACTED]",
                    source="author",
                    decision=Proposal.Decision.ACCEPT,
                )
                for i, (a, b) in enumerate(new)
            ]
        )
        record(
            actor,
            "consultation.case.redact",
            object_type="consult_case",
            object_id=case.pk,
            client_id=case.client_id,
            detail={"added": len(new)},
        )
    return len(new)


REDACTION_DECISIONS = {Proposal.Decision.ACCEPT, Proposal.Decision.EDIT, Proposal.Decision.KEEP}
FLAG_DECISIONS = {Proposal.Decision.REMOVE, Proposal.Decision.GENERALISE, Proposal.Decision.KEEP}


@dataclass(frozen=True)
class Decision:
    decision: str
    replacement: str = ""
    reason: str = ""


def case_review(
    actor: Actor, *, case: Case, decisions: Mapping[int, Decision], expected_version: int
) -> Case:
    """The author's decision on each proposal (by id). A stale review is refused, the typed text kept."""
    if case.author_id != actor.user_id or case.organization_id != actor.organization_id:
        raise NotYours
    if not case.editable:
        raise Refused("This case is posted; it changes only if it comes back to you.", code="posted")
    proposals = {p.pk: p for p in case.proposals.all()}
    for pk, chosen in decisions.items():
        proposal = proposals.get(pk)
        if proposal is None:
            raise Refused("A decision names something this case does not propose.")
        _check_decision(proposal, chosen, case.source_text)
    with transaction.atomic():
        case.claim_version(expected_version)
        for pk, chosen in decisions.items():
            p = proposals[pk]
            p.decision, p.replacement, p.reason = (
                chosen.decision,
                chosen.replacement.strip(),
                chosen.reason.strip(),
            )
        Proposal.objects.bulk_update(
            [proposals[pk] for pk in decisions], ["decision", "replacement", "reason"]
        )
        record(
            actor,
            "consultation.case.review",
            object_type="consult_case",
            object_id=case.pk,
            client_id=case.client_id,
            detail={"decisions": len(decisions)},
        )
    return case


def _check_decision(p: Proposal, chosen: Decision, source: str) -> None:
    field = f"p{p.pk}"
    allowed = REDACTION_DECISIONS if p.kind == Proposal.Kind.REDACTION else FLAG_DECISIONS
    if chosen.decision == "":
        return
    if chosen.decision not in allowed:
        raise Refused(f"Choose one of the offered decisions for “{p.suggested}”.", field=field)
    if chosen.decision == Proposal.Decision.KEEP:
        if p.source == "known":
            raise Refused(
                f"This is a {p.cls.replace('_', ' ')} from the client's record; it cannot be kept. "
                "Accept the placeholder or write your own.",
                field=field,
            )
        if len(chosen.reason.strip()) < 5:
            raise Refused("Say why this can stay (a few words at least).", field=field)
    if chosen.decision in {Proposal.Decision.EDIT, Proposal.Decision.GENERALISE}:
        text = chosen.replacement.strip()
        if not text or len(text) > 120:
            raise Refused("Write the replacement (up to 120 characters).", field=field)
        if text.lower() == source[p.start : p.end].strip().lower():
            raise Refused(
                "The replacement is the original text; choose keep (with a reason) instead.", field=field
            )


def final_text(case: Case) -> str:
    """The source with every decision applied, in order."""
    out: list[str] = []
    at = 0
    for p in case.proposals.order_by("start", "end", "position"):
        if p.start < at:  # overlaps the previous decision's span: its tail stays hidden too
            at = max(at, p.end)
            continue
        out.append(case.source_text[at : p.start])
        original = case.source_text[p.start : p.end]
        chosen: dict[str, str] = {
            "accept": p.suggested,
            "edit": p.replacement,
            "generalise": p.replacement,
            "remove": REMOVED,
            "keep": original,
        }
        out.append(chosen.get(str(p.decision), p.suggested))
        at = p.end
    out.append(case.source_text[at:])
    return "".join(out)


def undecided(case: Case) -> list[Proposal]:
    return list(case.proposals.filter(decision=""))


def case_post(actor: Actor, *, case: Case, group: ConsultationGroup, expected_version: int) -> CaseSnapshot:
    """Post the reviewed text to a group the author belongs to. Held while anything is undecided."""
    if case.author_id != actor.user_id or case.organization_id != actor.organization_id:
        raise NotYours
    if not case.editable:
        raise Refused("This case is already posted.", code="posted")
    if group.organization_id != case.organization_id or actor.user_id not in selectors.member_ids(group):
        raise Refused("Post to a consultation group you belong to.", field="group")
    pending = undecided(case)
    if pending:
        flags = sum(p.kind == Proposal.Kind.FLAG for p in pending)
        raise Refused(
            f"Held: {len(pending)} proposal(s) still need your decision"
            f"{f', {flags} of them flags' if flags else ''}.",
            code="held",
        )
    text = final_text(case)
    # Fail closed: nothing the record knows may be left, whatever the decisions were.
    notes = ProgressNote.objects.filter(pk__in=case.note_ids)
    left = known_hits(text, known_for(case.client, notes))
    if left:
        classes = sorted({h.cls.replace("_", " ") for h in left})
        raise Refused(
            f"Held: the text still holds a value from the client's record ({', '.join(classes)}). "
            "Check your own wording.",
            code="held",
        )
    me, _ = _who(actor)
    with transaction.atomic():
        case.claim_version(expected_version)
        snapshot = CaseSnapshot.objects.create(
            case=case, text=text, engine_version=case.engine_version, posted_by=me
        )
        Case.objects.filter(pk=case.pk).update(
            status=Case.Status.POSTED, group=group, flagged_at=None, flagged_by=None, flag_reason=""
        )
        record(
            actor,
            "consultation.case.post",
            object_type="consult_case",
            object_id=case.pk,
            client_id=case.client_id,
            detail={"group": group.pk, "snapshot": snapshot.pk, "engine": case.engine_version},
        )
    case.refresh_from_db()
    return snapshot


def feedback_add(actor: Actor, *, case: Case, body: str) -> Feedback:
    if case.status != Case.Status.POSTED or case.group_id is None:
        raise Refused("Feedback is closed on this case.", code="closed")
    me, _ = _who(actor)
    body = _plain(body, limit=MAX_FEEDBACK, field="body", what="feedback")
    with transaction.atomic():
        fb = Feedback.objects.create(case=case, author=me, body=body)
        record(actor, "consultation.feedback.add", object_type="consult_case", object_id=case.pk)
    return fb


def case_flag(actor: Actor, *, case: Case, reason: str) -> Case:
    """A member says the case holds an identifier: hidden from the group at once, back to its author."""
    reason = _plain(reason, limit=500, field="reason", what="reason")
    with transaction.atomic():
        updated = Case.objects.filter(pk=case.pk, status=Case.Status.POSTED).update(
            status=Case.Status.RETURNED, flagged_at=timezone.now(), flagged_by=actor.user, flag_reason=reason
        )
        if not updated:
            raise Refused("This case is no longer posted.", code="not_posted")
        record(actor, "consultation.case.flag", object_type="consult_case", object_id=case.pk)
    case.refresh_from_db()
    return case


def case_close(actor: Actor, *, case: Case) -> Case:
    if case.group is None or case.group.facilitator_id != actor.user_id:
        raise NotYours
    with transaction.atomic():
        updated = Case.objects.filter(pk=case.pk, status=Case.Status.POSTED).update(
            status=Case.Status.CLOSED, closed_at=timezone.now()
        )
        if not updated:
            raise Refused("Only a posted case can be closed.", code="not_posted")
        record(actor, "consultation.case.close", object_type="consult_case", object_id=case.pk)
    case.refresh_from_db()
    return case
