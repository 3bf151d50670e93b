"""Background work for measurement (django-tasks): questionnaire mail, reminders, safety notices.

Arguments are ids and ISO dates only: a raw link token never enters the task queue (the mail task
derives it from the link's one-time mail key, then clears that key).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_tasks import task

from kapstone.audit.models import Outcome
from kapstone.audit.services import record
from kapstone.clients.models import CareTeamMember
from kapstone.core.actor import Actor
from kapstone.measures.instruments import UnknownInstrumentError, get_instrument
from kapstone.measures.models import MeasureSchedule, PortalLink, SafetyTask


def _system(organization: object, name: str) -> Actor:
    return Actor(user=None, organization=organization, request_id=f"task:{name}")  # type: ignore[arg-type]


def _link_mail(link: PortalLink, url: str) -> tuple[str, str]:
    """No clinical detail in mail: not the instrument, not the reason."""
    org = link.organization.name
    subject = f"A short questionnaire from {org}"
    body = (
        f"Hello,\n\nYour care team at {org} asked you to fill in a short questionnaire. "
        f"It takes a few minutes, and you can save your answers and come back to them.\n\n"
        f"{url}\n\n"
        f"The link is personal: please do not forward it. It works once and expires on "
        f"{link.expires_at:%d %B %Y}.\n\n"
        f"If you are in danger or thinking about harming yourself, call your local emergency number "
        f"or a crisis line now; this link is not monitored in real time.\n"
    )
    return subject, body


@task()
def send_portal_link_mail(link_id: int) -> str:
    """Mail a questionnaire link to the client, at most once. On failure the link is left
    unmailed (key restored) so a later run of ``send_measure_reminders`` retries it."""
    from kapstone.measures.services import (  # cycle: measures.services.portal imports this module
        derive_token,
        link_url,
        token_hash,
    )

    link = PortalLink.objects.select_related("client", "organization").filter(pk=link_id).first()
    if link is None or not link.mail_key or link.mailed_at is not None or link.state() != "open":
        return "skipped"
    key = link.mail_key
    token = derive_token(key)
    actor = _system(link.organization, "send_portal_link_mail")
    if token_hash(token) != link.token_hash:  # the secret key changed since the link was made
        PortalLink.objects.filter(pk=link.pk).update(mail_key="")
        record(
            actor,
            "measure.link_mailed",
            outcome=Outcome.FAILURE,
            object_type="portal_link",
            object_id=link.pk,
            client_id=link.client_id,
            detail={"reason": "token no longer derivable"},
        )
        return "failed"
    claimed = PortalLink.objects.filter(pk=link.pk, mail_key=key, mailed_at__isnull=True).update(
        mail_key="", mailed_at=timezone.now()
    )
    if not claimed:
        return "skipped"
    subject, body = _link_mail(link, link_url(token))
    try:
        send_mail(subject, body, None, [link.client.email])
    except Exception:
        PortalLink.objects.filter(pk=link.pk).update(mail_key=key, mailed_at=None)
        record(
            actor,
            "measure.link_mailed",
            outcome=Outcome.FAILURE,
            object_type="portal_link",
            object_id=link.pk,
            client_id=link.client_id,
            detail={"reason": "mail error"},
        )
        raise
    record(
        actor,
        "measure.link_mailed",
        object_type="portal_link",
        object_id=link.pk,
        client_id=link.client_id,
        detail={"due_at": link.due_at.isoformat() if link.due_at else None},
    )
    return "sent"


@task()
def send_measure_reminder(schedule_id: int, due_at: str) -> str:
    """Handle one due occurrence of a schedule: claim it (so it is handled once), create a link and
    mail it on commit. A client without an email address or with an inactive record is skipped,
    audited."""
    from kapstone.measures.services import link_create  # cycle: measures.services.portal imports this module

    when = datetime.fromisoformat(due_at)
    schedule = (
        MeasureSchedule.objects.select_related("client", "organization")
        .filter(pk=schedule_id, active=True, next_due_at=when)
        .first()
    )
    if schedule is None:
        return "not due"
    actor = _system(schedule.organization, "send_measure_reminder")
    client = schedule.client
    with transaction.atomic():
        claimed = (
            MeasureSchedule.objects.filter(pk=schedule.pk, next_due_at=when)
            .filter(Q(last_reminded_due_at__isnull=True) | ~Q(last_reminded_due_at=when))
            .update(last_reminded_due_at=when)
        )
        if not claimed:
            return "already reminded"
        reason = ""
        if not client.is_active:
            reason = "client inactive"
        elif not client.email:
            reason = "no email address"
        try:
            instrument = get_instrument(schedule.instrument_id)
        except UnknownInstrumentError:
            reason = reason or "instrument not installed"
        if reason:
            record(
                actor,
                "measure.reminder",
                outcome=Outcome.FAILURE,
                object_type="measure_schedule",
                object_id=schedule.pk,
                client_id=client.pk,
                detail={"reason": reason, "due_at": due_at},
            )
            return f"skipped: {reason}"
        link_create(actor, client, instrument, mail=True, schedule=schedule, due_at=when)
        record(
            actor,
            "measure.reminder",
            object_type="measure_schedule",
            object_id=schedule.pk,
            client_id=client.pk,
            detail={"instrument": instrument.id, "due_at": due_at},
        )
    return "sent"


def due_reminders(now: datetime | None = None) -> list[MeasureSchedule]:
    """Active schedules whose due occurrence has come and has not been reminded yet."""
    moment = now or timezone.now()
    return list(
        MeasureSchedule.objects.filter(active=True, next_due_at__lte=moment)
        .filter(Q(last_reminded_due_at__isnull=True) | ~Q(last_reminded_due_at=F("next_due_at")))
        .order_by("next_due_at", "pk")
    )


def unmailed_links(now: datetime | None = None) -> list[int]:
    """Links whose mail failed or never ran (they still hold a mail key) and are still open."""
    moment = now or timezone.now()
    return list(
        PortalLink.objects.filter(mailed_at__isnull=True, used_at__isnull=True, expires_at__gt=moment)
        .exclude(mail_key="")
        .values_list("pk", flat=True)
    )


# The notice's subject prefix and timing, by the level's ``notify`` (measures/safety/levels.toml).
_NOTICE = {
    "urgent": ("URGENT: ", "now"),
    "same_day": ("", "today"),
    "routine": ("", "before the next dose"),
}


@task()
def notify_safety_task(task_id: int) -> int:
    """Tell each care-team member (but the person who opened it) that a safety flag needs review,
    as urgently as its level says (a high level is marked URGENT). The mail carries no clinical
    detail, only the timing and a link to sign in."""
    from django.urls import reverse

    safety = SafetyTask.objects.select_related("organization").filter(pk=task_id).first()
    if safety is None or not safety.is_open:
        return 0
    members = CareTeamMember.objects.filter(
        client_id=safety.client_id,
        user__is_active=True,
        user__memberships__organization_id=safety.organization_id,
        user__memberships__is_active=True,
    )
    if safety.opened_by_id is not None:
        members = members.exclude(user_id=safety.opened_by_id)
    emails = sorted(set(members.values_list("user__email", flat=True)))
    if not emails:
        return 0
    url = f"{settings.SITE_URL}{reverse('measures:safety_task', kwargs={'pk': safety.pk})}"
    level = safety.level_info
    subject, when = _NOTICE.get(level.notify, _NOTICE["urgent"])
    send_mail(
        f"{subject}{safety.organization.name}: a safety flag needs review {when}",
        (
            "A questionnaire answer raised a safety flag for a client on your care team.\n"
            f"It needs review {when}.\n\n"
            f"Sign in to review and acknowledge it:\n{url}\n"
        ),
        None,
        emails,
    )
    record(
        _system(safety.organization, "notify_safety_task"),
        "safety.notify",
        object_type="safety_task",
        object_id=safety.pk,
        client_id=safety.client_id,
        detail={"recipients": len(emails), "level": safety.level, "notify": level.notify},
    )
    return len(emails)
