"""Treatment courses: start and edit (ending a course needs a reason)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction

from kapstone.care import catalog, hooks
from kapstone.care.models import (
    CareSession,
    Course,
    ProtocolVersion,
)
from kapstone.care.protocol_core import (
    ProtocolError,
)
from kapstone.care.services._common import (
    _audit,
    _authorize,
    _now,
    _user,
    stale,
)
from kapstone.clients.models import Client
from kapstone.core.actor import Actor

if TYPE_CHECKING:
    from kapstone.accounts.models import User

# --------------------------------------------------------------------------------------------------
# Courses and sessions
# --------------------------------------------------------------------------------------------------


def course_start(
    actor: Actor,
    client: Client,
    protocol: ProtocolVersion,
    *,
    indication: str = "",
    goals: str = "",
    prescriber: User | None = None,
) -> Course:
    _authorize(actor, "course.manage", client)
    if protocol.organization_id != client.organization_id:
        raise ValidationError({"protocol": "That protocol is not installed in this organization."})
    if not protocol.is_active:
        raise ValidationError({"protocol": "That protocol version is retired: choose a current one."})
    try:
        catalog.parse_stored(protocol.text, str(protocol))
    except ProtocolError as exc:  # pragma: no cover - stored versions were validated on the way in
        raise ValidationError({"protocol": f"The stored protocol cannot be read: {exc}"}) from exc
    if (
        prescriber is not None
        and not client.care_team.filter(user=prescriber, team_role="prescriber").exists()
    ):
        raise ValidationError({"prescriber": "The prescriber must be on the client's care team."})
    with transaction.atomic():
        if Course.objects.select_for_update().filter(client=client, status__in=Course.OPEN_STATUSES).exists():
            raise ValidationError("This client already has an open course: complete or close it first.")
        course = Course.objects.create(
            organization_id=client.organization_id,
            client=client,
            protocol=protocol,
            protocol_key=protocol.protocol_id,
            protocol_version=protocol.version,
            indication=indication.strip(),
            goals=goals.strip(),
            prescriber=prescriber,
            started_by=_user(actor),
        )
        _audit(
            actor, "course.start", course, client.pk, protocol=protocol.protocol_id, version=protocol.version
        )
        # The client's cohort for program outcomes is their latest course's protocol.
        hooks.cohort_changed(client.pk)
    return course


def course_update(
    actor: Actor,
    course: Course,
    *,
    expected_version: int,
    status: str | None = None,
    indication: str | None = None,
    goals: str | None = None,
    end_reason: str = "",
) -> Course:
    """Edit the course (indication, goals, status; ``None`` leaves one as it is). Moving to
    completed/closed needs a reason. Saved since ``expected_version``: ``Stale``."""
    _authorize(actor, "course.manage", course.client)
    status = course.status if status is None else status
    if status not in Course.Status.values:
        raise ValidationError({"status": "Unknown status."})
    reason = end_reason.strip()
    ending = status in (Course.Status.COMPLETED, Course.Status.CLOSED)
    if ending and not reason:
        raise ValidationError(
            {"end_reason": "Say why the course ends (outcome, or the reason for closing early)."}
        )
    changes: dict[str, Any] = {
        "indication": (course.indication if indication is None else indication).strip(),
        "goals": (course.goals if goals is None else goals).strip(),
        "status": status,
        "end_reason": reason if ending else "",
        "ended_at": (course.ended_at or _now()) if ending else None,
    }
    with transaction.atomic():
        if (
            ending
            and CareSession.objects.filter(course=course, status=CareSession.Status.IN_PROGRESS).exists()
        ):
            raise ValidationError({"status": "A session of this course is in progress: finish it first."})
        updated = Course.objects.filter(pk=course.pk, version=expected_version).update(
            **changes, version=expected_version + 1
        )
        if not updated:
            raise stale(Course.objects.get(pk=course.pk), expected_version)
        _audit(actor, "course.edit", course, course.client_id, status=status)
    course.refresh_from_db()
    return course
