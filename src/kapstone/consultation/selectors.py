"""Reads of consultation: scoped to the acting person, audited, 404 for missing or not yours.

A group is its members' (the facilitator is one); a posted case is readable by its group's members
and its author, and only as its latest reviewed snapshot. A draft or a returned case is its author's.
Nothing here hands a member the case's source, its proposals or its client.
"""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from kapstone.access.policy import allows
from kapstone.access.scoping import scoped_get
from kapstone.accounts.models import User
from kapstone.consultation.models import (
    Attendance,
    Case,
    CaseSnapshot,
    ConsultationGroup,
    Feedback,
    Meeting,
)
from kapstone.core.actor import Actor
from kapstone.lib.hours import EarnedHours


def _org(actor: Actor) -> int:
    return actor.organization_id if actor.organization_id is not None else -1


def _me(actor: Actor) -> int:
    return actor.user_id if actor.user_id is not None else -1


def groups_of(actor: Actor) -> QuerySet[ConsultationGroup]:
    """Groups of the active organization the actor belongs to (as a member or the facilitator)."""
    if not allows(actor, "consultation.view") and not allows(actor, "consultation.group.manage"):
        return ConsultationGroup.objects.none()
    qs = ConsultationGroup.objects.filter(organization_id=_org(actor))
    if allows(actor, "consultation.group.manage"):
        return qs
    return qs.filter(Q(members__user_id=_me(actor)) | Q(facilitator_id=_me(actor))).distinct()


def group_get(actor: Actor, pk: object) -> ConsultationGroup:
    return scoped_get(
        actor, groups_of(actor), pk, action="consultation.group.view", object_type="consult_group"
    )


def member_ids(group: ConsultationGroup) -> set[int]:
    return {*group.members.values_list("user_id", flat=True), group.facilitator_id}


def _member_cases(actor: Actor) -> QuerySet[Case]:
    """Cases a member may read: posted or closed, in a group the actor belongs to."""
    groups = ConsultationGroup.objects.filter(organization_id=_org(actor)).filter(
        Q(members__user_id=_me(actor)) | Q(facilitator_id=_me(actor))
    )
    return Case.objects.filter(
        organization_id=_org(actor),
        status__in=[Case.Status.POSTED, Case.Status.CLOSED],
        group__in=groups.values("pk"),
    )


def readable_cases(actor: Actor) -> QuerySet[Case]:
    if not allows(actor, "consultation.view"):
        return Case.objects.none()
    own = Case.objects.filter(organization_id=_org(actor), author_id=_me(actor))
    return (_member_cases(actor) | own).distinct()


def case_get(actor: Actor, pk: object) -> Case:
    """A case to read (a member's view: the snapshot, the thread). Audited, with no client id."""
    return scoped_get(
        actor,
        readable_cases(actor).select_related("group"),
        pk,
        action="consultation.case.view",
        object_type="consult_case",
    )


def case_for_author(actor: Actor, pk: object, *, action: str = "consultation.case.review") -> Case:
    """The author's own case (review, post): the source is read, so the audit row names the client."""
    qs = Case.objects.filter(organization_id=_org(actor), author_id=_me(actor)).select_related("client")
    return scoped_get(actor, qs, pk, action=action, object_type="consult_case", client_of="client")


def case_for_member_action(actor: Actor, pk: object, *, action: str) -> Case:
    """A posted case a member acts on (feedback, flag): posted, in one of the actor's groups."""
    qs = (
        _member_cases(actor).filter(status=Case.Status.POSTED)
        if allows(actor, action)
        else Case.objects.none()
    )
    return scoped_get(
        actor, qs.select_related("group"), pk, action=action, object_type="consult_case", audit_read=False
    )


def latest_snapshot(case: Case) -> CaseSnapshot | None:
    return case.snapshots.order_by("-posted_at", "-pk").first()


def thread(case: Case) -> list[Feedback]:
    return list(case.feedback.select_related("author").order_by("created_at", "pk"))


def my_cases(actor: Actor) -> list[Case]:
    return list(
        Case.objects.filter(organization_id=_org(actor), author_id=_me(actor))
        .select_related("group")
        .order_by("-created_at", "-pk")[:100]
    )


def group_cases(group: ConsultationGroup) -> list[Case]:
    return list(group.cases.filter(status__in=[Case.Status.POSTED, Case.Status.CLOSED]).order_by("-pk")[:100])


def group_meetings(group: ConsultationGroup) -> list[Meeting]:
    return list(group.meetings.prefetch_related("attendance").order_by("-held_on", "-pk")[:50])


def member_users(group: ConsultationGroup) -> list[User]:
    return list(User.objects.filter(pk__in=member_ids(group)).order_by("full_name", "pk"))


def earned_hours(user: User) -> list[EarnedHours]:
    """Attended consultation meetings as group-consultation hours, for the practicum ledger."""
    rows = list(
        Attendance.objects.filter(user=user)
        .select_related("meeting", "meeting__group")
        .order_by("meeting__held_on", "meeting_id")
    )
    sizes = dict(
        Attendance.objects.filter(meeting_id__in=[r.meeting_id for r in rows])
        .values_list("meeting_id")
        .annotate(n=Count("pk"))
        .values_list("meeting_id", "n")
    )
    hours: list[EarnedHours] = []
    for row in rows:
        meeting = row.meeting
        size = sizes.get(meeting.pk, 1)
        hours.append(
            EarnedHours(
                source="consultation.meeting",
                source_id=str(meeting.pk),
                kind="group_consultation",
                minutes=meeting.minutes,
                occurred_on=meeting.held_on,
                label=f"Case consultation: {meeting.group.name}",
                supervisor_id=meeting.group.facilitator_id,
                group_size=size,
            )
        )
    return hours
