"""The generator: rows in foreign-key order, ready for the driver, built in a second thread."""

from __future__ import annotations

import hashlib
import json
import math
import queue
import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

from kapstone.care.catalog import sha256, shipped_templates
from kapstone.outcomes import core
from kapstone.outcomes.services import instrument_thresholds
from kapstone.tooling.synth.plan import (
    BENCH_CASELOAD,
    FAMILY,
    GIVEN,
    INSTRUMENTS,
    LEVELS,
    PENDING_COSIGNS_PER_TRAINEE,
    ROLE_SHARES,
    VARIANTS,
    Plan,
    email_of,
)
from kapstone.tooling.synth.pools import Scored, answer_pools
from kapstone.tooling.synth.tables import ORDER, Table, bool_writer, datetime_writer

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
        self.dt, self.bool = datetime_writer(conn), bool_writer(conn)
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
