"""Synthetic data at scale, for benchmarks and load tests: ``kapstone synth``.

Obviously fictional (names from a small pool of made-up words, addresses under ``.invalid``), and
deterministic for a seed and an anchor date. Fills organizations, clinicians (therapists, prescribers,
supervisors, trainees and an admin per organization), clients with care teams, courses on the shipped
protocols, dosing sessions with their dose and 24 vitals readings, questionnaire responses with
plausible trajectories (responders improve, others drift), safety tasks for flagged responses, measure
schedules, trainees' notes waiting for a co-sign, and the program-outcome aggregates (folded with the
application's own ``kapstone.outcomes.core``).

Rows are written by the fastest path each database offers: SQLite ``executemany`` in large
transactions, PostgreSQL ``COPY ... FROM STDIN`` through psycopg. Answers and results come from a
pool scored once by the real scoring core, so generation costs little beside the insert; the
``compare_raw`` check times the generator against a raw insert of the very same rows through the
driver (the same run, printed as a ratio).
"""

from __future__ import annotations

import hashlib
import json
import math
import queue
import random
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, TextIO

from django.apps import apps
from django.db import connection as default_connection
from django.db import models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

GENERATOR_VERSION = "3"  # bump when the same seed would give other rows (keys the bench cache)
CLINICIANS_PER_ORG = 100
BENCH_CASELOAD = 200  # the first therapist of the first organization has exactly this many clients
PENDING_COSIGNS_PER_TRAINEE = 12  # a trainee's latest notes wait; earlier ones were co-signed
INSTRUMENTS = ("phq9", "gad7", "pcl5")
LEVELS = 16
VARIANTS = 8

GIVEN = (
    "Ash",
    "Bay",
    "Cove",
    "Dale",
    "Elm",
    "Fern",
    "Glen",
    "Heath",
    "Isle",
    "Jade",
    "Kestrel",
    "Lark",
    "Moss",
    "Nook",
    "Oak",
    "Pike",
    "Quill",
    "Reed",
    "Sage",
    "Tarn",
    "Umber",
    "Vale",
    "Wren",
    "Yarrow",
)
FAMILY = (
    "Sample",
    "Madeup",
    "Fictional",
    "Placeholder",
    "Testwood",
    "Notreal",
    "Synthetica",
    "Mockridge",
    "Pretendly",
    "Inventa",
    "Fakenham",
    "Dummett",
)
ROLE_SHARES = (("therapist", 0.6), ("prescriber", 0.1), ("supervisor", 0.1), ("trainee", 0.2))


@dataclass(frozen=True)
class Plan:
    clinicians: int
    clients: int
    responses_per_client: int
    seed: int = 1
    organizations: int = 0  # 0: one per CLINICIANS_PER_ORG clinicians
    dosing_per_client: float = 0.2
    anchor: date | None = None  # "today" of the data (default: today, UTC)

    @property
    def org_count(self) -> int:
        return self.organizations or max(1, math.ceil(self.clinicians / CLINICIANS_PER_ORG))

    @property
    def anchor_dt(self) -> datetime:
        day = self.anchor or datetime.now(UTC).date()
        return datetime(day.year, day.month, day.day, tzinfo=UTC).replace(tzinfo=None)  # naive UTC, as stored

    def scaled(self, clients: int) -> Plan:
        """A smaller plan of the same shape (for the raw-insert comparison)."""
        share = clients / self.clients if self.clients else 1
        return Plan(
            clinicians=max(len(ROLE_SHARES) + 1, round(self.clinicians * share)),
            clients=clients,
            responses_per_client=self.responses_per_client,
            seed=self.seed,
            organizations=max(1, round(self.org_count * share)),
            dosing_per_client=self.dosing_per_client,
            anchor=self.anchor,
        )


def email_of(seed: int, role: str, org_no: int, n: int) -> str:
    return f"{role}-{n:04d}@org-{org_no:04d}.synth-{seed}.invalid"


# --- tables: columns from the models, constants filled from their defaults ---------------------------


@dataclass
class Table:
    """One model's table: the generated columns first, then every other column with a constant."""

    model: type[models.Model]
    varying: tuple[str, ...]
    name: str = ""
    columns: tuple[str, ...] = ()
    constants: tuple[Any, ...] = ()

    def prepare(self, conn: BaseDatabaseWrapper, anchor: datetime) -> None:
        self.name = self.model._meta.db_table
        rest, values = [], []
        for f in self.model._meta.concrete_fields:
            if f.attname in self.varying:
                continue
            rest.append(f.column)
            values.append(_constant(f, conn, anchor))
        names = {f.attname: f.column for f in self.model._meta.concrete_fields}
        self.columns = tuple(names[a] for a in self.varying) + tuple(rest)
        self.constants = tuple(values)


def _constant(f: models.Field[Any, Any], conn: BaseDatabaseWrapper, anchor: datetime) -> Any:
    if isinstance(f, models.DateTimeField) and f.has_default():
        return _dt(conn)(anchor)  # not "now": the same seed and anchor give the same rows
    if f.has_default():
        value = f.get_default()
    elif f.null:
        return None
    elif isinstance(f, models.CharField | models.TextField):
        value = ""
    else:
        raise ValueError(f"synth: {f.model.__name__}.{f.name} needs a value")
    if isinstance(f, models.JSONField):
        return json.dumps(value)
    if isinstance(f, models.DateTimeField):
        return _dt(conn)(value.replace(tzinfo=None) if value is not None else None)
    if isinstance(f, models.BooleanField):
        return _bool(conn)(value)
    return value


def _dt(conn: BaseDatabaseWrapper) -> Callable[[datetime | None], str | None]:
    if conn.vendor == "postgresql":
        return lambda v: None if v is None else v.isoformat(" ") + "+00:00"
    return lambda v: None if v is None else v.isoformat(" ")


def _bool(conn: BaseDatabaseWrapper) -> Callable[[Any], Any]:
    if conn.vendor == "postgresql":
        return lambda v: bool(v)
    return lambda v: 1 if v else 0


def _tables() -> dict[str, Table]:
    m = apps.get_model
    return {
        "org": Table(m("accounts", "Organization"), ("id", "name", "slug", "kind", "created_at")),
        "user": Table(m("accounts", "User"), ("id", "password", "email", "full_name", "date_joined")),
        "membership": Table(m("accounts", "Membership"), ("id", "user_id", "organization_id", "role")),
        "protocol": Table(
            m("care", "ProtocolVersion"),
            (
                "id",
                "organization_id",
                "protocol_id",
                "version",
                "title",
                "route",
                "product",
                "origin",
                "text",
                "sha256",
                "note",
            ),
        ),
        "client": Table(
            m("clients", "Client"),
            ("id", "organization_id", "given_name", "family_name", "date_of_birth", "email", "created_at"),
        ),
        "team": Table(
            m("clients", "CareTeamMember"), ("id", "client_id", "user_id", "team_role", "supervisor_id")
        ),
        "course": Table(
            m("care", "Course"),
            (
                "id",
                "organization_id",
                "client_id",
                "protocol_id",
                "protocol_key",
                "protocol_version",
                "status",
                "indication",
                "prescriber_id",
                "started_at",
                "started_by_id",
            ),
        ),
        "session": Table(
            m("care", "CareSession"),
            (
                "id",
                "organization_id",
                "client_id",
                "course_id",
                "kind",
                "status",
                "number",
                "scheduled_at",
                "started_at",
                "ended_at",
                "lead_id",
                "created_by_id",
                "created_at",
            ),
        ),
        "dosing": Table(
            m("care", "DosingDetail"),
            ("id", "session_id", "weight_kg", "decision", "discharged_at", "discharged_by_id", "left_with"),
        ),
        "dose": Table(
            m("care", "DoseRecord"),
            (
                "id",
                "session_id",
                "route",
                "formulation",
                "product",
                "amount_mg",
                "weight_kg",
                "mg_per_kg",
                "given_at",
                "given_by_id",
                "level",
                "recorded_by_id",
                "recorded_at",
            ),
        ),
        "vitals": Table(
            m("care", "VitalReading"),
            (
                "id",
                "session_id",
                "phase",
                "taken_at",
                "systolic",
                "diastolic",
                "heart_rate",
                "spo2",
                "respiratory_rate",
                "recorded_by_id",
                "recorded_at",
            ),
        ),
        "response": Table(
            m("measures", "Response"),
            (
                "id",
                "organization_id",
                "client_id",
                "instrument_id",
                "instrument_version",
                "answers",
                "result",
                "total",
                "band",
                "administered_at",
                "source",
                "recorded_by_id",
                "created_at",
            ),
        ),
        "safety": Table(
            m("measures", "SafetyTask"),
            (
                "id",
                "organization_id",
                "client_id",
                "response_id",
                "instrument_id",
                "instrument_version",
                "flag_id",
                "severity",
                "message",
                "item_id",
                "evidence",
                "source",
                "opened_by_id",
                "opened_at",
                "acknowledged_by_id",
                "acknowledged_at",
                "action_taken",
            ),
        ),
        "schedule": Table(
            m("measures", "MeasureSchedule"),
            (
                "id",
                "organization_id",
                "client_id",
                "instrument_id",
                "kind",
                "interval_days",
                "next_due_at",
                "created_by_id",
                "created_at",
            ),
        ),
        "note": Table(
            m("notes", "ProgressNote"),
            (
                "id",
                "organization_id",
                "client_id",
                "template_id",
                "template_version",
                "author_id",
                "sections",
                "status",
                "created_at",
                "updated_at",
                "signed_at",
                "signed_by_id",
                "content_hash",
                "cosign_required",
                "cosigned_by_id",
                "cosigned_at",
            ),
        ),
        "state": Table(
            m("outcomes", "ClientMeasureState"),
            (
                "id",
                "organization_id",
                "client_id",
                "instrument_id",
                "protocol_key",
                "responses",
                "baseline_total",
                "baseline_at",
                "baseline_response_id",
                "latest_total",
                "latest_at",
                "latest_response_id",
                "responder",
                "remitter",
            ),
        ),
    }


ORDER = (
    "org",
    "user",
    "membership",
    "protocol",
    "client",
    "team",
    "course",
    "session",
    "dosing",
    "dose",
    "vitals",
    "response",
    "safety",
    "schedule",
    "note",
    "state",
)


# --- answer pools: scored once by the real core ------------------------------------------------------


@dataclass(frozen=True)
class Scored:
    answers: str
    result: str
    total: float | None
    band: str
    version: str
    flag: dict[str, Any] | None  # the safety flag the result raised, if any


def _item_values(item: Any) -> list[int]:
    if item.response.kind == "choice":
        return [option.value for option in item.response.options]
    return list(range(int(item.response.min), int(item.response.max) + 1))


def answer_pools(seed: int) -> dict[str, list[list[Scored]]]:
    """Per instrument, LEVELS severity levels x VARIANTS answer sets, each scored by the real core."""
    from kapstone.measures.scoring import default_registry, score

    rng = random.Random(seed * 7919 + 17)  # noqa: S311 - reproducible fiction, not secrets
    registry = default_registry()
    pools: dict[str, list[list[Scored]]] = {}
    for instrument_id in INSTRUMENTS:
        instrument = registry.get(instrument_id)
        levels = []
        for level in range(LEVELS):
            share = level / (LEVELS - 1)
            variants = []
            for variant in range(VARIANTS):
                answers: dict[str, int] = {}
                for item in instrument.items:
                    values = _item_values(item)
                    if not item.scored:
                        answers[item.id] = values[0]
                        continue
                    index = round(share * (len(values) - 1) + rng.uniform(-0.7, 0.7))
                    answers[item.id] = values[max(0, min(len(values) - 1, index))]
                if instrument_id == "phq9":  # item 9 only now and then, and only when severe
                    answers["phq9_9"] = 1 if (level >= 9 and variant == 0) else 0
                result = score(instrument, answers)
                flag = next((f for f in result.flags if f.get("severity") == "safety"), None)
                variants.append(
                    Scored(
                        json.dumps(answers, separators=(",", ":")),
                        json.dumps(result.to_dict(), separators=(",", ":")),
                        float(result.total) if result.total is not None else None,
                        result.band or "",
                        instrument.version,
                        flag,
                    )
                )
            levels.append(variants)
        pools[instrument_id] = levels
    return pools


# --- the generator ----------------------------------------------------------------------------------

Chunk = list[tuple[str, list[tuple[Any, ...]]]]


@dataclass
class Ids:
    next: dict[str, int] = field(default_factory=dict)

    def take(self, table: str, count: int = 1) -> int:
        first = self.next.get(table, 1)
        self.next[table] = first + count
        return first


def _weights(rng: random.Random, count: int) -> list[float]:
    """Skewed caseload sizes: a few clinicians carry many clients (Pareto)."""
    return [min(20.0, rng.paretovariate(1.6)) for _ in range(count)]


@dataclass
class OrgPeople:
    org_id: int
    admin: int
    therapists: list[int]
    prescribers: list[int]
    supervisors: list[int]
    trainees: list[int]
    supervisor_of: dict[int, int]
    bench: bool = False
    notes_by: dict[int, int] = field(default_factory=dict)  # trainee -> notes written so far


class Generator:
    """Yields chunks of rows in foreign-key order. Row values are ready for the driver."""

    def __init__(self, plan: Plan, conn: BaseDatabaseWrapper, ids: Ids, tables: dict[str, Table]) -> None:
        self.plan, self.ids, self.tables = plan, ids, tables
        self.dt, self.bool = _dt(conn), _bool(conn)
        self.pools = answer_pools(plan.seed)
        self.anchor = plan.anchor_dt
        self.counts: dict[str, int] = dict.fromkeys(ORDER, 0)
        self.states: list[tuple[int, int, str, str, Any]] = []  # filled by the generator, folded below

    def _row(self, table: str, values: tuple[Any, ...]) -> tuple[Any, ...]:
        return values + self.tables[table].constants

    def _split(self, total: int, parts: int) -> list[int]:
        base, extra = divmod(total, parts)
        return [base + (1 if i < extra else 0) for i in range(parts)]

    def chunks(self, chunk_clients: int = 1000) -> Iterator[Chunk]:
        plan = self.plan
        orgs = plan.org_count
        clinicians = self._split(plan.clinicians, orgs)
        clients = self._split(plan.clients, orgs)
        from kapstone.care.catalog import sha256, shipped_templates

        templates = shipped_templates()
        for org_no in range(1, orgs + 1):
            rng = random.Random(plan.seed * 1_000_003 + org_no)  # noqa: S311 - reproducible fiction
            chunk: Chunk = []
            people = self._org(org_no, clinicians[org_no - 1], rng, chunk)
            people.bench = org_no == 1
            protocols = []
            pv_rows = []
            for protocol, text in templates:
                pk = self.ids.take("protocol")
                protocols.append((pk, protocol))
                pv_rows.append(
                    self._row(
                        "protocol",
                        (
                            pk,
                            people.org_id,
                            protocol.id,
                            protocol.version,
                            protocol.title,
                            protocol.route,
                            protocol.product,
                            "shipped",
                            text,
                            sha256(text),
                            "Shipped template (synthetic data).",
                        ),
                    )
                )
            chunk.append(("protocol", pv_rows))
            yield chunk
            owners = self._owners(people, clients[org_no - 1], rng, org_no == 1)
            for start in range(0, len(owners), chunk_clients):
                yield self._clients(people, owners[start : start + chunk_clients], protocols, rng)

    def _org(self, org_no: int, count: int, rng: random.Random, chunk: Chunk) -> OrgPeople:
        seed, anchor = self.plan.seed, self.anchor
        org_id = self.ids.take("org")
        chunk.append(
            (
                "org",
                [
                    self._row(
                        "org",
                        (
                            org_id,
                            f"Synthetic Clinic {org_no} (fictional, seed {seed})",
                            f"synth-{seed}-{org_no}",
                            "both",
                            self.dt(anchor - timedelta(days=800)),
                        ),
                    )
                ],
            )
        )
        users, memberships = [], []
        people = OrgPeople(org_id, 0, [], [], [], [], {})
        counts = [max(1, round(count * share)) for _, share in ROLE_SHARES]
        counts[0] = max(1, count - sum(counts[1:]))  # therapists take the rest: exactly ``count`` clinicians
        roles = [("org_admin", 1), *((role, n) for (role, _), n in zip(ROLE_SHARES, counts, strict=True))]
        for role, n in roles:
            for i in range(1, n + 1):
                user_id = self.ids.take("user")
                name = f"{rng.choice(GIVEN)} {rng.choice(FAMILY)} ({role.replace('_', ' ')} {i})"
                users.append(
                    self._row(
                        "user",
                        (
                            user_id,
                            "!synthetic-no-sign-in",
                            email_of(seed, role, org_no, i),
                            name,
                            self.dt(anchor - timedelta(days=700)),
                        ),
                    )
                )
                memberships.append(
                    self._row("membership", (self.ids.take("membership"), user_id, org_id, role))
                )
                if role == "org_admin":
                    people.admin = user_id
                else:
                    getattr(people, f"{role}s").append(user_id)
        for n, trainee in enumerate(people.trainees):
            people.supervisor_of[trainee] = people.supervisors[(n // 2) % len(people.supervisors)]
        chunk += [("user", users), ("membership", memberships)]
        return people

    def _owners(self, people: OrgPeople, count: int, rng: random.Random, bench: bool) -> list[int]:
        """The primary clinician of each client: therapists and trainees, skewed; in the first
        organization the first therapist gets exactly BENCH_CASELOAD clients."""
        owners: list[int] = []
        pool = people.therapists + people.trainees
        if bench and people.therapists:
            fixed = min(BENCH_CASELOAD, count)
            owners += [people.therapists[0]] * fixed
            count -= fixed
            pool = [u for u in pool if u != people.therapists[0]] or pool
        weights = _weights(rng, len(pool))
        owners += rng.choices(pool, weights=weights, k=count)
        return owners

    def _clients(
        self, people: OrgPeople, owners: list[int], protocols: list[tuple[int, Any]], rng: random.Random
    ) -> Chunk:
        plan, anchor, dt, b = self.plan, self.anchor, self.dt, self.bool
        rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in ORDER[4:]}
        org_id = people.org_id
        n_clients = len(owners)
        first_client = self.ids.take("client", n_clients)
        course_share = min(0.9, max(plan.dosing_per_client * 2, 0.05))
        per_visit = len(INSTRUMENTS)
        visits = max(1, math.ceil(plan.responses_per_client / per_visit))
        take = self.ids.take
        response_rows = rows["response"]
        rconst = self.tables["response"].constants
        pools = self.pools
        trainees = set(people.trainees)
        rrand = rng.random
        top = LEVELS - 1
        span = max(1, visits - 1)
        for offset, owner in enumerate(owners):
            client_id = first_client + offset
            given, family = GIVEN[int(rrand() * len(GIVEN))], FAMILY[int(rrand() * len(FAMILY))]
            created = anchor - timedelta(days=visits * 14 + 20 + int(181 * rrand()))
            born = date(1950 + int(56 * rrand()), 1 + int(12 * rrand()), 1 + int(28 * rrand()))
            rows["client"].append(
                self._row(
                    "client",
                    (
                        client_id,
                        org_id,
                        given,
                        f"{family}-{client_id}",
                        born.isoformat(),
                        f"client-{client_id}@synth-{plan.seed}.invalid",
                        dt(created),
                    ),
                )
            )
            team = rows["team"]
            if owner in trainees:
                supervisor = people.supervisor_of[owner]
                team.append(self._row("team", (take("team"), client_id, owner, "trainee", supervisor)))
                team.append(self._row("team", (take("team"), client_id, supervisor, "supervisor", None)))
            else:
                team.append(self._row("team", (take("team"), client_id, owner, "therapist", None)))
            # Treatment course and dosing sessions.
            protocol_key = ""
            live = people.bench and owner == people.therapists[0] and offset < 20  # the bench's dosing rooms
            if live or rng.random() < course_share:
                prescriber = rng.choice(people.prescribers)
                team.append(self._row("team", (take("team"), client_id, prescriber, "prescriber", None)))
                pv_id, protocol = protocols[rng.randrange(len(protocols))]
                protocol_key = protocol.id
                course_id = take("course")
                started = anchor - timedelta(days=rng.randint(30, 150))
                rows["course"].append(
                    self._row(
                        "course",
                        (
                            course_id,
                            org_id,
                            client_id,
                            pv_id,
                            protocol.id,
                            protocol.version,
                            "active",
                            "Treatment-resistant depression (synthetic)",
                            prescriber,
                            dt(started),
                            owner,
                        ),
                    )
                )
                mean = rng.uniform(0, 2 * plan.dosing_per_client / course_share)
                sessions = min(8, int(mean) + (1 if rng.random() < mean - int(mean) else 0))
                for number in range(1, sessions + 1 + (1 if live else 0)):
                    self._dosing(
                        rows,
                        people,
                        client_id,
                        course_id,
                        owner,
                        prescriber,
                        protocol,
                        number,
                        started + timedelta(days=7 * number),
                        rng,
                        live and number == sessions + 1,
                    )
            # Responses: one visit every two weeks, three instruments per visit, with a trajectory.
            kind = rrand()
            start = 0.55 + 0.35 * rrand()
            end = start * (0.2 if kind < 0.35 else (0.75 if kind < 0.7 else 1.1))
            last_visit = anchor - timedelta(days=int(41 * rrand()), hours=8 + int(10 * rrand()))
            # Per instrument: (count, first point, last point); responses are made in time order.
            folded: dict[str, list[Any]] = {}
            left = plan.responses_per_client
            response_id = take("response", left)
            for visit in range(visits):
                if left <= 0:
                    break
                level_share = start + (end - start) * (visit / span)
                when = last_visit - timedelta(days=14 * (visits - 1 - visit))
                stamp = dt(when)
                for instrument_id in INSTRUMENTS[: min(per_visit, left)]:
                    level = int((level_share + 0.16 * rrand() - 0.08) * top + 0.5)
                    scored = pools[instrument_id][0 if level < 0 else (top if level > top else level)][
                        int(rrand() * VARIANTS)
                    ]
                    response_rows.append(
                        (
                            response_id,
                            org_id,
                            client_id,
                            instrument_id,
                            scored.version,
                            scored.answers,
                            scored.result,
                            scored.total,
                            scored.band,
                            stamp,
                            "clinician",
                            owner,
                            stamp,
                        )
                        + rconst
                    )
                    if scored.total is not None:
                        point = (scored.total, when, response_id)
                        slot = folded.get(instrument_id)
                        if slot is None:
                            folded[instrument_id] = [1, point, point]
                        else:
                            slot[0] += 1
                            slot[2] = point
                    if scored.flag is not None:
                        self._safety(rows, org_id, client_id, response_id, scored, owner, when)
                    response_id += 1
                    left -= 1
            self.states.append((org_id, client_id, protocol_key, "", folded))
            if rng.random() < 0.5:
                due = anchor + timedelta(days=rng.randint(-7, 14))
                rows["schedule"].append(
                    self._row(
                        "schedule",
                        (
                            take("schedule"),
                            org_id,
                            client_id,
                            "phq9",
                            "interval",
                            14,
                            dt(due),
                            owner,
                            dt(created),
                        ),
                    )
                )
            if owner in trainees:
                written = people.notes_by[owner] = people.notes_by.get(owner, 0) + 1
                cosigner = None if written <= PENDING_COSIGNS_PER_TRAINEE else people.supervisor_of[owner]
                self._note(rows, org_id, client_id, owner, last_visit, cosigner)
        rows["state"] = self._fold_states(b)
        return [(name, rows[name]) for name in ORDER[4:] if rows[name]]

    def _dosing(
        self,
        rows: dict[str, list[tuple[Any, ...]]],
        people: OrgPeople,
        client_id: int,
        course_id: int,
        owner: int,
        prescriber: int,
        protocol: Any,
        number: int,
        when: datetime,
        rng: random.Random,
        live: bool,
    ) -> None:
        dt, take = self.dt, self.ids.take
        org_id = people.org_id
        if live:  # started four hours before the anchor, so "now" is after its dose whatever the hour
            when = self.anchor - timedelta(hours=14)
        start = when + timedelta(hours=10)
        session_id = take("session")
        rows["session"].append(
            self._row(
                "session",
                (
                    session_id,
                    org_id,
                    client_id,
                    course_id,
                    "dosing",
                    "in_progress" if live else "completed",
                    number,
                    dt(start),
                    dt(start),
                    None if live else dt(start + timedelta(hours=2)),
                    owner,
                    owner,
                    dt(start),
                ),
            )
        )
        weight = round(rng.uniform(52, 105), 1)
        rows["dosing"].append(
            self._row(
                "dosing",
                (
                    take("dosing"),
                    session_id,
                    weight,
                    "go",
                    None if live else dt(start + timedelta(hours=2)),
                    None if live else owner,
                    "" if live else "A fictional companion",
                ),
            )
        )
        dose_at = start + timedelta(minutes=10)
        amount = round(weight * rng.choice((0.5, 0.75, 1.0)), 2)
        rows["dose"].append(
            self._row(
                "dose",
                (
                    take("dose"),
                    session_id,
                    protocol.route,
                    "Synthetic formulation",
                    protocol.product,
                    amount,
                    weight,
                    round(amount / weight, 4),
                    dt(dose_at),
                    prescriber,
                    "within",
                    owner,
                    dt(dose_at),
                ),
            )
        )
        base_sbp, base_hr = rng.randint(110, 135), rng.randint(62, 84)
        rrand = rng.random
        vitals = rows["vitals"]
        first_vitals = take("vitals", 24)
        for i in range(24):
            at = start + timedelta(minutes=5 * i)
            bump = 0 if i == 0 else max(0, 14 - abs(i - 6) * 2)
            vitals.append(
                self._row(
                    "vitals",
                    (
                        first_vitals + i,
                        session_id,
                        "pre_dose" if i == 0 else "post_dose",
                        dt(at),
                        base_sbp + bump + int(9 * rrand()) - 4,
                        70 + bump // 2 + int(7 * rrand()) - 3,
                        base_hr + bump // 2 + int(7 * rrand()) - 3,
                        95 + int(5 * rrand()),
                        12 + int(7 * rrand()),
                        owner,
                        dt(at),
                    ),
                )
            )

    def _safety(
        self,
        rows: dict[str, list[tuple[Any, ...]]],
        org_id: int,
        client_id: int,
        response_id: int,
        scored: Scored,
        owner: int,
        when: datetime,
    ) -> None:
        flag = scored.flag or {}
        recent = (self.anchor - when).days < 14
        item = str(flag.get("item") or "")
        rows["safety"].append(
            self._row(
                "safety",
                (
                    self.ids.take("safety"),
                    org_id,
                    client_id,
                    response_id,
                    "phq9",
                    scored.version,
                    str(flag.get("id")),
                    "safety",
                    str(flag.get("message", "")),
                    item,
                    json.dumps({item: 1} if item else {}),
                    "clinician",
                    owner,
                    self.dt(when),
                    None if recent else owner,
                    None if recent else self.dt(when + timedelta(hours=3)),
                    "" if recent else "Called the client the same day; safety plan reviewed (synthetic).",
                ),
            )
        )

    def _note(
        self,
        rows: dict[str, list[tuple[Any, ...]]],
        org_id: int,
        client_id: int,
        author: int,
        when: datetime,
        cosigner: int | None,
    ) -> None:
        """A trainee's signed note: co-signed by ``cosigner`` a day later, or still waiting (None)."""
        sections = {"data": "Synthetic session summary.", "assessment": "Fictional.", "plan": "Continue."}
        text = json.dumps(sections, sort_keys=True)
        rows["note"].append(
            self._row(
                "note",
                (
                    self.ids.take("note"),
                    org_id,
                    client_id,
                    "dap",
                    "1",
                    author,
                    text,
                    "pending_cosign" if cosigner is None else "signed",
                    self.dt(when),
                    self.dt(when),
                    self.dt(when + timedelta(hours=1)),
                    author,
                    hashlib.sha256(text.encode()).hexdigest(),
                    self.bool(True),
                    cosigner,
                    None if cosigner is None else self.dt(when + timedelta(days=1)),
                ),
            )
        )

    def _fold_states(self, b: Callable[[Any], Any]) -> list[tuple[Any, ...]]:
        """Each client's baseline and latest per instrument (responses were made in time order, so
        the first and the last), counted with the application's own ``outcomes.core``."""
        from kapstone.outcomes import core
        from kapstone.outcomes.services import instrument_thresholds

        thresholds = {i: instrument_thresholds(i, None) for i in INSTRUMENTS}
        out = []
        dt, take, constants = self.dt, self.ids.take, self.tables["state"].constants
        for org_id, client_id, protocol_key, _, folded in self.states:
            for instrument_id, (count, first, last) in folded.items():
                state = core.State(count, core.Point(*first), core.Point(*last))
                c = core.contribution(state, thresholds[instrument_id])
                out.append((
                    take("state"), org_id, client_id, instrument_id, protocol_key, count,
                    first[0], dt(first[1]),
                    first[2], last[0], dt(last[1]), last[2], b(c.responders), b(c.remitters),
                ) + constants)  # fmt: skip
        self.states = []
        return out


def pipelined(chunks: Iterator[Chunk], depth: int = 4) -> Iterator[Chunk]:
    """Generate in a second thread while the caller writes: the driver (SQLite's step, PostgreSQL's
    server) works while Python builds the next rows, so the load takes about the longer of the two,
    not their sum. The generator touches no database connection."""
    done = object()
    box: queue.Queue[Any] = queue.Queue(maxsize=depth)

    def produce() -> None:
        try:
            for chunk in chunks:
                box.put(chunk)
        except BaseException as exc:  # noqa: BLE001 - handed to the consuming thread, raised there
            box.put(exc)
        finally:
            box.put(done)

    threading.Thread(target=produce, name="synth-generator", daemon=True).start()
    while (item := box.get()) is not done:
        if isinstance(item, BaseException):
            raise item
        yield item


# --- sinks: the fastest bulk path of each database ------------------------------------------------


class Sink:
    """Writes chunks through the driver: SQLite executemany, PostgreSQL COPY FROM STDIN."""

    def __init__(self, conn: BaseDatabaseWrapper, tables: dict[str, Table], schema: str = "") -> None:
        self.conn, self.tables, self.schema = conn, tables, schema
        self.insert_seconds = 0.0

    def _name(self, table: Table) -> str:
        quote = self.conn.ops.quote_name
        return f"{quote(self.schema)}.{quote(table.name)}" if self.schema else quote(table.name)

    def write(self, chunk: Chunk) -> int:
        started = time.perf_counter()
        written = 0
        raw = self.conn.connection
        for key, rows in chunk:
            table = self.tables[key]
            cols = ", ".join(self.conn.ops.quote_name(c) for c in table.columns)
            if self.conn.vendor == "postgresql":
                with raw.cursor() as cur, cur.copy(f"COPY {self._name(table)} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" * len(table.columns))
                sql = f"INSERT INTO {self._name(table)} ({cols}) VALUES ({marks})"  # noqa: S608 - our tables
                raw.executemany(sql, rows)
            written += len(rows)
        self.insert_seconds += time.perf_counter() - started
        return written


# --- running it -----------------------------------------------------------------------------------


@dataclass
class Report:
    rows: dict[str, int]
    seconds: float
    insert_seconds: float
    finish_seconds: float
    raw: dict[str, float] | None = None

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def rows_per_s(self) -> float:
        return self.total_rows / self.seconds if self.seconds else 0.0


class Progress:
    def __init__(self, out: TextIO | None, total: int) -> None:
        self.out, self.total, self.done = out, max(1, total), 0
        self.started = time.perf_counter()
        self.last = 0.0
        self.tty = bool(out is not None and getattr(out, "isatty", lambda: False)())
        self.step = 0

    def add(self, n: int, rows: int) -> None:
        self.done += n
        if self.out is None:
            return
        now = time.perf_counter()
        pct = 100 * self.done / self.total
        if self.tty and now - self.last < 0.2 and self.done < self.total:
            return
        if not self.tty and pct < self.step and self.done < self.total:
            return
        self.step = int(pct // 10) * 10 + 10
        self.last = now
        took = now - self.started
        filled = int(30 * self.done / self.total)
        line = (
            f"synth [{'#' * filled}{'.' * (30 - filled)}] {pct:5.1f}%  {self.done:,}/{self.total:,} clients  "
            f"{rows:,} rows  {rows / took if took else 0:,.0f} rows/s"
        )
        self.out.write(("\r" + line) if self.tty else (line + "\n"))
        self.out.flush()

    def close(self) -> None:
        if self.out is not None and self.tty:
            self.out.write("\n")
            self.out.flush()


def _start_ids(conn: BaseDatabaseWrapper, tables: dict[str, Table], schema: str = "") -> Ids:
    ids = Ids()
    with conn.cursor() as cur:
        for key, table in tables.items():
            name = f"{schema}.{table.name}" if schema else table.name
            cur.execute(f"SELECT MAX(id) FROM {name}")  # noqa: S608 - our own table names
            ids.next[key] = int(cur.fetchone()[0] or 0) + 1
    return ids


def _tune(conn: BaseDatabaseWrapper) -> None:
    with conn.cursor() as cur:
        if conn.vendor == "sqlite":
            cur.execute("PRAGMA cache_size=-262144")  # 256 MiB for index maintenance during the load
        else:
            cur.execute("SET synchronous_commit TO off")  # a bulk load: durability at the end is enough
            cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if cur.fetchone()[0]:
                # Foreign-key triggers off for this session (superuser only): every key is generated
                # consistent, and the check per row would triple the cost of the load. Both sides of
                # the raw comparison run in this session, so the ratio compares like with like.
                cur.execute("SET session_replication_role = replica")


def load(
    plan: Plan,
    *,
    conn: BaseDatabaseWrapper | None = None,
    progress: TextIO | None = sys.stderr,
    schema: str = "",
    finish: bool = True,
    rows_per_transaction: int = 200_000,
) -> Report:
    """Generate and write the plan's rows; then reset sequences, build the cohort rows, ANALYZE
    (VACUUM ANALYZE on PostgreSQL)."""
    conn = conn or default_connection
    conn.ensure_connection()
    tables = _tables()
    for table in tables.values():
        table.prepare(conn, plan.anchor_dt)
    organizations = apps.get_model("accounts", "Organization").objects.using(conn.alias)
    if not schema and organizations.filter(slug=f"synth-{plan.seed}-1").exists():
        raise ValueError(f"this database already holds synthetic data for seed {plan.seed}")
    _tune(conn)
    ids = _start_ids(conn, tables, schema)
    generator = Generator(plan, conn, ids, tables)
    sink = Sink(conn, tables, schema)
    bar = Progress(progress, plan.clients)
    started = time.perf_counter()
    written = 0
    pending = 0
    atomic = transaction.atomic(using=conn.alias)
    atomic.__enter__()
    try:
        for chunk in pipelined(generator.chunks()):
            n = sink.write(chunk)
            for key, rows in chunk:
                generator.counts[key] += len(rows)
            written += n
            pending += n
            bar.add(sum(len(r) for k, r in chunk if k == "client"), written)
            if pending >= rows_per_transaction:
                atomic.__exit__(None, None, None)
                atomic = transaction.atomic(using=conn.alias)
                atomic.__enter__()
                pending = 0
    except BaseException:
        atomic.__exit__(*sys.exc_info())
        raise
    atomic.__exit__(None, None, None)
    bar.close()
    seconds = time.perf_counter() - started
    finish_started = time.perf_counter()
    if finish:
        _finish(conn, tables, generator, plan)
    return Report(dict(generator.counts), seconds, sink.insert_seconds, time.perf_counter() - finish_started)


def _finish(conn: BaseDatabaseWrapper, tables: dict[str, Table], generator: Generator, plan: Plan) -> None:
    from django.core.management.color import no_style

    from kapstone.outcomes.services import aggregate_from_states

    models_ = [t.model for t in tables.values()]
    with conn.cursor() as cur:
        for statement in conn.ops.sequence_reset_sql(no_style(), models_):
            cur.execute(statement)
    org_model = apps.get_model("accounts", "Organization")
    for org_id in (
        org_model.objects.using(conn.alias)
        .filter(slug__startswith=f"synth-{plan.seed}-")
        .values_list("pk", flat=True)
    ):
        aggregate_from_states(org_id)  # the application's own GROUP BY of the folded states
    with conn.cursor() as cur:
        if conn.vendor == "postgresql" and not conn.in_atomic_block:
            # After a bulk load PostgreSQL's visibility map is empty: until a VACUUM every index-only
            # scan visits the heap, and autovacuum (off on some hosts) would do it mid-benchmark.
            cur.execute("VACUUM (ANALYZE)")
        else:
            cur.execute("ANALYZE")


# --- the raw-insert comparison --------------------------------------------------------------------


def _scratch(conn: BaseDatabaseWrapper, tables: dict[str, Table]) -> tuple[str, Callable[[], None]]:
    """An empty copy of the tables (same columns and indexes) to time both paths on the same rows."""
    with conn.cursor() as cur:
        if conn.vendor == "postgresql":
            schema = "synth_raw"
            cur.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            cur.execute(f"CREATE SCHEMA {schema}")
            for table in tables.values():
                cur.execute(f"CREATE TABLE {schema}.{table.name} (LIKE public.{table.name} INCLUDING ALL)")

            def drop() -> None:
                with conn.cursor() as c:
                    c.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")

            return schema, drop
        import tempfile

        path = tempfile.mktemp(prefix="kapstone-synth-raw-", suffix=".sqlite3")  # noqa: S306 - attached below
        cur.execute("ATTACH DATABASE %s AS synth_raw", [path])
        cur.execute("SELECT type, tbl_name, sql FROM main.sqlite_master WHERE sql IS NOT NULL")
        wanted = {t.name for t in tables.values()}
        statements = [row for row in cur.fetchall() if row[1] in wanted and row[0] in ("table", "index")]
        for _, _, sql in sorted(statements, key=lambda r: r[0] != "table"):
            cur.execute(re.sub(r"^CREATE (UNIQUE )?(TABLE|INDEX) ", lambda m: m.group(0) + "synth_raw.", sql))

        def detach() -> None:
            import os

            with conn.cursor() as c:
                c.execute("DETACH DATABASE synth_raw")
            for suffix in ("", "-wal", "-shm", "-journal"):
                if os.path.exists(path + suffix):
                    os.unlink(path + suffix)

        return "synth_raw", detach


def _truncate(conn: BaseDatabaseWrapper, tables: dict[str, Table], schema: str) -> None:
    with conn.cursor() as cur:
        for key in reversed(ORDER):
            cur.execute(f"DELETE FROM {schema}.{tables[key].name}")  # noqa: S608 - our own names


def compare_raw(
    plan: Plan, *, conn: BaseDatabaseWrapper | None = None, clients: int = 5000
) -> dict[str, float]:
    """Time the generator writing a sample (same shape, ``clients`` clients) against a raw insert of
    the same rows, pre-built in memory, through the same driver path, into an empty copy of the tables."""
    conn = conn or default_connection
    conn.ensure_connection()
    tables = _tables()
    for table in tables.values():
        table.prepare(conn, plan.anchor_dt)
    sample = plan.scaled(min(clients, plan.clients))
    schema, drop = _scratch(conn, tables)
    try:
        # 1. The generator writing as it goes (what `kapstone synth` does).
        ids = Ids()
        generator = Generator(sample, conn, ids, tables)
        sink = Sink(conn, tables, schema)
        started = time.perf_counter()
        with transaction.atomic(using=conn.alias):
            rows = sum(sink.write(chunk) for chunk in pipelined(generator.chunks()))
        synth_seconds = time.perf_counter() - started
        _truncate(conn, tables, schema)
        # 2. The same rows, built first (not timed), then only inserted.
        built = list(Generator(sample, conn, Ids(), tables).chunks())
        sink = Sink(conn, tables, schema)
        started = time.perf_counter()
        with transaction.atomic(using=conn.alias):
            raw_rows = sum(sink.write(chunk) for chunk in built)
        raw_seconds = time.perf_counter() - started
    finally:
        drop()
    assert raw_rows == rows
    return {
        "rows": rows,
        "synth_rows_per_s": rows / synth_seconds,
        "raw_rows_per_s": rows / raw_seconds,
        "ratio": raw_seconds / synth_seconds,
    }


def describe(report: Report, plan: Plan, vendor: str) -> Sequence[str]:
    lines = [
        f"synth: {plan.clinicians:,} clinicians in {plan.org_count:,} organizations, "
        f"{plan.clients:,} clients, {plan.responses_per_client} responses per client "
        f"(seed {plan.seed}, {vendor})",
        "rows: " + ", ".join(f"{k} {v:,}" for k, v in report.rows.items() if v),
        f"loaded {report.total_rows:,} rows in {report.seconds:.1f} s = {report.rows_per_s:,.0f} rows/s "
        f"(driver time {report.insert_seconds:.1f} s, {100 * report.insert_seconds / report.seconds:.0f} %); "
        f"sequences, cohort rows and {'VACUUM ' if vendor == 'postgresql' else ''}ANALYZE "
        f"{report.finish_seconds:.1f} s",
    ]
    if report.raw:
        raw = report.raw
        lines.append(
            f"raw insert of the same {int(raw['rows']):,} sample rows through the driver: "
            f"{raw['raw_rows_per_s']:,.0f} rows/s; synth on them {raw['synth_rows_per_s']:,.0f} rows/s; "
            f"ratio synth/raw = {raw['ratio']:.2f} (goal >= 0.50)"
        )
    return lines
