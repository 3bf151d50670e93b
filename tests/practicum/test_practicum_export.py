"""Exports: the program's requirement status and entries as formula-safe CSV, without client names;
a trainee's own ledger as PDF."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from practicum_helpers import kap_session, log, supervise, verify
from tests.conftest import signed_in_client

pytestmark = pytest.mark.django_db


def _csv(response: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_status_csv_has_every_requirement_of_every_set_for_the_supervisors_trainees(world: Any) -> None:
    supervise(world)
    verify(world, log(world, 600, topics=("co.ethics",)))
    response = signed_in_client(world.users["sam"]).get("/practicum/export/status.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = _csv(response)
    assert {r["set"] for r in rows} == {"colorado_natural_medicine_facilitator", "kap_certificate",
                                        "oregon_psilocybin_facilitator"}  # fmt: skip
    ethics = next(r for r in rows if r["requirement"] == "co_ethics")
    assert ethics["trainee"] == "Toby Test" and ethics["have"] == "10.0" and ethics["status"] == "not_yet"


def test_entries_csv_neutralises_formulas_and_names_no_client(world: Any) -> None:
    supervise(world)
    verify(world, log(world, 60, description='=HYPERLINK("http://evil.example")'))
    kap_session(world)
    rows = _csv(signed_in_client(world.users["avery"]).get("/practicum/export/entries.csv"))
    logged = next(r for r in rows if r["source"] == "logged")
    assert logged["description"].startswith("'=HYPERLINK")
    derived = next(r for r in rows if r["status"] == "derived")
    assert derived["client_key"] and "Rowan" not in "".join("".join(r.values()) for r in rows)


def test_a_supervisor_exports_only_their_trainees(world: Any) -> None:
    supervise(world)
    from tests.notes.notes_helpers import add_supervisor

    add_supervisor(world, "sol")
    rows = _csv(signed_in_client(world.users["sol"]).get("/practicum/export/status.csv"))
    assert rows == []


def test_a_trainee_downloads_their_ledger_as_pdf(world: Any) -> None:
    supervise(world)
    verify(world, log(world, 90, topics=("co.ethics",)))
    response = signed_in_client(world.users["toby"]).get("/practicum/ledger.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
