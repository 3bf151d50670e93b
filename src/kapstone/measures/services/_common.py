"""What the measurement services share: the scope check, the installed instrument, answers as
pairs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.core.exceptions import PermissionDenied, ValidationError

from kapstone.clients.models import Client
from kapstone.clients.selectors import clients_scoped
from kapstone.core.actor import Actor
from kapstone.measures.instruments import (
    Instrument,
    UnknownInstrumentError,
    get_instrument,
)

Answers = Mapping[str, object] | Iterable[tuple[str, object]]


SAFETY = "safety"


def require(actor: Actor, action: str, client: Client) -> None:
    """Defence in depth: views reach the client through a scoped selector already."""
    if not clients_scoped(actor, action).filter(pk=client.pk).exists():
        raise PermissionDenied(action)


def installed_instrument(instrument_id: str, version: str | None = None) -> Instrument:
    try:
        return get_instrument(instrument_id, version)
    except UnknownInstrumentError as exc:
        raise ValidationError({"instrument": [f"No instrument {instrument_id!r} is installed."]}) from exc


def as_pairs(answers: Answers) -> list[tuple[str, object]]:
    items = answers.items() if isinstance(answers, Mapping) else answers
    return [(str(k), v) for k, v in items]


def answered_only(pairs: list[tuple[str, object]]) -> dict[str, object]:
    return {k: v for k, v in pairs if v is not None}
