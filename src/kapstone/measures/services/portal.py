"""Questionnaire links: made (and mailed) for a client, opened, saved for resume and submitted by
the person holding one, without an account. The raw token is never stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from base64 import urlsafe_b64encode
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from kapstone.audit.models import Outcome
from kapstone.audit.services import record
from kapstone.clients.models import Client
from kapstone.core.actor import Actor
from kapstone.measures import conf
from kapstone.measures.instruments import (
    Instrument,
    UnknownInstrumentError,
    get_instrument_or_newest,
)
from kapstone.measures.models import (
    MeasureSchedule,
    PortalLink,
    Response,
    Source,
)
from kapstone.measures.scoring import score
from kapstone.measures.selectors import clinic_settings
from kapstone.measures.tasks import send_portal_link_mail

from ._common import Answers, as_pairs, installed_instrument, require
from .capture import IncompleteResponse, score_and_store
from .safety import open_safety_tasks


class LinkClosed(Exception):
    """A questionnaire link that cannot be used: ``reason`` is unknown, used or expired."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def derive_token(mail_key: str) -> str:
    """The link token, derived from the stored mail key and the secret key (never stored itself)."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"kapstone.measures.portal-link:{mail_key}".encode(), hashlib.sha256
    ).digest()
    return urlsafe_b64encode(digest).rstrip(b"=").decode()


def link_url(token: str) -> str:
    return f"{settings.SITE_URL}{reverse('questionnaire:fill', kwargs={'token': token})}"


def link_create(
    actor: Actor,
    client: Client,
    instrument: Instrument,
    *,
    mail: bool,
    schedule: MeasureSchedule | None = None,
    due_at: datetime | None = None,
) -> tuple[PortalLink, str]:
    """Create a link inside the caller's transaction; mail it on commit when asked and possible."""
    mail_key = secrets.token_hex(32)
    token = derive_token(mail_key)
    will_mail = mail and bool(client.email)
    link = PortalLink.objects.create(
        organization_id=client.organization_id,
        client=client,
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        token_hash=token_hash(token),
        mail_key=mail_key if will_mail else "",
        created_by=actor.user,
        expires_at=timezone.now() + timedelta(days=conf.portal_link_days()),
        schedule=schedule,
        due_at=due_at,
    )
    record(
        actor,
        "measure.assign",
        object_type="portal_link",
        object_id=link.pk,
        client_id=client.pk,
        detail={
            "instrument": instrument.id,
            "version": instrument.version,
            "mailed": will_mail,
            "schedule": schedule.pk if schedule else None,
        },
    )
    if will_mail:
        transaction.on_commit(lambda: send_portal_link_mail.enqueue(link.pk))
    return link, token


def portal_link_create(
    actor: Actor, client: Client, instrument_id: str, *, mail: bool = True
) -> tuple[PortalLink, str]:
    """A single-use questionnaire link for the client. Returns the raw token once; it is mailed to
    the client's address after commit (when there is one) and otherwise only shown to the caller."""
    require(actor, "measure.assign", client)
    instrument = installed_instrument(instrument_id)
    if not client.is_active:
        raise ValidationError({NON_FIELD_ERRORS: ["This client record is inactive."]})
    with transaction.atomic():
        return link_create(actor, client, instrument, mail=mail)


def _link_for(token: str) -> PortalLink | None:
    if not token or len(token) > 200:
        return None
    return (
        PortalLink.objects.select_related("client", "organization")
        .filter(token_hash=token_hash(token))
        .first()
    )


def portal_actor(link: PortalLink | None, *, source_ip: str | None, request_id: str = "") -> Actor:
    """The person holding a questionnaire link: no account, acting within the link's organization."""
    return Actor(
        user=None,
        organization=link.organization if link else None,
        request_id=request_id,
        source_ip=source_ip,
    )


def _open_link(token: str, *, source_ip: str | None, request_id: str) -> tuple[PortalLink, Actor]:
    """The open link for a token and the person holding it; ``LinkClosed`` (audited) otherwise."""
    link = _link_for(token)
    actor = portal_actor(link, source_ip=source_ip, request_id=request_id)
    state = link.state() if link is not None else "unknown"
    if link is None or state != "open":
        _deny(actor, link, state)
    assert link is not None
    return link, actor


def portal_link_open(token: str, *, source_ip: str | None = None, request_id: str = "") -> PortalLink:
    """The open link for a token, audited as a read; raises ``LinkClosed`` (audited as denied)."""
    link, actor = _open_link(token, source_ip=source_ip, request_id=request_id)
    record(
        actor,
        "measure.portal_open",
        object_type="portal_link",
        object_id=link.pk,
        client_id=link.client_id,
        detail={"instrument": link.instrument_id, "resumed": bool(link.partial_answers)},
    )
    return link


def _deny(actor: Actor, link: PortalLink | None, reason: str) -> None:
    record(
        actor,
        "measure.portal_denied",
        outcome=Outcome.DENIED,
        object_type="portal_link",
        object_id=link.pk if link else "",
        client_id=link.client_id if link else None,
        detail={"reason": reason},
    )
    raise LinkClosed(reason)


def link_instrument(actor: Actor, link: PortalLink) -> Instrument:
    """The definition a link was made for (or its newest version); a link whose instrument is no
    longer installed cannot be used (audited as denied)."""
    try:
        return get_instrument_or_newest(link.instrument_id, link.instrument_version)
    except UnknownInstrumentError:
        _deny(actor, link, "instrument not installed")
        raise  # unreachable: _deny raises


def _usable_answers(instrument: Instrument, pairs: list[tuple[str, object]]) -> dict[str, object]:
    """The answers worth keeping for resume: known items with acceptable values, first one wins."""
    result = score(instrument, pairs)
    bad = {e.get("item") for e in result.errors if e.get("code") not in ("missing", "must_be_skipped")}
    kept: dict[str, object] = {}
    for key, value in pairs:
        if key in instrument.runtime.index and key not in bad and value is not None and key not in kept:
            kept[key] = value
    return kept


def portal_answers_save(
    token: str, answers: Answers, *, source_ip: str | None = None, request_id: str = ""
) -> PortalLink:
    """Keep partial answers so the client can come back to the same link and carry on.

    Safety flags that the saved answers already raise open a task now (the client may not return).
    """
    link, actor = _open_link(token, source_ip=source_ip, request_id=request_id)
    instrument = link_instrument(actor, link)
    kept = _usable_answers(instrument, as_pairs(answers))
    options, _ = clinic_settings(link.organization_id, instrument.id)
    with transaction.atomic():
        updated = PortalLink.objects.filter(pk=link.pk, used_at__isnull=True).update(
            partial_answers=kept, saved_at=timezone.now()
        )
        if not updated:
            _deny(actor, link, "used")
        open_safety_tasks(
            actor,
            link.client,
            instrument,
            score(instrument, kept, options or None),
            kept,
            source=Source.PORTAL,
        )
        record(
            actor,
            "measure.portal_save",
            object_type="portal_link",
            object_id=link.pk,
            client_id=link.client_id,
            detail={"answered": len(kept), "of": len(instrument.items)},
        )
    link.refresh_from_db()
    return link


def portal_submit(token: str, answers: Answers, source_ip: str | None, *, request_id: str = "") -> Response:
    """Score and store the client's answers; the link is then used up.

    Unknown, used or expired links raise ``LinkClosed`` (audited as denied). Incomplete answers raise
    ``IncompleteResponse`` and are kept on the link for resume.
    """
    link, actor = _open_link(token, source_ip=source_ip, request_id=request_id)
    instrument = link_instrument(actor, link)
    pairs = as_pairs(answers)

    def use_link(response: Response) -> None:
        used = PortalLink.objects.filter(pk=link.pk, used_at__isnull=True).update(
            used_at=timezone.now(), response=response, partial_answers={}, mail_key=""
        )
        if not used:
            raise LinkClosed("used")  # a concurrent submit won; this one rolls back
        record(
            actor,
            "measure.portal_submit",
            object_type="portal_link",
            object_id=link.pk,
            client_id=link.client_id,
            detail={"response": response.pk},
        )

    try:
        return score_and_store(
            actor,
            link.client,
            instrument,
            pairs,
            source=Source.PORTAL,
            administered_at=timezone.now(),
            recorded_by=None,
            in_transaction=use_link,
        )
    except IncompleteResponse:
        PortalLink.objects.filter(pk=link.pk, used_at__isnull=True).update(
            partial_answers=_usable_answers(instrument, pairs), saved_at=timezone.now()
        )
        raise
    except LinkClosed as exc:
        _deny(actor, link, exc.reason)
        raise  # unreachable: _deny raises
