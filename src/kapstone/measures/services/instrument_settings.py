"""A clinic's settings for one instrument: its option values (thresholds) and item wording."""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from kapstone.access.policy import allows
from kapstone.audit.services import record
from kapstone.core.actor import Actor
from kapstone.measures import hooks
from kapstone.measures.models import (
    InstrumentSettings,
)
from kapstone.measures.scoring import resolve_options

from ._common import installed_instrument


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
    instrument = installed_instrument(instrument_id)
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
