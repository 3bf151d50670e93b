"""Measurement reads: scoped to the acting person through the client selectors, audited.

Lists are built in a fixed number of queries whatever the number of clients or responses (the
caseload is pinned by a test).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Count, F, QuerySet, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.utils import timezone

from kapstone.audit.models import Outcome
from kapstone.audit.services import record
from kapstone.clients.models import Client
from kapstone.clients.selectors import clients_scoped
from kapstone.core.actor import Actor
from kapstone.measures import conf
from kapstone.measures.hooks import dosing_marker_dates
from kapstone.measures.instruments import (
    Instrument,
    UnknownInstrumentError,
    get_instrument_or_newest,
    get_registry,
)
from kapstone.measures.models import InstrumentSettings, MeasureSchedule, PortalLink, Response, SafetyTask
from kapstone.measures.scoring import ChangeResult, ScoreResult, compare


def clinic_settings(organization_id: int | None, instrument_id: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The organization's option values and item wording for an instrument (empty when unset)."""
    if organization_id is None:
        return {}, {}
    row = (
        InstrumentSettings.objects.filter(organization_id=organization_id, instrument_id=instrument_id)
        .values("options", "item_text")
        .first()
    )
    if row is None:
        return {}, {}
    return dict(row["options"] or {}), dict(row["item_text"] or {})


def instrument_settings_get(organization_id: int | None, instrument_id: str) -> InstrumentSettings | None:
    if organization_id is None:
        return None
    return InstrumentSettings.objects.filter(
        organization_id=organization_id, instrument_id=instrument_id
    ).first()


def _scoped_ids(actor: Actor, action: str) -> QuerySet[Client]:
    return clients_scoped(actor, action).values("pk")  # type: ignore[return-value]


def _not_found(actor: Actor, action: str, object_type: str, pk: object) -> Http404:
    record(actor, action, outcome=Outcome.DENIED, object_type=object_type, object_id=str(pk)[:64])
    return Http404()


def response_get(actor: Actor, pk: int) -> Response:
    """One response of a client the actor may see; audited; 404 for missing or not yours."""
    response = (
        Response.objects.select_related("client", "recorded_by")
        .filter(pk=pk, client__in=_scoped_ids(actor, "measure.view"))
        .first()
    )
    if response is None:
        raise _not_found(actor, "measure.view", "response", pk)
    record(actor, "measure.view", object_type="response", object_id=response.pk, client_id=response.client_id)
    return response


def safety_task_get(actor: Actor, pk: int) -> SafetyTask:
    task = (
        SafetyTask.objects.select_related("client", "response", "acknowledged_by", "opened_by")
        .filter(pk=pk, client__in=_scoped_ids(actor, "safety.acknowledge"))
        .first()
    )
    if task is None:
        raise _not_found(actor, "safety.view", "safety_task", pk)
    record(actor, "safety.view", object_type="safety_task", object_id=task.pk, client_id=task.client_id)
    return task


def dosing_blocked_by(client: Client) -> list[SafetyTask]:
    """Open safety tasks whose level blocks dosing until a clinician documents a review (the care
    module asks this at the pre-dose go and at the dose). Not audited here: the caller is already
    in the client's record."""
    return [
        t for t in SafetyTask.objects.filter(client=client, acknowledged_at__isnull=True) if t.blocks_dosing
    ]


def open_safety_levels(client: Client) -> list[SafetyTask]:
    """Every open safety task of the client, highest level first then oldest (pre-dose warnings)."""
    return list(
        SafetyTask.objects.filter(client=client, acknowledged_at__isnull=True).order_by(
            "-level_rank", "opened_at", "pk"
        )
    )


def schedule_get(actor: Actor, client: Client, pk: int) -> MeasureSchedule:
    schedule = MeasureSchedule.objects.filter(pk=pk, client=client).select_related("client").first()
    if schedule is None:
        raise _not_found(actor, "measure.assign", "measure_schedule", pk)
    return schedule


def _task_order(task: SafetyTask) -> tuple[int, object, int]:
    """Highest level first, then the oldest first (the longest waiting)."""
    return (-task.level_rank, task.opened_at, task.pk)


def open_safety_tasks(actor: Actor, *, limit: int = 100) -> list[SafetyTask]:
    """Unacknowledged safety tasks for every client on the actor's care teams (the dashboard),
    highest level first, then oldest first."""
    tasks = list(
        SafetyTask.objects.filter(
            client__in=_scoped_ids(actor, "safety.acknowledge"), acknowledged_at__isnull=True
        )
        .select_related("client")
        .order_by("-level_rank", "opened_at", "pk")[:limit]
    )
    if tasks:
        record(
            actor,
            "safety.list",
            object_type="safety_task",
            detail={"count": len(tasks), "clients": sorted({t.client_id for t in tasks})[:50]},
        )
    return tasks


def result_of(response: Response) -> ScoreResult:
    """The stored structured result as the pure core's ScoreResult (the model's columns win)."""
    stored = response.result or {}
    total = response.total
    if total is not None and float(total).is_integer():
        total = int(total)
    return ScoreResult(
        instrument=response.instrument_id,
        version=response.instrument_version,
        complete=response.complete,
        total=total,
        band=response.band or None,
        subscales=dict(stored.get("subscales") or {}),
        flags=list(stored.get("flags") or []),
        interpretation=str(stored.get("interpretation") or ""),
        errors=list(stored.get("errors") or []),
        options=dict(stored.get("options") or {}),
    )


def _due(schedules: list[MeasureSchedule], now: datetime) -> list[MeasureSchedule]:
    return [s for s in schedules if s.is_due(now)]


# --- the client's measures page -------------------------------------------------------------------


@dataclass
class InstrumentHistory:
    instrument_id: str
    instrument: Instrument | None  # None when the definition is no longer installed
    responses: list[Response]
    change: ChangeResult | None = None
    change_note: str = ""

    @property
    def title(self) -> str:
        return self.instrument.short_title if self.instrument else self.instrument_id

    @property
    def latest(self) -> Response:
        return self.responses[-1]

    @property
    def baseline(self) -> Response:
        return self.responses[0]


@dataclass
class ClientMeasures:
    client: Client
    histories: list[InstrumentHistory]
    open_tasks: list[SafetyTask]
    closed_tasks: list[SafetyTask]
    schedules: list[MeasureSchedule]
    due: list[MeasureSchedule]
    links: list[PortalLink]
    dosing_dates: list[date] = field(default_factory=list)


def change_for(history: InstrumentHistory, options: dict[str, Any]) -> tuple[ChangeResult | None, str]:
    """Baseline (first) vs latest response under the latest response's definition version."""
    if history.instrument is None:
        return None, "The definition is no longer installed, so change cannot be computed."
    if len(history.responses) < 2:
        return None, "Change needs a baseline and at least one later response."
    return compare(
        history.instrument, result_of(history.baseline), result_of(history.latest), options or None
    ), ""


def client_measures(actor: Actor, client: Client) -> ClientMeasures:
    """Everything the client's measures page shows, in a fixed number of queries.

    The caller obtained ``client`` through ``client_get(actor, pk, action="measure.view")``, which
    audits the read.
    """

    responses = list(
        Response.objects.filter(organization_id=client.organization_id, client=client)
        .defer("answers")  # the page shows scores, not the raw answers
        .order_by("administered_at", "pk")
    )
    by_instrument: dict[str, list[Response]] = defaultdict(list)
    for response in responses:
        by_instrument[response.instrument_id].append(response)
    settings_rows = {
        row.instrument_id: dict(row.options or {})
        for row in InstrumentSettings.objects.filter(
            organization_id=client.organization_id, instrument_id__in=list(by_instrument)
        )
    }
    histories = []
    for instrument_id in sorted(by_instrument):
        rows = by_instrument[instrument_id]
        try:
            instrument: Instrument | None = get_instrument_or_newest(
                instrument_id, rows[-1].instrument_version
            )
        except UnknownInstrumentError:
            instrument = None
        history = InstrumentHistory(instrument_id, instrument, rows)
        history.change, history.change_note = change_for(history, settings_rows.get(instrument_id, {}))
        histories.append(history)
    tasks = list(
        SafetyTask.objects.filter(organization_id=client.organization_id, client=client)
        .select_related("acknowledged_by")
        .order_by("-opened_at", "-pk")[:200]
    )
    schedules = list(
        MeasureSchedule.objects.filter(
            organization_id=client.organization_id, client=client, active=True
        ).order_by("instrument_id", "kind")
    )
    links = list(
        PortalLink.objects.filter(organization_id=client.organization_id, client=client).order_by(
            "-created_at", "-pk"
        )[:20]
    )
    return ClientMeasures(
        client=client,
        histories=histories,
        open_tasks=sorted((t for t in tasks if t.is_open), key=_task_order),
        closed_tasks=[t for t in tasks if not t.is_open][:20],
        schedules=schedules,
        due=_due(schedules, timezone.now()),
        links=links,
        dosing_dates=list(dosing_marker_dates(client)),
    )


# --- caseload -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    total: float | None
    band: str
    administered_at: datetime
    previous: float | None
    trend: str  # "better" / "worse" / "same" / "" (no earlier score or no direction)

    @property
    def arrow(self) -> str:
        if self.previous is None or self.total is None:
            return ""
        if self.total > self.previous:
            return "↑"
        if self.total < self.previous:
            return "↓"
        return "→"


@dataclass
class CaseloadRow:
    client: Client
    cells: dict[str, Cell | None]
    open_tasks: int
    due: list[str]


@dataclass
class Caseload:
    instruments: list[Instrument]
    rows: list[CaseloadRow]


def _trend(instrument: Instrument, latest: float | None, previous: float | None) -> str:
    if latest is None or previous is None:
        return ""
    if latest == previous:
        return "same"
    if instrument.change is None:
        return ""
    lower_better = instrument.change.direction == "lower_is_better"
    return "better" if (latest < previous) == lower_better else "worse"


def caseload(actor: Actor) -> Caseload:
    """Every active client of the actor's with the latest key scores, trend, open safety tasks and
    measures due. Four queries plus the audit row, whatever the size of the caseload."""
    registry = get_registry()
    keys = [i for i in conf.caseload_instruments() if i in registry]
    instruments = [registry.get(i) for i in keys]
    scoped = clients_scoped(actor, "outcomes.caseload").filter(is_active=True)
    # What a row shows and routes by: the DISTINCT the care-team join needs then sorts five columns,
    # not thirteen, and 200 rows carry no contact details the page never prints.
    clients = list(
        scoped.only("organization_id", "given_name", "family_name", "preferred_name").order_by(
            "family_name", "given_name", "pk"
        )
    )
    ids = [c.pk for c in clients]
    # Each read names the organization as well as the clients: one shard's worth on a distributed
    # engine (README, scale-out), and what tests/architecture/test_org_predicate.py checks.
    orgs = sorted({c.organization_id for c in clients})
    # The same scoped keys in two forms, each where PostgreSQL plans it well (EXPLAIN ANALYZE, 1 M
    # clients, 10,000 an organization). The tasks and schedules take the keys the scoped read just
    # returned, as a list: as the scoped subquery each re-read the organization's clients hashed
    # against the care team (~3 ms a statement, 3.6 and 3.3 ms in all); as a list, 0.3 and 1.5 ms.
    # The responses keep the subquery: a list there meets a misestimate (ANALYZE's sample counts
    # ~40,000 distinct clients in 20 M responses, so 200 keys look like 96,000 rows) and is ANDed
    # with a bitmap of the organization's 200,000 responses (~30 ms); the subquery is a nested
    # loop, one index probe a client (~10 ms, as the bare view's list without the organization).
    scoped_ids = scoped.values("pk")
    latest: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    if keys and clients:
        window = Window(
            RowNumber(),
            partition_by=[F("client_id"), F("instrument_id")],
            order_by=[F("administered_at").desc(), F("pk").desc()],
        )
        rows = (
            Response.objects.filter(organization_id__in=orgs, client__in=scoped_ids, instrument_id__in=keys)
            .annotate(rn=window)
            .filter(rn__lte=2)
            .values("client_id", "instrument_id", "total", "band", "administered_at", "rn")
        )
        for row in sorted(rows, key=lambda r: r["rn"]):
            latest[(row["client_id"], row["instrument_id"])].append(row)
    tasks: dict[int, int] = {}
    due: dict[int, list[str]] = defaultdict(list)
    if clients:
        tasks = dict(
            SafetyTask.objects.filter(organization_id__in=orgs, client__in=ids, acknowledged_at__isnull=True)
            .values("client_id")
            .annotate(n=Count("pk"))
            .values_list("client_id", "n")
        )
        for client_id, instrument_id in (
            MeasureSchedule.objects.filter(
                organization_id__in=orgs, client__in=ids, active=True, next_due_at__lte=timezone.now()
            )
            .order_by("instrument_id")
            .values_list("client_id", "instrument_id")
        ):
            title = registry.get(instrument_id).short_title if instrument_id in registry else instrument_id
            if title not in due[client_id]:
                due[client_id].append(title)
    by_id = {i.id: i for i in instruments}
    result = []
    for client in clients:
        cells: dict[str, Cell | None] = {}
        for key in keys:
            pair = latest.get((client.pk, key))
            if not pair:
                cells[key] = None
                continue
            now_row = pair[0]
            prev = pair[1]["total"] if len(pair) > 1 else None
            cells[key] = Cell(
                now_row["total"],
                now_row["band"],
                now_row["administered_at"],
                prev,
                _trend(by_id[key], now_row["total"], prev),
            )
        result.append(CaseloadRow(client, cells, tasks.get(client.pk, 0), due.get(client.pk, [])))
    record(actor, "outcomes.caseload", object_type="client", detail={"count": len(clients)})
    return Caseload(instruments, result)
