"""Reading program outcomes: the cohort rows of the actor's organization (de-identified counts).

``program_outcomes`` is the page's read: one query on ``ProgramOutcome`` whatever the number of
responses (sent to the read replica when one is configured, see ``kapstone.core.routers``).
``program_outcomes_scan`` is the full recomputation from the responses that the aggregate replaces;
tests compare the two, and ``make bench`` times them side by side.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber

from kapstone.access.policy import allows
from kapstone.audit.services import record
from kapstone.care.models import Course, ProtocolVersion
from kapstone.core.actor import Actor
from kapstone.measures.instruments import UnknownInstrumentError, get_registry
from kapstone.measures.models import Response
from kapstone.outcomes import core
from kapstone.outcomes.models import ProgramOutcome
from kapstone.outcomes.services import clinic_options, instrument_thresholds

Counts = dict[tuple[str, str], tuple[int, int, int, int]]  # (protocol, instrument) -> counts


def min_cell() -> int:
    """Cohorts smaller than this show no numbers (small-cell suppression of de-identified counts)."""
    return int(getattr(settings, "KAPSTONE_OUTCOMES_MIN_CELL", 11))


@dataclass(frozen=True)
class ProgramRow:
    protocol_key: str
    protocol_title: str
    instrument_id: str
    instrument_title: str
    rates: core.Rates
    suppressed: bool
    response_defined: bool  # the definition (or the clinic's options) gives a threshold
    remission_defined: bool


def _instrument_title(instrument_id: str) -> str:
    try:
        return get_registry().get(instrument_id).short_title
    except UnknownInstrumentError:
        return instrument_id


def program_outcomes(actor: Actor) -> list[ProgramRow]:
    """Every protocol x instrument cohort of the actor's organization, from the aggregate rows."""
    if not allows(actor, "outcomes.program") or actor.organization_id is None:
        return []

    titles = dict(
        ProtocolVersion.objects.filter(organization_id=actor.organization_id)
        .order_by("protocol_id", "created_at")
        .values_list("protocol_id", "title")
    )

    smallest = min_cell()
    options = clinic_options(actor.organization_id, None)
    rows = []
    for outcome in ProgramOutcome.objects.filter(
        organization_id=actor.organization_id, with_baseline__gt=0
    ).order_by("protocol_key", "instrument_id"):
        th = instrument_thresholds(outcome.instrument_id, options.get(outcome.instrument_id))
        rates = core.Rates(
            outcome.with_baseline, outcome.with_followup, outcome.responders, outcome.remitters
        )
        rows.append(
            ProgramRow(
                outcome.protocol_key,
                titles.get(outcome.protocol_key, outcome.protocol_key)
                if outcome.protocol_key
                else "No course",
                outcome.instrument_id,
                _instrument_title(outcome.instrument_id),
                rates,
                outcome.with_baseline < smallest,
                th.response_percent is not None,
                th.remission_op is not None,
            )
        )
    record(actor, "outcomes.program", object_type="program_outcome", detail={"rows": len(rows)})
    return rows


def latest_protocols(organization_id: int) -> dict[int, str]:
    """Each client's cohort: the protocol of their latest course."""

    latest = Window(
        RowNumber(), partition_by=[F("client_id")], order_by=[F("started_at").desc(), F("pk").desc()]
    )
    return dict(
        Course.objects.filter(organization_id=organization_id)
        .annotate(rn=latest)
        .filter(rn=1)
        .values_list("client_id", "protocol_key")
    )


def scan_states(organization_id: int) -> dict[tuple[int, str], tuple[str, core.State]]:
    """Every client's state per instrument, recomputed from all of the organization's responses."""

    part = [F("client_id"), F("instrument_id")]
    first = Window(RowNumber(), partition_by=part, order_by=[F("administered_at").asc(), F("pk").asc()])
    last = Window(RowNumber(), partition_by=part, order_by=[F("administered_at").desc(), F("pk").desc()])
    rows = (
        Response.objects.filter(organization_id=organization_id, total__isnull=False)
        .annotate(first=first, last=last, n=Window(Count("pk"), partition_by=part))
        .filter(Q(first=1) | Q(last=1))
        .values_list("client_id", "instrument_id", "total", "administered_at", "pk", "first", "last", "n")
    )
    found: dict[tuple[int, str], dict[str, Any]] = defaultdict(dict)
    for client_id, instrument_id, total, at, pk, is_first, is_last, n in rows:
        point = core.Point(float(total or 0), at, pk)  # never None: filtered above
        slot = found[(client_id, instrument_id)]
        slot["n"] = n
        if is_first == 1:
            slot["baseline"] = point
        if is_last == 1:
            slot["latest"] = point
    protocols = latest_protocols(organization_id)
    return {
        key: (
            protocols.get(key[0], ""),
            core.State(int(slot["n"]), slot["baseline"], slot["latest"]),
        )
        for key, slot in found.items()
    }


def program_outcomes_scan(organization_id: int) -> Counts:
    """The cohort counts recomputed from every response of the organization (what the rows replace)."""

    states = scan_states(organization_id)
    options = clinic_options(organization_id, {instrument for _, instrument in states})
    cache: dict[str, core.Thresholds] = {}
    totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for (_, instrument_id), (protocol, state) in states.items():
        th = cache.get(instrument_id)
        if th is None:
            th = cache[instrument_id] = instrument_thresholds(instrument_id, options.get(instrument_id))
        c = core.contribution(state, th)
        row = totals[(protocol, instrument_id)]
        row[0] += c.with_baseline
        row[1] += c.with_followup
        row[2] += c.responders
        row[3] += c.remitters
    return {key: (a, b, c, d) for key, (a, b, c, d) in totals.items()}


def program_outcomes_stored(organization_id: int) -> Counts:
    """The aggregate rows as the same counts (non-empty rows only)."""
    return {
        (o.protocol_key, o.instrument_id): (o.with_baseline, o.with_followup, o.responders, o.remitters)
        for o in ProgramOutcome.objects.filter(organization_id=organization_id)
        if o.with_baseline or o.with_followup or o.responders or o.remitters
    }
