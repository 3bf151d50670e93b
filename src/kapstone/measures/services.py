"""Measurement writes. One transaction each with its audit row inside; mail and tasks on commit.

Fail closed: answers that cannot be scored completely are refused and nothing is stored, with an
error naming each item. The one exception is safety: a safety flag that the answered items already
raise opens a ``SafetyTask`` even when the response itself is refused, so it is never lost.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from base64 import urlsafe_b64encode
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from kapstone.access.policy import allows
from kapstone.audit.models import Outcome
from kapstone.audit.services import record
from kapstone.clients.models import Client
from kapstone.clients.selectors import clients_scoped
from kapstone.core.actor import Actor
from kapstone.measures import conf, hooks
from kapstone.measures.instruments import (
    Instrument,
    UnknownInstrumentError,
    get_instrument,
    get_instrument_or_newest,
)
from kapstone.measures.models import (
    InstrumentSettings,
    MeasureSchedule,
    PortalLink,
    Response,
    SafetyTask,
    Source,
)
from kapstone.measures.scoring import ScoreResult, resolve_options, score
from kapstone.measures.scoring.safety_levels import default_safety_levels, triage, unanswered_flags
from kapstone.measures.selectors import clinic_settings

Answers = Mapping[str, object] | Iterable[tuple[str, object]]

SAFETY = "safety"


class IncompleteResponse(ValidationError):
    """The answers were refused (nothing stored). ``safety_tasks`` lists the tasks that the answered
    items still opened (or re-raised), so the person can be told."""

    def __init__(self, errors: dict[str, list[str]], safety_tasks: list[SafetyTask]) -> None:
        super().__init__(errors)
        self.safety_tasks = safety_tasks


class LinkClosed(Exception):
    """A questionnaire link that cannot be used: ``reason`` is unknown, used or expired."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- helpers --------------------------------------------------------------------------------------


def _require(actor: Actor, action: str, client: Client) -> None:
    """Defence in depth: views reach the client through a scoped selector already."""
    if not clients_scoped(actor, action).filter(pk=client.pk).exists():
        raise PermissionDenied(action)


def _instrument(instrument_id: str, version: str | None = None) -> Instrument:
    try:
        return get_instrument(instrument_id, version)
    except UnknownInstrumentError as exc:
        raise ValidationError({"instrument": [f"No instrument {instrument_id!r} is installed."]}) from exc


def _pairs(answers: Answers) -> list[tuple[str, object]]:
    items = answers.items() if isinstance(answers, Mapping) else answers
    return [(str(k), v) for k, v in items]


def _answered(pairs: list[tuple[str, object]]) -> dict[str, object]:
    return {k: v for k, v in pairs if v is not None}


def _question(instrument: Instrument, item_id: str) -> str:
    return f"question {instrument.runtime.index[item_id].position}"


def _item_message(instrument: Instrument, error: Mapping[str, object]) -> str:
    item_id = str(error["item"])
    label = _question(instrument, item_id).capitalize()
    code = error.get("code")
    if code == "missing":
        return f"{label} has no answer."
    text = str(error.get("message", ""))
    tail = text.split(": ", 1)[1] if text.startswith(f"{item_id}: ") else text
    if code == "must_be_skipped":
        return f"{label} should be left unanswered: {tail.replace('answered, but it ', 'it ')}."
    return f"{label}: {tail}."


def refusal_errors(instrument: Instrument, result: ScoreResult) -> dict[str, list[str]]:
    """The engine's errors as a ValidationError dict: one entry per item id, plus a summary."""
    errors: dict[str, list[str]] = {}
    other: list[str] = []
    for error in result.errors:
        item = error.get("item")
        if isinstance(item, str) and item in instrument.runtime.index:
            errors.setdefault(item, []).append(_item_message(instrument, error))
        elif error.get("code") in ("unknown_option", "invalid_option"):
            other.append(
                f"The clinic's settings for {instrument.short_title} are not valid ({error['message']}); "
                f"ask an administrator to correct them."
            )
        else:
            other.append(f"Not part of {instrument.short_title} {instrument.version}: {error['message']}.")
    named = sorted(errors, key=lambda i: instrument.runtime.index[i].position)
    summary = "Nothing was saved."
    if named:
        numbers = ", ".join(str(instrument.runtime.index[i].position) for i in named)
        summary += f" Please answer or correct question{'s' if len(named) > 1 else ''} {numbers}."
    errors[NON_FIELD_ERRORS] = [summary, *other]
    return errors


def _safety_flags(result: ScoreResult) -> list[dict[str, object]]:
    return [f for f in result.flags if f.get("severity") == SAFETY]


def _unanswered(result: ScoreResult) -> set[str]:
    return {str(e["item"]) for e in result.errors if e.get("code") == "missing" and e.get("item")}


def _open_safety_tasks(
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
    from kapstone.measures.tasks import notify_safety_task

    transaction.on_commit(partial(notify_safety_task.enqueue, task_id))


def _advance_schedules(client: Client, instrument_id: str, administered_at: datetime) -> None:
    """A stored response satisfies the due occurrence of each matching schedule."""
    early = timedelta(hours=conf.EVENT_EARLY_HOURS)
    for schedule in MeasureSchedule.objects.filter(client=client, instrument_id=instrument_id, active=True):
        if schedule.kind == MeasureSchedule.Kind.INTERVAL:
            schedule.next_due_at = administered_at + timedelta(days=schedule.interval_days or 1)
        elif schedule.next_due_at is not None and administered_at >= schedule.next_due_at - early:
            schedule.next_due_at = None  # until the care module reports the next event
        else:
            continue
        schedule.save(update_fields=["next_due_at"])


def _submit(
    actor: Actor,
    client: Client,
    instrument: Instrument,
    answers: Answers,
    *,
    source: str,
    administered_at: datetime,
    recorded_by: Any,
    in_transaction: Callable[[Response], None] | None = None,
) -> Response:
    """Score; refuse (keeping safety tasks) or store. ``in_transaction`` runs inside the storing
    transaction, so the caller's own bookkeeping commits or rolls back with the response."""
    pairs = _pairs(answers)
    options, _ = clinic_settings(client.organization_id, instrument.id)
    result = score(instrument, pairs, options or None)
    answered = _answered(pairs)
    if not result.complete:
        codes = [{"item": e.get("item"), "code": e.get("code")} for e in result.errors][:60]
        with transaction.atomic():
            tasks = _open_safety_tasks(
                actor, client, instrument, result, answered, source=source, refused=True
            )
            record(
                actor,
                "measure.refused",
                outcome=Outcome.FAILURE,
                object_type="response",
                client_id=client.pk,
                detail={
                    "instrument": instrument.id,
                    "version": instrument.version,
                    "source": source,
                    "errors": codes,
                    "safety_tasks": [t.pk for t in tasks],
                },
            )
        raise IncompleteResponse(refusal_errors(instrument, result), tasks)
    with transaction.atomic():
        response = Response.objects.create(
            organization_id=client.organization_id,
            client=client,
            instrument_id=instrument.id,
            instrument_version=instrument.version,
            answers=answered,
            result=result.to_dict(),
            total=float(result.total) if result.total is not None else None,
            band=result.band or "",
            complete=True,
            administered_at=administered_at,
            source=source,
            recorded_by=recorded_by,
        )
        record(
            actor,
            "measure.record",
            object_type="response",
            object_id=response.pk,
            client_id=client.pk,
            detail={"instrument": instrument.id, "version": instrument.version, "source": source},
        )
        _open_safety_tasks(actor, client, instrument, result, answered, source=source, response=response)
        _advance_schedules(client, instrument.id, administered_at)
        if in_transaction is not None:
            in_transaction(response)
        # Program outcomes move with the response, in its transaction (no scan on the read path).
        hooks.response_stored(response, options)
    return response


# --- capture --------------------------------------------------------------------------------------


def response_submit(
    actor: Actor,
    client: Client,
    instrument_id: str,
    answers: Answers,
    *,
    source: str = Source.CLINICIAN,
    administered_at: datetime | None = None,
) -> Response:
    """Score and store a complete response recorded by staff (or imported).

    Raises ``IncompleteResponse`` (a ValidationError keyed by item id) when any item is missing,
    invalid, unknown or repeated; nothing is stored then, but safety flags still open tasks.
    """
    _require(actor, "measure.record", client)
    if source not in (Source.CLINICIAN, Source.FHIR):
        raise ValidationError({"source": ["Portal answers come through a questionnaire link."]})
    instrument = _instrument(instrument_id)
    now = timezone.now()
    when = administered_at or now
    if when > now + timedelta(minutes=conf.FUTURE_TOLERANCE_MINUTES):
        raise ValidationError({"administered_at": ["The date and time given is in the future."]})
    return _submit(
        actor, client, instrument, answers, source=source, administered_at=when, recorded_by=actor.user
    )


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
    _require(actor, "safety.acknowledge", task.client)
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


# --- clinic instrument settings -------------------------------------------------------------------


def instrument_settings_update(
    actor: Actor,
    instrument_id: str,
    *,
    options: Mapping[str, object],
    item_text: Mapping[str, str],
    expected_version: int,
) -> InstrumentSettings:
    """Set the organization's option values and item wording for one instrument."""
    if actor.organization is None or not allows(actor, "instrument.configure"):
        raise PermissionDenied("instrument.configure")
    instrument = _instrument(instrument_id)
    clean_options = {k: v for k, v in options.items() if v is not None}
    _, problems = resolve_options(instrument, clean_options)
    errors: dict[str, list[str]] = {}
    for problem in problems:
        message = str(problem["message"])
        name = message.split(":", 1)[0].removeprefix("option ").strip().strip("'")
        errors.setdefault(f"option_{name}" if name in instrument.options else NON_FIELD_ERRORS, []).append(
            message
        )
    unknown = sorted(set(item_text) - set(instrument.runtime.index))
    if unknown:
        errors.setdefault(NON_FIELD_ERRORS, []).append(f"Unknown items: {', '.join(unknown)}.")
    if errors:
        raise ValidationError(errors)
    texts = {k: v.strip() for k, v in item_text.items() if v and v.strip()}
    with transaction.atomic():
        current, _ = InstrumentSettings.objects.select_for_update().get_or_create(
            organization=actor.organization, instrument_id=instrument.id
        )
        if current.version != expected_version:
            raise ValidationError(
                {
                    NON_FIELD_ERRORS: [
                        "Someone else changed these settings since you opened them; nothing was saved. "
                        "Reload to see their values."
                    ]
                }
            )
        current.options = clean_options
        current.item_text = texts
        current.updated_by = actor.user
        current.updated_at = timezone.now()
        current.version += 1
        current.save()
        record(
            actor,
            "instrument.configure",
            object_type="instrument_settings",
            object_id=current.pk,
            detail={"instrument": instrument.id, "options": clean_options, "item_text": sorted(texts)},
        )
        hooks.thresholds_stored(actor.organization.pk, instrument.id, clean_options)
    return current


# --- portal links ---------------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def derive_token(mail_key: str) -> str:
    """The link token, derived from the stored mail key and the secret key (never stored itself)."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"kapstone.measures.portal-link:{mail_key}".encode(), hashlib.sha256
    ).digest()
    return urlsafe_b64encode(digest).rstrip(b"=").decode()


def link_url(token: str) -> str:
    from django.urls import reverse

    return f"{settings.SITE_URL}{reverse('questionnaire:fill', kwargs={'token': token})}"


def _link_create(
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
        from kapstone.measures.tasks import send_portal_link_mail

        transaction.on_commit(lambda: send_portal_link_mail.enqueue(link.pk))
    return link, token


def portal_link_create(
    actor: Actor, client: Client, instrument_id: str, *, mail: bool = True
) -> tuple[PortalLink, str]:
    """A single-use questionnaire link for the client. Returns the raw token once; it is mailed to
    the client's address after commit (when there is one) and otherwise only shown to the caller."""
    _require(actor, "measure.assign", client)
    instrument = _instrument(instrument_id)
    if not client.is_active:
        raise ValidationError({NON_FIELD_ERRORS: ["This client record is inactive."]})
    with transaction.atomic():
        return _link_create(actor, client, instrument, mail=mail)


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


def portal_link_open(token: str, *, source_ip: str | None = None, request_id: str = "") -> PortalLink:
    """The open link for a token, audited as a read; raises ``LinkClosed`` (audited as denied)."""
    link = _link_for(token)
    actor = portal_actor(link, source_ip=source_ip, request_id=request_id)
    state = link.state() if link is not None else "unknown"
    if link is None or state != "open":
        _deny(actor, link, state)
    assert link is not None
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
    link = _link_for(token)
    actor = portal_actor(link, source_ip=source_ip, request_id=request_id)
    state = link.state() if link is not None else "unknown"
    if link is None or state != "open":
        _deny(actor, link, state)
    assert link is not None
    instrument = link_instrument(actor, link)
    kept = _usable_answers(instrument, _pairs(answers))
    options, _ = clinic_settings(link.organization_id, instrument.id)
    with transaction.atomic():
        updated = PortalLink.objects.filter(pk=link.pk, used_at__isnull=True).update(
            partial_answers=kept, saved_at=timezone.now()
        )
        if not updated:
            _deny(actor, link, "used")
        _open_safety_tasks(
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
    link = _link_for(token)
    actor = portal_actor(link, source_ip=source_ip, request_id=request_id)
    state = link.state() if link is not None else "unknown"
    if link is None or state != "open":
        _deny(actor, link, state)
    assert link is not None
    instrument = link_instrument(actor, link)
    pairs = _pairs(answers)

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
        return _submit(
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


# --- schedules ------------------------------------------------------------------------------------


def schedule_create(
    actor: Actor,
    client: Client,
    instrument_id: str,
    *,
    kind: str,
    interval_days: int | None = None,
    first_due_at: datetime | None = None,
) -> MeasureSchedule:
    _require(actor, "measure.assign", client)
    instrument = _instrument(instrument_id)
    if kind not in MeasureSchedule.Kind.values:
        raise ValidationError({"kind": [f"Unknown schedule kind {kind!r}."]})
    if kind == MeasureSchedule.Kind.INTERVAL:
        if not interval_days or interval_days < 1 or interval_days > 366:
            raise ValidationError({"interval_days": ["Give the number of days between measures (1 to 366)."]})
        next_due = first_due_at or timezone.now()
    else:
        interval_days = None
        next_due = None  # set by schedule_event when the care module reports the session
    if MeasureSchedule.objects.filter(
        client=client, instrument_id=instrument.id, kind=kind, active=True
    ).exists():
        raise ValidationError(
            {"kind": [f"{instrument.short_title} already has an active schedule of this kind."]}
        )
    with transaction.atomic():
        schedule = MeasureSchedule.objects.create(
            organization_id=client.organization_id,
            client=client,
            instrument_id=instrument.id,
            kind=kind,
            interval_days=interval_days,
            next_due_at=next_due,
            created_by=actor.user,
        )
        record(
            actor,
            "measure.schedule",
            object_type="measure_schedule",
            object_id=schedule.pk,
            client_id=client.pk,
            detail={"instrument": instrument.id, "kind": kind, "interval_days": interval_days},
        )
    return schedule


def schedule_stop(actor: Actor, schedule: MeasureSchedule) -> None:
    _require(actor, "measure.assign", schedule.client)
    with transaction.atomic():
        MeasureSchedule.objects.filter(pk=schedule.pk).update(active=False)
        record(
            actor,
            "measure.schedule_stop",
            object_type="measure_schedule",
            object_id=schedule.pk,
            client_id=schedule.client_id,
            detail={"instrument": schedule.instrument_id, "kind": schedule.kind},
        )


def schedule_event(actor: Actor, client: Client, event: str, at: datetime) -> int:
    """The care module reports a session event (``before_integration`` / ``after_dosing``): every
    active schedule of that kind for the client becomes due at ``at``. Returns how many.

    Called by trusted services that already hold the client through a selector.
    """
    if event not in (MeasureSchedule.Kind.BEFORE_INTEGRATION, MeasureSchedule.Kind.AFTER_DOSING):
        raise ValueError(f"unknown schedule event {event!r}")
    if actor.organization_id is not None and actor.organization_id != client.organization_id:
        raise PermissionDenied("schedule_event")
    with transaction.atomic():
        count = MeasureSchedule.objects.filter(client=client, kind=event, active=True).update(next_due_at=at)
        record(
            actor,
            "measure.schedule_event",
            object_type="client",
            object_id=client.pk,
            client_id=client.pk,
            detail={"event": event, "at": at.isoformat(), "schedules": count},
        )
    return count
