"""Every hot query on a tenant table is tied to the acting user's organization (issue #18).

Each hot path runs once through Django's test client, as the persona who uses it, inside
``CaptureQueriesContext``; ``org_scope.check`` then reads every captured statement. The rule:

* A *tenant table* is one that carries ``organization_id`` (*direct*) or reaches a table that does
  through a required foreign key (*through*: ``care_vitalreading.session_id`` -> ``care_caresession``);
  ``org_scope.inventory()`` lists them. Users, sign-in state and per-person settings are global.
* A read (``SELECT``, subqueries included) of a **direct** table must carry a predicate on that
  table's own ``organization_id`` -- ``= n`` or ``IN (...)`` -- or join on ``organization_id`` to an
  occurrence that does (*routed*). That is what a distributed engine needs to send the query to one
  shard, and what makes a forgotten scope show up as a missing predicate, not as a leak.
* A read of a **through** table must be joined by its foreign key to a parent occurrence that is
  routed or anchored, or filter its foreign key (or primary key) by a subquery that is, or by a key
  *vouched for* in this request (*anchored*): a key is vouched for when an earlier routed statement
  named it beside the organization predicate (``"id" = 5 AND "organization_id" = 1``) or read its
  table under the predicate and the key's row lies in one of the actor's organizations.
* A read of a direct table found only by such a vouched key (``measures_response.client_id = 5``,
  the client read under the predicate just before) is *keyed*: not a leak, but not routable either.
  Each one a path still makes is listed in ``KEYED`` with its reason; the list may shrink, never
  grow, and an entry a path no longer needs fails, so the list only gets shorter.
* Every organization id named in a predicate must be one of the actor's.
* Writes are not checked here: an ``INSERT`` or ``UPDATE`` of a tenant row takes its organization
  from a parent the service already read under the predicate (``Response.organization_id =
  client.organization_id``), and the services' own tests check the stored row. The audit append's
  read of its chain's head filters ``chain``, not ``organization_id`` (``CROSS``, with reason).
* Pages that cross organizations by design (the public directory) name the tables they read
  across organizations in ``CROSS``, with the reason; any other unscoped read fails.

The checker is tested against statements that break the rule (``Client.objects.all()`` inside the
capture; a through table read by a key no scoped read produced). Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from org_scope import Finding, Inventory, check, inventory
from tests.care.care_helpers import dosed
from tests.community.community_helpers import listing_for
from tests.conftest import signed_in_client
from tests.measures.measures_helpers import actor, phq9, phq9_post
from tests.practicum.practicum_helpers import kap_session, log, supervise

from kapstone.care.models import CareSession, VitalReading
from kapstone.clients.models import Client
from kapstone.measures.services import response_submit
from readiness_helpers import make_ready

pytestmark = pytest.mark.django_db

VITALS = {"systolic": 128, "diastolic": 82, "heart_rate": 76, "spo2": 97, "respiratory_rate": 15}


@dataclass
class Seeded:
    world: Any
    session_id: int


@pytest.fixture
def seeded(world: Any) -> Seeded:
    """Rowan with two PHQ-9s and a dosed session; Sam supervising Toby, whose dosing note waits for
    Sam's co-sign and whose logged hour waits for verification; Theo listed in the directory."""
    make_ready(world)
    for base in (1, 2):
        response_submit(actor(world, "theo"), world.clients["rowan"], "phq9", phq9(base=base))
    session = dosed(world)
    supervise(world, starts_on=timezone.localdate() - dt.timedelta(days=30))
    kap_session(world, cosign=False)
    log(world, 90, description="Reading on integration")
    listing_for(world, "theo")
    return Seeded(world, session.pk)


@dataclass(frozen=True)
class Path:
    persona: str | None  # None: an anonymous visitor
    request: Callable[[HttpClient, Seeded], Any]
    status: int = 200


def _phq9_post() -> dict[str, str]:
    return phq9_post(base=1)


PATHS: dict[str, Path] = {
    "caseload": Path("theo", lambda http, s: http.get("/measures/caseload/")),
    "client chart": Path(
        "theo", lambda http, s: http.get(f"/measures/clients/{s.world.clients['rowan'].pk}/")
    ),
    "questionnaire submit": Path(
        "theo",
        lambda http, s: http.post(
            f"/measures/clients/{s.world.clients['rowan'].pk}/record/phq9/", _phq9_post()
        ),
        302,
    ),
    "vitals in a dosing session": Path(
        "theo",
        lambda http, s: http.post(
            f"/care/sessions/{s.session_id}/dosing/vitals/", {**VITALS, "idempotency_key": "org-scope"}
        ),
        302,
    ),
    "FHIR Observation export": Path(
        "theo", lambda http, s: http.get(f"/api/fhir/Patient/{s.world.clients['rowan'].pk}/Observation")
    ),
    "program outcomes": Path("avery", lambda http, s: http.get("/outcomes/program/")),
    "co-sign queue": Path("sam", lambda http, s: http.get("/notes/cosign/")),
    "supervision desk": Path("sam", lambda http, s: http.get("/practicum/desk/")),
    "practicum ledger": Path("toby", lambda http, s: http.get("/practicum/ledger/")),
    "trainee requirement check": Path(
        "sam", lambda http, s: http.get(f"/practicum/trainees/{s.world.users['toby'].pk}/")
    ),
    "directory search": Path(
        None, lambda http, s: http.get("/directory/", {"route": "im", "modality": "ifs", "state": "CO"})
    ),
}

# Reads that cross organizations on purpose: (path or "*", table) -> why.
CROSS: dict[tuple[str, str], str] = {
    # Each audit append reads its chain's head by ``chain`` (the organization's id, or 0 for events
    # without one: kapstone.audit.services.chain_key), not by organization_id; chain 0 and
    # ``kapstone audit verify`` span organizations (README, scale-out).
    ("*", "audit_auditevent"): "the audit head is found by its chain column",
    # A person's memberships span organizations: reading them is how a request learns its actor's
    # organizations (accounts/services.py), before any organization is known.
    ("*", "accounts_membership"): "a person's memberships, read to find the organization",
    # The public directory lists opted-in practitioners and programs of every organization.
    ("directory search", "community_listing"): "the public directory spans organizations",
}
# A trainee's hours earned in the community, consultation and curriculum apps count wherever they
# were earned: ``earned_hours(user)`` (kapstone.lib.hours) is keyed by the person, not the
# organization, so the ledger reads them across organizations (README: queries that cross shards).
for _path in ("practicum ledger", "trainee requirement check"):
    for _table in (
        "community_registration", "community_workshop", "community_mentorshipmeeting",
        "community_mentorship", "consultation_attendance", "consultation_meeting",
        "consultation_consultationgroup", "training_lessoncompletion", "training_enrollment",
        "training_programversion", "training_program", "training_attendance", "training_livesession",
    ):  # fmt: skip
        CROSS[(_path, _table)] = "a trainee's earned hours span organizations"

# Direct tables a path still reads only by a key vouched for in the request, or joined by a foreign
# key to such a read: path -> (tables, why). Not a leak (the key came from a scoped read); not
# routable to one shard either. The sets may shrink, never grow: a table no longer read that way
# fails until it is taken off.
KEYED: dict[str, tuple[set[str], str]] = {
    "caseload": (
        {"care_caresession", "clients_client"},
        "today's dosing sessions in the nav filter client_id IN (the scoped caseload) and join their "
        "client by its key (care/nav.py)",
    ),
    "client chart": (
        {
            "measures_response",
            "care_caresession",
            "clients_client",
            "screening_screeningevaluation",
            "care_protocolversion",
        },
        "the readiness facts read the client's responses by client_id (screening/client_facts.py); "
        "sessions by client_id or course_id (care/hooks.py, care/nav.py, care/services/dosing.py); a "
        "clearance's evaluation, a course's protocol and a session's predecessor are joined by key "
        "(select_related) to rows read under the predicate (screening/selectors.py, care/selectors.py)",
    ),  # fmt: skip
    "questionnaire submit": (
        {"measures_measureschedule", "care_course", "outcomes_clientmeasurestate"},
        "the service's follow-up reads after the response is written filter by the scoped client's "
        "id (measures/services/capture.py, outcomes/services.py)",
    ),
    "vitals in a dosing session": (
        {"clients_client", "care_course", "care_protocolversion"},
        "the session, found by id under its organization with its client in the actor's scope "
        "(a correlated EXISTS), joins its client, course and protocol by key (care/selectors.py)",
    ),
    "FHIR Observation export": (
        {"measures_response"},
        "the client's responses filter by the scoped client's id (measures/api.py)",
    ),
    "co-sign queue": (
        {"clients_client"},
        "each note's client is joined by key to the routed note (notes/selectors.py)",
    ),
    "supervision desk": (
        {"clients_client"},
        "each note's client is joined by key to the routed note (notes/selectors.py)",
    ),
    "practicum ledger": (
        {"clients_client", "care_caresession"},
        "an entry's client (practicum/selectors.py) and a note's session (practicum/sources.py) "
        "are joined by key to the routed entry or note; today's dosing sessions in the nav (care/nav.py)",
    ),
    "trainee requirement check": (
        {"clients_client", "care_caresession"},
        "an entry's client (practicum/selectors.py) and a note's session (practicum/sources.py) "
        "are joined by key to the routed entry or note",
    ),
}


@contextmanager
def _origins() -> Iterator[list[str]]:
    """The first frame of our own code behind each statement, to say where a finding comes from."""
    origins: list[str] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        frames = [
            f for f in traceback.extract_stack() if "/kapstone/" in f.filename and "/tests/" not in f.filename
        ]
        own = [f for f in frames if "/site-packages/" not in f.filename]
        origins.append(f"{own[-1].filename.split('/kapstone/')[-1]}:{own[-1].lineno}" if own else "")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield origins


def _actor_orgs(seeded: Seeded, persona: str | None) -> set[int]:
    if persona is None:
        return set()
    org = seeded.world.org_b if persona == "olive" else seeded.world.org_a
    return {org.pk}


def run_path(name: str, seeded: Seeded) -> tuple[list[Finding], Any]:
    path = PATHS[name]
    http = HttpClient() if path.persona is None else signed_in_client(seeded.world.users[path.persona])
    if path.persona is not None:
        http.get("/dashboard/")  # the session's first request settles its own writes
    with _origins() as origins, CaptureQueriesContext(connection) as captured:
        reply = path.request(http, seeded)
    sqls = [q["sql"] for q in captured.captured_queries]
    if len(origins) != len(sqls):
        origins = [""] * len(sqls)
    findings = check(INVENTORY(), _actor_orgs(seeded, path.persona), zip(sqls, origins, strict=True))
    return findings, reply


_INVENTORY: list[Inventory] = []


def INVENTORY() -> Inventory:  # noqa: N802 - reads as the constant it is, built once Django is set up
    if not _INVENTORY:
        _INVENTORY.append(inventory())
    return _INVENTORY[0]


def _problems(name: str, findings: list[Finding]) -> tuple[list[str], set[str]]:
    problems, keyed = [], set()
    listed = KEYED.get(name, (set(), ""))[0]
    for f in findings:
        if f.verdict in ("routed", "anchored"):
            continue
        if f.verdict == "unscoped" and (CROSS.get((name, f.table)) or CROSS.get(("*", f.table))):
            continue
        if f.verdict == "keyed" and f.table in listed:
            keyed.add(f.table)
            continue
        problems.append(f"#{f.statement} {f.verdict} {f.table} at {f.origin or '?'}: {f.sql[:300]}")
    return problems, keyed


@pytest.mark.parametrize("name", list(PATHS))
def test_every_read_of_a_tenant_table_on_a_hot_path_is_scoped_to_the_actors_organization(
    name: str, seeded: Seeded
) -> None:
    findings, reply = run_path(name, seeded)
    assert reply.status_code == PATHS[name].status, reply.content[:500]
    assert any(f.verdict == "routed" for f in findings) or name == "directory search"
    problems, keyed = _problems(name, findings)
    assert not problems, "\n".join(problems)
    listed = KEYED.get(name, (set(), ""))[0]
    assert keyed == listed, (
        f"KEYED[{name!r}] lists tables no longer read by key only: {sorted(listed - keyed)}"
    )


def _capture(run: Callable[[], object]) -> list[tuple[str, str]]:
    with CaptureQueriesContext(connection) as captured:
        run()
    return [(q["sql"], "") for q in captured.captured_queries]


def test_a_read_without_the_organization_predicate_fails_the_check(world: Any) -> None:
    org = world.org_a.pk

    def scoped_then_everyone() -> None:
        list(Client.objects.filter(organization_id=org))  # scoped: fine
        list(Client.objects.all())  # every organization's clients: the forgotten scope

    findings = check(INVENTORY(), {org}, _capture(scoped_then_everyone))
    assert [(f.statement, f.table, f.verdict) for f in findings] == [
        (0, "clients_client", "routed"),
        (1, "clients_client", "unscoped"),
    ]
    problems, _ = _problems("caseload", findings)
    assert len(problems) == 1 and "unscoped clients_client" in problems[0]


def test_a_through_table_read_by_a_key_no_scoped_read_produced_fails_the_check(seeded: Seeded) -> None:
    session = seeded.session_id
    org = seeded.world.org_a.pk
    unvouched = check(
        INVENTORY(), {org}, _capture(lambda: list(VitalReading.objects.filter(session_id=session)))
    )
    assert [f.verdict for f in unvouched] == ["unscoped"]

    def session_first() -> None:
        CareSession.objects.get(organization_id=org, pk=session)
        list(VitalReading.objects.filter(session_id=session))

    assert [f.verdict for f in check(INVENTORY(), {org}, _capture(session_first))] == ["routed", "anchored"]


def test_a_predicate_naming_another_organization_fails_the_check(world: Any) -> None:
    other = world.org_b.pk
    findings = check(
        INVENTORY(), {world.org_a.pk}, _capture(lambda: list(Client.objects.filter(organization_id=other)))
    )
    problems, _ = _problems("caseload", findings)
    assert problems and any("another organization" in p for p in problems)


# Tables no organization owns, each with why. A new table must carry organization_id, reach it
# through a parent, or be added here with its reason.
GLOBAL_TABLES = {
    "accounts_user": "a person may belong to several organizations",
    "accounts_user_groups": "Django's permission groups of a person",
    "accounts_user_user_permissions": "Django's permissions of a person",
    "accounts_totpdevice": "a person's second factor, one for all their organizations",
    "accounts_recoverycode": "a person's recovery codes",
    "accounts_passkey": "a person's passkeys",
    "accounts_loginfailure": "sign-in throttling happens before any organization is known",
    "accounts_usersession": "a person's signed-in sessions",
    "community_digestmark": "a person's digest bookmark across the community",
    "community_calendarfeed": "a person's calendar feed token",
}


def test_every_model_table_belongs_to_an_organization_or_is_listed_as_global(db: None) -> None:
    inv = INVENTORY()
    assert set(inv.reference) == set(GLOBAL_TABLES)
    for table in inv.through:
        assert inv.path_to_org(table)[-1] in inv.direct, table
    assert inv.figures() == {
        "tables": len(inv.direct) + len(inv.through) + len(GLOBAL_TABLES) + 1,
        "direct": len(inv.direct),
        "through": len(inv.through),
        "reference": len(GLOBAL_TABLES),
    }
