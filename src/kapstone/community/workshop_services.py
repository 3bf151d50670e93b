"""Workshop actions: one service per action, each one transaction with its audit row; mail on commit.

The waitlist works as pretix's does: when a place frees, the next person in line gets a place held
for ``hold_hours`` and a mail; a hold not claimed in time passes to the next person. Expired holds
are settled whenever the workshop is touched (and by ``holds_expire_all`` from a scheduled task), so
no state depends on a background worker having run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from functools import partial
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone

from kapstone.access.scoping import scoped_get
from kapstone.audit.services import record
from kapstone.community.common import member_ids
from kapstone.community.models import CalendarFeed, Registration, Workshop
from kapstone.community.workshop_ics import workshop_ics
from kapstone.core.actor import Actor
from kapstone.core.contract import Refused, check_version

R = Registration.Status


def workshop_find(actor: Actor, pk: object, *, action: str, audit_read: bool = False) -> Workshop:
    """A workshop of the actor's organization; another organization's is a 404, audited."""
    scoped = Workshop.objects.filter(organization_id=member_ids(actor)[1])
    return scoped_get(actor, scoped, pk, action=action, object_type="workshop", audit_read=audit_read)


def _mail(subject: str, body: str, to: list[str], ics: bytes | None = None, method: str = "PUBLISH") -> None:
    message = EmailMessage(subject=subject, body=body, to=to)
    if ics is not None:
        message.attach("workshop.ics", ics, f"text/calendar; method={method}; charset=utf-8")
    message.send(fail_silently=False)


def _on_commit_mail(
    subject: str, body: str, to: list[str], ics: bytes | None = None, method: str = ""
) -> None:
    if to:
        transaction.on_commit(partial(_mail, subject, body, to, ics, method or "PUBLISH"))


def _check_times(starts_at: dt.datetime, ends_at: dt.datetime, time_zone: str, capacity: int) -> None:
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Refused(
            f"“{time_zone}” is not a time zone we know (e.g. America/Denver).", field="time_zone"
        ) from None
    if ends_at <= starts_at:
        raise Refused("The workshop must end after it starts.", field="ends_at")
    if capacity < 1:
        raise Refused("Capacity must be at least 1.", field="capacity")


def workshop_create(
    actor: Actor,
    *,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    capacity: int,
    time_zone: str = "America/Denver",
    description: str = "",
    location: str = "",
    topics: Iterable[str] = (),
    hold_hours: int = 24,
) -> Workshop:
    user_id, org_id = member_ids(actor)
    _check_times(starts_at, ends_at, time_zone, capacity)
    if not title.strip():
        raise Refused("A workshop needs a title.", field="title")
    with transaction.atomic():
        workshop = Workshop.objects.create(
            organization_id=org_id,
            host_id=user_id,
            title=title.strip(),
            description=description.strip(),
            location=location.strip(),
            topics=sorted({t.strip() for t in topics if t.strip()}),
            starts_at=starts_at,
            ends_at=ends_at,
            time_zone=time_zone,
            capacity=capacity,
            hold_hours=max(1, hold_hours),
        )
        record(
            actor, "workshop.host", object_type="workshop", object_id=workshop.pk, detail={"event": "create"}
        )
    return workshop


def _host_find(actor: Actor, pk: object) -> Workshop:
    """A workshop the actor hosts; anyone else's is the same audited 404 as a missing one."""
    user_id, org_id = member_ids(actor)
    scoped = Workshop.objects.filter(organization_id=org_id, host_id=user_id)
    return scoped_get(actor, scoped, pk, action="workshop.host", object_type="workshop", audit_read=False)


host_workshop_get = _host_find


def _registered_emails(workshop: Workshop) -> list[str]:
    rows = workshop.registrations.filter(status__in=Registration.TAKES_A_PLACE).select_related("user")
    return [r.user.email for r in rows]


def workshop_update(
    actor: Actor,
    *,
    workshop_pk: object,
    expected_version: int | None,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    capacity: int,
    time_zone: str,
    description: str = "",
    location: str = "",
    topics: Iterable[str] = (),
) -> Workshop:
    """Change a workshop: SEQUENCE grows so calendars update the event; a larger capacity promotes
    from the waitlist; a smaller one never removes anyone already registered."""
    workshop = _host_find(actor, workshop_pk)
    if workshop.is_cancelled:
        raise Refused("A cancelled workshop cannot be changed.")
    _check_times(starts_at, ends_at, time_zone, capacity)
    with transaction.atomic():
        workshop = Workshop.objects.select_for_update().get(pk=workshop.pk)
        check_version(current=workshop.version, submitted=expected_version, record=workshop)
        workshop.title, workshop.description, workshop.location = title.strip(), description.strip(), location
        workshop.starts_at, workshop.ends_at, workshop.time_zone = starts_at, ends_at, time_zone
        workshop.capacity = capacity
        workshop.topics = sorted({t.strip() for t in topics if t.strip()})
        workshop.sequence += 1
        workshop.version += 1
        workshop.save()
        record(
            actor,
            "workshop.host",
            object_type="workshop",
            object_id=workshop.pk,
            detail={"event": "update", "sequence": workshop.sequence},
        )
        _promote(workshop)
        _on_commit_mail(
            f"Changed: {workshop.title}",
            "The workshop changed; the attached event updates your calendar.",
            _registered_emails(workshop),
            workshop_ics(workshop),
        )
    return workshop


def workshop_cancel(actor: Actor, *, workshop_pk: object) -> Workshop:
    """Cancel: METHOD:CANCEL to everyone registered or waiting, with the same UID and a higher SEQUENCE."""
    workshop = _host_find(actor, workshop_pk)
    with transaction.atomic():
        workshop = Workshop.objects.select_for_update().get(pk=workshop.pk)
        if workshop.is_cancelled:
            raise Refused("This workshop is already cancelled.")
        to = [
            r.user.email
            for r in workshop.registrations.filter(status__in=Registration.ACTIVE).select_related("user")
        ]
        workshop.status = Workshop.Status.CANCELLED
        workshop.sequence += 1
        workshop.version += 1
        workshop.save()
        record(
            actor, "workshop.host", object_type="workshop", object_id=workshop.pk, detail={"event": "cancel"}
        )
        _on_commit_mail(
            f"Cancelled: {workshop.title}",
            "This workshop is cancelled.",
            to,
            workshop_ics(workshop),
            "CANCEL",
        )
    return workshop


def _taken(workshop: Workshop) -> int:
    return workshop.registrations.filter(status__in=Registration.TAKES_A_PLACE).count()


def _promote(workshop: Workshop, now: dt.datetime | None = None) -> list[Registration]:
    """Give free places to the waitlist in order: a hold and a mail each. Inside the caller's transaction."""
    now = now or timezone.now()
    promoted = []
    free = workshop.capacity - _taken(workshop)
    queue = (
        workshop.registrations.filter(status=R.WAITLISTED).select_related("user").order_by("created_at", "pk")
    )
    for registration in queue[: max(free, 0)]:
        registration.status = R.HELD
        registration.hold_until = now + dt.timedelta(hours=workshop.hold_hours)
        registration.save(update_fields=["status", "hold_until"])
        record(
            Actor(user=None, organization=workshop.organization),
            "workshop.register",
            object_type="registration",
            object_id=registration.pk,
            detail={"event": "promoted", "user": registration.user_id},
        )
        _on_commit_mail(
            f"A place is held for you: {workshop.title}",
            f"A place opened. It is held for you until {registration.hold_until:%Y-%m-%d %H:%M} UTC; "
            "claim it on the workshop's page, or it passes to the next person.",
            [registration.user.email],
        )
        promoted.append(registration)
    return promoted


def holds_expire(workshop: Workshop, now: dt.datetime | None = None) -> int:
    """Holds past their time pass on: the hold expires and the next person is promoted."""
    now = now or timezone.now()
    with transaction.atomic():
        expired = workshop.registrations.filter(status=R.HELD, hold_until__lte=now).update(status=R.EXPIRED)
        if expired and not workshop.is_cancelled:
            _promote(workshop, now)
    return expired


def holds_expire_all(now: dt.datetime | None = None) -> int:
    """For a scheduled task: settle every workshop with an expired hold."""
    now = now or timezone.now()
    ids = Registration.objects.filter(status=R.HELD, hold_until__lte=now).values_list(
        "workshop_id", flat=True
    )
    return sum(holds_expire(w, now) for w in Workshop.objects.filter(pk__in=set(ids)))


def register(actor: Actor, *, workshop_pk: object) -> Registration:
    """A place if one is free, otherwise the waitlist. A second registration is refused."""
    user_id, _ = member_ids(actor)
    workshop = workshop_find(actor, workshop_pk, action="workshop.register")
    if workshop.is_cancelled:
        raise Refused("This workshop is cancelled.")
    if workshop.starts_at <= timezone.now():
        raise Refused("This workshop has already started; registration is closed.")
    holds_expire(workshop)
    try:
        with transaction.atomic():
            Workshop.objects.select_for_update().filter(pk=workshop.pk).first()  # queue registrations
            status = R.REGISTERED if _taken(workshop) < workshop.capacity else R.WAITLISTED
            registration = Registration.objects.create(workshop=workshop, user_id=user_id, status=status)
            record(
                actor,
                "workshop.register",
                object_type="registration",
                object_id=registration.pk,
                detail={"workshop": workshop.pk, "status": status},
            )
    except IntegrityError:
        raise Refused("You are already registered or on the waitlist for this workshop.") from None
    return registration


def _mine(workshop: Workshop, user_id: int) -> Registration | None:
    return workshop.registrations.filter(user_id=user_id, status__in=Registration.ACTIVE).first()


def registration_cancel(actor: Actor, *, workshop_pk: object) -> Registration:
    """Give up a place (or leave the waitlist); a freed place goes to the next person."""
    user_id, _ = member_ids(actor)
    workshop = workshop_find(actor, workshop_pk, action="workshop.register")
    with transaction.atomic():
        registration = _mine(workshop, user_id)
        if registration is None:
            raise Refused("You have no registration for this workshop.")
        freed = registration.status in Registration.TAKES_A_PLACE
        registration.status = R.CANCELLED
        registration.save(update_fields=["status"])
        record(
            actor,
            "workshop.register",
            object_type="registration",
            object_id=registration.pk,
            detail={"event": "cancel"},
        )
        if freed and not workshop.is_cancelled:
            _promote(workshop)
    return registration


def hold_claim(actor: Actor, *, workshop_pk: object) -> Registration:
    user_id, _ = member_ids(actor)
    workshop = workshop_find(actor, workshop_pk, action="workshop.register")
    holds_expire(workshop)
    with transaction.atomic():
        registration = _mine(workshop, user_id)
        if registration is None or registration.status != R.HELD:
            raise Refused("There is no place held for you (a hold passes on when its time runs out).")
        registration.status = R.REGISTERED
        registration.save(update_fields=["status"])
        record(
            actor,
            "workshop.register",
            object_type="registration",
            object_id=registration.pk,
            detail={"event": "claim"},
        )
    return registration


def attendance_take(actor: Actor, *, workshop_pk: object, present_user_ids: Iterable[int]) -> int:
    """The host marks who attended; attended time counts as live didactic hours with the topics."""
    workshop = _host_find(actor, workshop_pk)
    if workshop.is_cancelled:
        raise Refused("A cancelled workshop has no attendance.")
    if workshop.starts_at > timezone.now():
        raise Refused("Attendance can be taken once the workshop has started.")
    present = set(present_user_ids)
    with transaction.atomic():
        rows = list(workshop.registrations.filter(status=R.REGISTERED))
        for row in rows:
            row.attended = row.user_id in present
            row.attended_minutes = workshop.minutes if row.attended else 0
            row.attendance_by_id = actor.user_id
            row.save(update_fields=["attended", "attended_minutes", "attendance_by"])
        record(
            actor,
            "workshop.host",
            object_type="workshop",
            object_id=workshop.pk,
            detail={"event": "attendance", "present": sum(1 for r in rows if r.attended)},
        )
    return sum(1 for r in rows if r.attended)


def reminders_send(now: dt.datetime | None = None, *, ahead: dt.timedelta = dt.timedelta(hours=24)) -> int:
    """Mail everyone registered for workshops starting within ``ahead``, once per workshop."""
    now = now or timezone.now()
    due = Workshop.objects.filter(
        status=Workshop.Status.SCHEDULED,
        reminded_at__isnull=True,
        starts_at__gt=now,
        starts_at__lte=now + ahead,
    )
    sent = 0
    for workshop in due:
        with transaction.atomic():
            workshop.reminded_at = now
            workshop.save(update_fields=["reminded_at"])
            _on_commit_mail(
                f"Reminder: {workshop.title}",
                "Your workshop starts soon.",
                _registered_emails(workshop),
                workshop_ics(workshop),
            )
        sent += 1
    return sent


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_create(actor: Actor) -> str:
    """A new private feed URL token (shown once); any earlier feed of the person is revoked."""
    user_id, _ = member_ids(actor)
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        CalendarFeed.objects.filter(user_id=user_id, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        feed = CalendarFeed.objects.create(user_id=user_id, token_hash=_hash(token))
        record(
            actor, "workshop.view", object_type="calendar_feed", object_id=feed.pk, detail={"event": "create"}
        )
    return token


def feed_revoke(actor: Actor) -> int:
    user_id, _ = member_ids(actor)
    with transaction.atomic():
        count = CalendarFeed.objects.filter(user_id=user_id, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        record(
            actor, "workshop.view", object_type="calendar_feed", detail={"event": "revoke", "count": count}
        )
    return count


def feed_user(token: str) -> int | None:
    """The user of a live feed token; a revoked or unknown token gives None."""
    if not token or len(token) > 100:
        return None
    feed = CalendarFeed.objects.filter(token_hash=_hash(token), revoked_at__isnull=True).first()
    return feed.user_id if feed else None
