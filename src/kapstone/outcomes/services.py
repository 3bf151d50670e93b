"""Keeping the program-outcome aggregates current: in the transaction of the write that changes them.

* ``response_recorded``: measures calls it inside the transaction that stores a response; it folds
  the response into the client's state for that instrument and moves the cohort counts by the
  difference (a handful of point queries whatever the number of responses).
* ``client_cohort_changed``: care calls it when a course starts (the client's cohort is the protocol
  of their latest course); it moves the client's states to the new cohort.
* ``thresholds_changed``: the clinic changed an instrument's options (e.g. a cut-point); the flags
  and the cohort rows of that instrument are recomputed from the states (no response scan).
* ``rebuild``: recompute everything of an organization from its responses (``kapstone
  outcomes_rebuild``; after a restore or an import that bypassed the services).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from kapstone.care.models import Course
from kapstone.measures.instruments import UnknownInstrumentError, get_registry
from kapstone.measures.models import InstrumentSettings
from kapstone.outcomes import core
from kapstone.outcomes.models import ClientMeasureState, ProgramOutcome

Key = tuple[int, str, str]  # organization, protocol, instrument


def instrument_thresholds(instrument_id: str, options: Mapping[str, object] | None) -> core.Thresholds:
    """The newest installed definition's thresholds under the clinic's options."""
    try:
        instrument = get_registry().get(instrument_id)
    except UnknownInstrumentError:
        return core.NO_THRESHOLDS
    return core.thresholds(instrument, options or None)


def clinic_options(organization_id: int, instrument_ids: Iterable[str] | None) -> dict[str, dict[str, Any]]:
    """The clinic's option values per instrument (of the given instruments, or of all)."""

    rows = InstrumentSettings.objects.filter(organization_id=organization_id)
    if instrument_ids is not None:
        rows = rows.filter(instrument_id__in=list(instrument_ids))
    return {row.instrument_id: dict(row.options or {}) for row in rows}


def current_protocol(client_id: int) -> str:
    """The client's cohort: the protocol of their latest course, "" without one."""

    key = (
        Course.objects.filter(client_id=client_id)
        .order_by("-started_at", "-pk")
        .values_list("protocol_key", flat=True)
        .first()
    )
    return key or ""


def _state_of(row: ClientMeasureState) -> core.State:
    return core.State(
        row.responses,
        core.Point(row.baseline_total, row.baseline_at, row.baseline_response_id),
        core.Point(row.latest_total, row.latest_at, row.latest_response_id),
    )


def _contribution_of(row: ClientMeasureState) -> core.Contribution:
    if row.responses < 2:
        return core.Contribution(1, 0, 0, 0)
    return core.Contribution(1, 1, int(row.responder), int(row.remitter))


def _write_state(row: ClientMeasureState, state: core.State, th: core.Thresholds) -> None:
    row.responses = state.responses
    row.baseline_total, row.baseline_at, row.baseline_response_id = (
        state.baseline.total, state.baseline.at, state.baseline.id,
    )  # fmt: skip
    row.latest_total, row.latest_at, row.latest_response_id = (
        state.latest.total, state.latest.at, state.latest.id,
    )  # fmt: skip
    contribution = core.contribution(state, th)
    row.responder, row.remitter = bool(contribution.responders), bool(contribution.remitters)


def _apply(deltas: Mapping[Key, core.Contribution]) -> None:
    """Move cohort rows by the deltas, in key order (two writers never wait on each other in a cycle)."""
    now = timezone.now()
    for (organization_id, protocol, instrument_id), delta in sorted(deltas.items()):
        if not delta:
            continue
        rows = ProgramOutcome.objects.filter(
            organization_id=organization_id, protocol_key=protocol, instrument_id=instrument_id
        )
        change = {
            "with_baseline": F("with_baseline") + delta.with_baseline,
            "with_followup": F("with_followup") + delta.with_followup,
            "responders": F("responders") + delta.responders,
            "remitters": F("remitters") + delta.remitters,
            "updated_at": now,
        }
        if not rows.update(**change):
            ProgramOutcome.objects.bulk_create(
                [
                    ProgramOutcome(
                        organization_id=organization_id, protocol_key=protocol, instrument_id=instrument_id
                    )
                ],
                ignore_conflicts=True,
            )
            rows.update(**change)


def _add(deltas: dict[Key, core.Contribution], key: Key, value: core.Contribution) -> None:
    current = deltas.get(key, core.NOTHING)
    deltas[key] = core.Contribution(
        current.with_baseline + value.with_baseline,
        current.with_followup + value.with_followup,
        current.responders + value.responders,
        current.remitters + value.remitters,
    )


def _move(rows: Iterable[ClientMeasureState], protocol: str, deltas: dict[Key, core.Contribution]) -> None:
    """Move states to another cohort (their counts leave the old row and join the new one)."""
    for row in rows:
        if row.protocol_key == protocol:
            continue
        before = _contribution_of(row)
        _add(deltas, (row.organization_id, row.protocol_key, row.instrument_id), core.NOTHING - before)
        _add(deltas, (row.organization_id, protocol, row.instrument_id), before)
        ClientMeasureState.objects.filter(pk=row.pk).update(protocol_key=protocol)
        row.protocol_key = protocol


def response_recorded(response: Any, options: Mapping[str, object] | None = None) -> None:
    """Fold a just-stored response into the aggregates. Call inside the storing transaction."""
    if response.total is None:
        return
    point = core.Point(float(response.total), response.administered_at, response.pk)
    th = instrument_thresholds(response.instrument_id, options)
    protocol = current_protocol(response.client_id)
    deltas: dict[Key, core.Contribution] = {}
    with transaction.atomic(savepoint=False):  # part of the storing transaction; fails with it
        rows = list(ClientMeasureState.objects.select_for_update().filter(client_id=response.client_id))
        _move(rows, protocol, deltas)
        row = next((r for r in rows if r.instrument_id == response.instrument_id), None)
        if row is None:
            row = ClientMeasureState(
                organization_id=response.organization_id,
                client_id=response.client_id,
                instrument_id=response.instrument_id,
                protocol_key=protocol,
            )
            _write_state(row, core.fold(None, point), th)
            try:
                with transaction.atomic():
                    row.save(force_insert=True)
            except IntegrityError:  # a concurrent first response for the same client and instrument
                row = ClientMeasureState.objects.select_for_update().get(
                    client_id=response.client_id, instrument_id=response.instrument_id
                )
            else:
                _add(deltas, (row.organization_id, protocol, row.instrument_id), _contribution_of(row))
                _apply(deltas)
                return
        before = _contribution_of(row)
        _write_state(row, core.fold(_state_of(row), point), th)
        row.save()
        _add(
            deltas, (row.organization_id, row.protocol_key, row.instrument_id), _contribution_of(row) - before
        )
        _apply(deltas)


def client_cohort_changed(client_id: int) -> None:
    """The client's latest course changed: move their states to its protocol's cohort."""
    protocol = current_protocol(client_id)
    deltas: dict[Key, core.Contribution] = {}
    with transaction.atomic():
        _move(ClientMeasureState.objects.select_for_update().filter(client_id=client_id), protocol, deltas)
        _apply(deltas)


def aggregate_from_states(organization_id: int, instrument_id: str | None = None) -> int:
    """Replace the organization's cohort rows (of one instrument, or all) by a GROUP BY of the states."""
    states = ClientMeasureState.objects.filter(organization_id=organization_id)
    outcomes = ProgramOutcome.objects.filter(organization_id=organization_id)
    if instrument_id is not None:
        states, outcomes = (
            states.filter(instrument_id=instrument_id),
            outcomes.filter(instrument_id=instrument_id),
        )
    grouped = states.values("protocol_key", "instrument_id").annotate(
        with_baseline=Count("pk"),
        with_followup=Count("pk", filter=Q(responses__gte=2)),
        responders=Count("pk", filter=Q(responses__gte=2, responder=True)),
        remitters=Count("pk", filter=Q(responses__gte=2, remitter=True)),
    )
    now = timezone.now()
    rows = [ProgramOutcome(organization_id=organization_id, updated_at=now, **row) for row in grouped]
    with transaction.atomic():
        outcomes.delete()
        ProgramOutcome.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def thresholds_changed(
    organization_id: int, instrument_id: str, options: Mapping[str, object] | None
) -> None:
    """The clinic changed an instrument's options: recompute its flags and cohort rows from the states."""
    th = instrument_thresholds(instrument_id, options)
    with transaction.atomic():
        changed = []
        for row in ClientMeasureState.objects.select_for_update().filter(
            organization_id=organization_id, instrument_id=instrument_id
        ):
            responder, remitter = row.responder, row.remitter
            _write_state(row, _state_of(row), th)
            if (responder, remitter) != (row.responder, row.remitter):
                changed.append(row)
        ClientMeasureState.objects.bulk_update(changed, ["responder", "remitter"], batch_size=500)
        aggregate_from_states(organization_id, instrument_id)


def rebuild(organization_id: int) -> int:
    """Recompute the organization's states and cohort rows from its responses (a full scan)."""
    from kapstone.outcomes.selectors import scan_states  # cycle: selectors reads thresholds here

    states = scan_states(organization_id)
    options = clinic_options(organization_id, {instrument for _, instrument in states})
    cache: dict[str, core.Thresholds] = {}
    rows = []
    for (client_id, instrument_id), (protocol, state) in states.items():
        th = cache.get(instrument_id)
        if th is None:
            th = cache[instrument_id] = instrument_thresholds(instrument_id, options.get(instrument_id))
        row = ClientMeasureState(
            organization_id=organization_id,
            client_id=client_id,
            instrument_id=instrument_id,
            protocol_key=protocol,
        )
        _write_state(row, state, th)
        rows.append(row)
    with transaction.atomic():
        ClientMeasureState.objects.filter(organization_id=organization_id).delete()
        ClientMeasureState.objects.bulk_create(rows, batch_size=1000)
        aggregate_from_states(organization_id)
    return len(rows)
