"""Responses: score, then refuse (keeping safety tasks) or store, with the schedules they satisfy.

Fail closed: answers that cannot be scored completely are refused and nothing is stored, with an
error naming each item. The one exception is safety: a safety flag that the answered items already
raise opens a ``SafetyTask`` even when the response itself is refused, so it is never lost.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone

from kapstone.audit.models import Outcome
from kapstone.audit.services import record
from kapstone.clients.models import Client
from kapstone.core.actor import Actor
from kapstone.measures import conf, hooks
from kapstone.measures.instruments import (
    Instrument,
)
from kapstone.measures.models import (
    MeasureSchedule,
    Response,
    SafetyTask,
    Source,
)
from kapstone.measures.scoring import ScoreResult, score
from kapstone.measures.selectors import clinic_settings

from ._common import Answers, answered_only, as_pairs, installed_instrument, require
from .safety import open_safety_tasks


class IncompleteResponse(ValidationError):
    """The answers were refused (nothing stored). ``safety_tasks`` lists the tasks that the answered
    items still opened (or re-raised), so the person can be told."""

    def __init__(self, errors: dict[str, list[str]], safety_tasks: list[SafetyTask]) -> None:
        super().__init__(errors)
        self.safety_tasks = safety_tasks


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


def score_and_store(
    actor: Actor,
    client: Client,
    instrument: Instrument,
    answers: Answers,
    *,
    source: str,
    administered_at: datetime,
    recorded_by: Any,
    in_transaction: Callable[[Response], None] | None = None,
    options: Mapping[str, Any] | None = None,
) -> Response:
    """Score; refuse (keeping safety tasks) or store. ``in_transaction`` runs inside the storing
    transaction, so the caller's own bookkeeping commits or rolls back with the response.
    ``options``: the clinic's option values for the instrument when the caller has read them already
    (``selectors.clinic_settings``, as the form does); read here when not given."""
    pairs = as_pairs(answers)
    if options is None:
        options, _ = clinic_settings(client.organization_id, instrument.id)
    result = score(instrument, pairs, options or None)
    answered = answered_only(pairs)
    if not result.complete:
        codes = [{"item": e.get("item"), "code": e.get("code")} for e in result.errors][:60]
        with transaction.atomic():
            tasks = open_safety_tasks(
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
        open_safety_tasks(actor, client, instrument, result, answered, source=source, response=response)
        _advance_schedules(client, instrument.id, administered_at)
        if in_transaction is not None:
            in_transaction(response)
        # Program outcomes move with the response, in its transaction (no scan on the read path).
        hooks.response_stored(response, options)
    return response


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
    require(actor, "measure.record", client)
    return response_submit_in_scope(
        actor, client, instrument_id, answers, source=source, administered_at=administered_at
    )


def response_submit_in_scope(
    actor: Actor,
    client: Client,
    instrument_id: str,
    answers: Answers,
    *,
    source: str = Source.CLINICIAN,
    administered_at: datetime | None = None,
    options: Mapping[str, Any] | None = None,
) -> Response:
    """``response_submit`` for a client the caller found in this request through
    ``clients_scoped(actor, "measure.record")``: that scoped read is the write's one authorization,
    so the scope is not checked a second time here (the questionnaire form's post; its answer
    redirects, so the response's own audit row, or the refusal's, records the client's read)."""
    if source not in (Source.CLINICIAN, Source.FHIR):
        raise ValidationError({"source": ["Portal answers come through a questionnaire link."]})
    instrument = installed_instrument(instrument_id)
    now = timezone.now()
    when = administered_at or now
    if when > now + timedelta(minutes=conf.FUTURE_TOLERANCE_MINUTES):
        raise ValidationError({"administered_at": ["The date and time given is in the future."]})
    return score_and_store(
        actor,
        client,
        instrument,
        answers,
        source=source,
        administered_at=when,
        recorded_by=actor.user,
        options=options,
    )
