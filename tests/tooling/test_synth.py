"""``kapstone synth``: deterministic, obviously fictional data at a chosen scale, loaded fast."""

from __future__ import annotations

import io
import re
import shutil
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from kapstone.tooling import synth

SMALL = [
    "--clinicians",
    "12",
    "--clients",
    "300",
    "--responses-per-client",
    "9",
    "--seed",
    "5",
    "--anchor",
    "2026-01-15",
]
TABLES = (
    "accounts_organization",
    "accounts_user",
    "accounts_membership",
    "clients_client",
    "clients_careteammember",
    "care_course",
    "care_caresession",
    "care_vitalreading",
    "measures_response",
    "measures_safetytask",
    "notes_progressnote",
    "outcomes_clientmeasurestate",
)


@pytest.fixture(scope="module")
def blank(cli: Any, tmp_path_factory: Any) -> Path:
    var = tmp_path_factory.mktemp("synth-blank")
    cli.run("migrate", "--verbosity", "0", env=cli.env(var))
    return var / "kapstone.sqlite3"


def _synth_into(cli: Any, blank: Path, var: Path, *args: str) -> Any:
    var.mkdir(parents=True)
    shutil.copyfile(blank, var / "kapstone.sqlite3")
    return cli.run("synth", *args, env=cli.env(var))


def _dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    db = sqlite3.connect(path)
    try:
        rows = {t: db.execute(f"SELECT * FROM {t} ORDER BY id").fetchall() for t in TABLES}  # noqa: S608
        rows["cohorts"] = db.execute(  # every column but updated_at (the time of the load)
            "SELECT organization_id, protocol_key, instrument_id, with_baseline, with_followup, responders, "
            "remitters FROM outcomes_programoutcome ORDER BY id"
        ).fetchall()
        return rows
    finally:
        db.close()


def test_the_same_seed_gives_the_same_rows_and_another_seed_does_not(
    cli: Any, blank: Path, tmp_path: Path
) -> None:
    first = _synth_into(cli, blank, tmp_path / "a", *SMALL, "--raw-check-clients", "100")
    _synth_into(cli, blank, tmp_path / "b", *SMALL, "--raw-check-clients", "0")
    other = [*SMALL[:-3], "6", *SMALL[-2:]]
    _synth_into(cli, blank, tmp_path / "c", *other, "--raw-check-clients", "0")
    a, b, c = (_dump(tmp_path / n / "kapstone.sqlite3") for n in "abc")
    assert a == b
    assert a["clients_client"] != c["clients_client"]
    # Progress on stderr, and the rate beside a raw insert of the same rows, printed as a ratio.
    assert "synth [" in first.stderr and "100.0%" in first.stderr
    assert re.search(r"ratio synth/raw = \d+\.\d\d", first.stdout)
    assert "loaded " in first.stdout and "rows/s" in first.stdout


def test_a_second_load_with_the_same_seed_is_refused(cli: Any, blank: Path, tmp_path: Path) -> None:
    env = cli.env(tmp_path / "v")
    _synth_into(cli, blank, tmp_path / "v", *SMALL, "--raw-check-clients", "0")
    again = cli.run("synth", *SMALL, env=env, check=False)
    assert again.returncode != 0 and "already holds synthetic data for seed 5" in again.stderr


@pytest.mark.django_db(transaction=True)
def test_row_counts_shape_and_fictional_names() -> None:
    from kapstone.accounts.models import Membership, Organization, User
    from kapstone.care.models import CareSession, Course, VitalReading
    from kapstone.clients.models import CareTeamMember, Client
    from kapstone.measures.models import Response
    from kapstone.notes.models import ProgressNote
    from kapstone.outcomes.selectors import program_outcomes_scan, program_outcomes_stored

    out, err = io.StringIO(), io.StringIO()
    call_command("synth", *SMALL, "--raw-check-clients", "0", stdout=out, stderr=err)
    assert Organization.objects.count() == 1
    assert User.objects.count() == 12 + 1  # and an admin per organization
    assert Membership.objects.count() == 13
    assert Client.objects.count() == 300
    assert Response.objects.count() == 300 * 9
    # The bench's therapist: the first therapist of the first organization, 200 clients exactly.
    bench = User.objects.get(email=synth.email_of(5, "therapist", 1, 1))
    assert CareTeamMember.objects.filter(user=bench, team_role="therapist").count() == 200
    # Trainees work under a supervisor on the same care team; each has a note per client, their
    # latest few waiting for a co-sign (a queue of the same size at every tier), the rest co-signed
    # by their supervisor.
    trainee_rows = CareTeamMember.objects.filter(team_role="trainee")
    assert trainee_rows.exists() and all(row.supervisor_id for row in trainee_rows)
    assert ProgressNote.objects.count() == trainee_rows.count()
    for trainee_id in trainee_rows.values_list("user_id", flat=True).distinct():
        written = ProgressNote.objects.filter(author_id=trainee_id)
        waiting = written.filter(status="pending_cosign", cosigned_by=None).count()
        assert waiting == min(written.count(), synth.PENDING_COSIGNS_PER_TRAINEE)
    supervisor_of = dict(trainee_rows.values_list("user_id", "supervisor_id"))
    cosigned = ProgressNote.objects.filter(status="signed")
    assert cosigned.exists()
    assert all(note.cosigned_by_id == supervisor_of[note.author_id] for note in cosigned)
    # Dosing sessions with 24 vitals each; live rooms for the bench therapist.
    dosing = CareSession.objects.filter(kind="dosing")
    assert dosing.exists() and VitalReading.objects.count() == 24 * dosing.count()
    assert CareSession.objects.filter(status="in_progress", lead=bench).count() == 20
    assert Course.objects.exists()
    # Obviously fictional: names from the made-up pools, addresses under .invalid.
    for client in Client.objects.all():
        assert client.given_name in synth.GIVEN and client.family_name.split("-")[0] in synth.FAMILY
        assert client.email.endswith(".invalid")
    assert all(u.email.endswith(".invalid") and not u.has_usable_password() for u in User.objects.all())
    # Plausible trajectories: responders exist, and the folded aggregates equal a full recomputation.
    org = Organization.objects.get().pk
    stored = program_outcomes_stored(org)
    assert stored == {k: v for k, v in program_outcomes_scan(org).items() if any(v)}
    phq9 = [v for (_, instrument), v in stored.items() if instrument == "phq9"]
    assert sum(v[2] for v in phq9) > 0 and sum(v[2] for v in phq9) < sum(v[1] for v in phq9)
    assert "loaded " in out.getvalue() and "100.0%" in err.getvalue()
    from django.db import connection

    if connection.vendor == "postgresql":  # a bulk load is vacuumed: index-only scans skip the heap
        assert "VACUUM ANALYZE" in out.getvalue()
        with connection.cursor() as cur:
            cur.execute("SELECT last_vacuum FROM pg_stat_user_tables WHERE relname = 'measures_response'")
            assert cur.fetchone()[0] is not None
    else:
        assert "and ANALYZE" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_the_raw_comparison_writes_the_same_rows_both_ways_and_leaves_nothing_behind() -> None:
    from django.db import connection

    from kapstone.clients.models import Client

    plan = synth.Plan(clinicians=10, clients=120, responses_per_client=6, seed=3, anchor=date(2026, 1, 1))
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(("file:", ":memory:")):
        pytest.skip("ATTACH needs a file database; the command test above runs it on a file")
    raw = synth.compare_raw(plan, clients=120)
    assert raw["rows"] > 120 and raw["ratio"] > 0
    assert Client.objects.count() == 0
