"""Measurement writes. One transaction each with its audit row inside; mail and tasks on commit.

Split along its seams: ``capture`` (score, refuse or store a response), ``safety`` (safety tasks),
``portal`` (questionnaire links), ``schedules``, ``instrument_settings`` (a clinic's options and
wording); ``_common`` holds what they share. Every public name is re-exported here, so callers keep
writing ``services.response_submit(...)``.
"""

from __future__ import annotations

from ._common import SAFETY, Answers
from .capture import IncompleteResponse, refusal_errors, response_submit, response_submit_in_scope
from .instrument_settings import instrument_settings_update
from .portal import (
    LinkClosed,
    derive_token,
    link_create,
    link_instrument,
    link_url,
    portal_actor,
    portal_answers_save,
    portal_link_create,
    portal_link_open,
    portal_submit,
    token_hash,
)
from .safety import safety_acknowledge
from .schedules import schedule_create, schedule_event, schedule_stop

__all__ = [
    "SAFETY",
    "Answers",
    "IncompleteResponse",
    "LinkClosed",
    "derive_token",
    "instrument_settings_update",
    "link_create",
    "link_instrument",
    "link_url",
    "portal_actor",
    "portal_answers_save",
    "portal_link_create",
    "portal_link_open",
    "portal_submit",
    "refusal_errors",
    "response_submit",
    "response_submit_in_scope",
    "safety_acknowledge",
    "schedule_create",
    "schedule_event",
    "schedule_stop",
    "token_hash",
]
