"""Reads of the practicum ledger, scoped: a trainee reaches their own ledger, a supervisor the
trainees they supervise (an active ``Supervision`` in the active organization), nobody else's;
"not yours" is the same audited 404 as "not found". A ledger's client is shown only to the
client's care team; everyone else sees that a client was counted, not who."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from kapstone.access.policy import allows
from kapstone.access.scoping import scoped_get
from kapstone.accounts.models import User
from kapstone.audit.services import record
from kapstone.clients.selectors import clients_scoped
from kapstone.core.actor import Actor
from kapstone.practicum.core import Line, RequirementSet, SetReport, Status, check_set, hours, shipped_sets
from kapstone.practicum.models import KIND_LABELS, Fact, LedgerEntry, Program, Supervision
from kapstone.practicum.sources import Derived, client_key, derived_for


def _org(actor: Actor) -> int:
    return actor.organization_id if actor.organization_id is not None else -1


def program_of(organization_id: int) -> Program:
    """The organization's program; without one, every shipped set enabled at its defaults."""
    program = Program.objects.filter(organization_id=organization_id).first()
    if program is None:
        program = Program(organization_id=organization_id, enabled_sets=shipped_sets().ids())
    return program


def enabled_sets(program: Program) -> list[RequirementSet]:
    sets = shipped_sets()
    return [sets.get(ident) for ident in program.enabled_sets if ident in sets]


def supervised_ids(actor: Actor) -> list[int]:
    return list(
        Supervision.objects.filter(
            organization_id=_org(actor), supervisor_id=actor.user_id, active=True
        ).values_list("trainee_id", flat=True)
    )


def supervisor_ids_of(trainee_id: int, organization_id: int) -> list[int]:
    return list(
        Supervision.objects.filter(
            organization_id=organization_id, trainee_id=trainee_id, active=True
        ).values_list("supervisor_id", flat=True)
    )


def trainee_get(actor: Actor, pk: object, *, action: str = "practicum.trainee") -> User:
    """A trainee the actor supervises (audited read; else an audited 404)."""
    scoped = (
        User.objects.filter(pk__in=supervised_ids(actor)) if allows(actor, action) else User.objects.none()
    )
    return scoped_get(actor, scoped, pk, action=action, object_type="trainee")


def my_trainees(actor: Actor) -> list[User]:
    return list(User.objects.filter(pk__in=supervised_ids(actor)).order_by("full_name", "pk"))


@dataclass
class LedgerView:
    trainee: User
    entries: list[LedgerEntry]
    derived: list[Derived]
    reports: list[SetReport]
    sets: list[RequirementSet]
    totals: dict[str, dict[str, int]] = field(default_factory=dict)  # kind -> {counted, pending} minutes
    visible_clients: set[int] = field(default_factory=set)
    entry_count: int = 0
    offset: int = 0  # how many newer entries come before ``entries``
    page: int = 1
    pages: int = 1

    @property
    def first(self) -> int:
        return self.offset + 1 if self.entries else 0

    @property
    def last(self) -> int:
        return self.offset + len(self.entries)


def facts_of(trainee_id: int, organization_id: int) -> dict[str, bool | None]:
    facts: dict[str, bool | None] = {}
    for fact, value in (
        Fact.objects.filter(organization_id=organization_id, trainee_id=trainee_id)
        .order_by("recorded_at", "pk")
        .values_list("fact", "value")
    ):
        facts[fact] = value  # the newest wins
    return facts


LINE_FIELDS = ("pk", "kind", "minutes", "occurred_on", "status", "topics", "group_size", "online",
               "session_kind", "client_id", "reverses_id")  # fmt: skip
SHOWN = 200  # entries listed in the ledger PDF (all of them count)
PAGE_SIZE = 50  # entries per page of the ledger page; "Older entries" pages through every one


def lines_of(rows: list[dict[str, Any]], derived: list[Derived], organization_id: int) -> list[Line]:
    """The core's view of a ledger (``rows``: ``LedgerEntry`` values of LINE_FIELDS). A verified
    reversal cancels its entry; while the reversal waits for verification, the entry it reverses no
    longer counts (fail closed)."""
    return _lines([tuple(row[f] for f in LINE_FIELDS) for row in rows], derived, organization_id)


def _lines(rows: list[tuple[Any, ...]], derived: list[Derived], organization_id: int) -> list[Line]:
    """``lines_of`` over rows as tuples of LINE_FIELDS (``values_list``: no dict per entry)."""
    verified, returned = LedgerEntry.Status.VERIFIED, LedgerEntry.Status.RETURNED
    reversed_ids = {row[10]: row[4] for row in rows if row[10] is not None}
    lines = []
    for pk, kind, minutes, occurred_on, status, topics, group_size, online, session, client, reverses in rows:
        if reverses is not None or status == returned:
            continue
        reversal = reversed_ids.get(pk)
        if reversal == verified:
            continue
        lines.append(
            Line(
                kind=kind, minutes=minutes, occurred_on=occurred_on,
                counted=status == verified and reversal is None, topics=tuple(topics or ()),
                group_size=group_size, online=online, session=session or None,
                client_key=client_key(organization_id, client) if client else None,
            )
        )  # fmt: skip
    for item in derived:
        e = item.earned
        lines.append(
            Line(
                kind=e.kind, minutes=e.minutes, occurred_on=e.occurred_on, topics=e.topics,
                group_size=e.group_size, client_key=e.client_key, online=item.online, session=item.session,
            )
        )  # fmt: skip
    return lines


def check_trainee(
    trainee: User, organization_id: int, *, listed: int = SHOWN, offset: int = 0
) -> tuple[list[RequirementSet], list[SetReport], LedgerView]:
    """Not audited: the callers (the ledger pages, the desk, certificate issue) audit their reads.
    Every entry is checked (read as values, not model rows); ``listed`` entries from the ``offset``-th
    newest are read as rows to show (none for a caller that shows none, such as the desk)."""
    program = program_of(organization_id)
    mine = LedgerEntry.objects.filter(organization_id=organization_id, trainee=trainee)
    rows = list(mine.values_list(*LINE_FIELDS))
    entries = []
    if listed:
        newest = mine.select_related("supervisor", "client").order_by("-occurred_on", "-pk")
        entries = list(newest[offset : offset + listed])
    derived = derived_for(trainee, organization_id)
    lines = _lines(rows, derived, organization_id)
    facts = facts_of(trainee.pk, organization_id)
    sets = enabled_sets(program)
    reports = [check_set(s, lines, settings=program.settings, facts=facts) for s in sets]
    totals: dict[str, dict[str, int]] = defaultdict(lambda: {"counted": 0, "pending": 0})
    for line in lines:
        totals[line.kind]["counted" if line.counted else "pending"] += line.minutes
    view = LedgerView(
        trainee, entries, derived, reports, sets, dict(totals), entry_count=len(rows), offset=offset
    )
    return sets, reports, view


def ledger(actor: Actor, trainee: User, *, page: int = 1, per_page: int = PAGE_SIZE) -> LedgerView:
    """The trainee's ledger and its check against every set the program enables (audited read), with
    page ``page`` of its entries, newest first (a page past the last shows the last)."""
    count = LedgerEntry.objects.filter(organization_id=_org(actor), trainee=trainee).count()
    pages = max((count + per_page - 1) // per_page, 1)
    page = min(max(page, 1), pages)
    _, _, view = check_trainee(trainee, _org(actor), listed=per_page, offset=(page - 1) * per_page)
    view.page, view.pages = page, pages
    client_ids = {e.client_id for e in view.entries if e.client_id}
    if client_ids:
        view.visible_clients = set(
            clients_scoped(actor, "client.view").filter(pk__in=client_ids).values_list("pk", flat=True)
        )
    record(
        actor, "practicum.ledger.view", object_type="trainee", object_id=trainee.pk,
        detail={"entries": view.entry_count, "derived": len(view.derived), "page": page},
    )  # fmt: skip
    return view


def side_by_side(view: LedgerView) -> list[dict[str, object]]:
    """Per set: its verdicts, and the count of met / not yet / cannot tell, for the "what's missing" view."""
    return [
        {
            "report": report,
            "met": report.count(Status.MET),
            "not_yet": report.count(Status.NOT_YET),
            "cannot_tell": report.count(Status.CANNOT_TELL),
            "missing": [v for v in report.verdicts if v.status is not Status.MET],
        }
        for report in view.reports
    ]


def kind_totals(view: LedgerView) -> list[tuple[str, str, str]]:

    return [
        (label, hours(view.totals[kind]["counted"]), hours(view.totals[kind]["pending"]))
        for kind, label in KIND_LABELS.items()
        if kind in view.totals
    ]
