"""Backup → restore drills through the `kapstone` commands, on a file SQLite database and on PostgreSQL.

Every table is compared row for row between the original and the restored database, and the audit
chain must verify after the restore. These run in subprocesses: the in-process test database is
SQLite in memory (or a test PostgreSQL database), not the file/server a clinic backs up.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# The demo organization plus some history, in one process. Passwords hash with a fast hasher: the drill
# is about rows, and argon2 would cost seconds per account on this machine.
SEED = """
import django
django.setup()
from django.conf import settings
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
from kapstone.tooling.demo import load_demo
load_demo()
from kapstone.accounts.models import User
from kapstone.audit.services import record
from kapstone.clients.models import Client
from kapstone.clients.services import client_update
from kapstone.core.actor import Actor
from kapstone.accounts.services import acting_memberships

user = User.objects.get(email="therapist@larkspur.example")
_, org, roles = acting_memberships(user)
actor = Actor(user=user, organization=org, roles=roles, request_id="seed-0001", source_ip="192.0.2.10")
rowan = Client.objects.get(given_name="Rowan")
client_update(actor, rowan, pronouns="ze/zir", phone="+1 555 0100", expected_version=rowan.version)
for n in range(5):
    record(actor, "seed.event", object_type="client", object_id=rowan.pk, client_id=rowan.pk,
           detail={"n": n, "text": "naïve ünïcode ✓", "nested": {"list": [1, 2.5, None, True]}})
"""


# --- SQLite -------------------------------------------------------------------------------------------------


def sqlite_tables(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows (sorted), read straight from the file, read-only."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [
            r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        ]
        return {name: sorted(db.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr) for name in names}  # noqa: S608
    finally:
        db.close()


def sqlite_schema(path: Path) -> set[tuple[str, str, str]]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return set(db.execute("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL").fetchall())
    finally:
        db.close()


def audit_rows(path: Path, *, after_id: int = 0) -> list[tuple[Any, ...]]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return db.execute(
            "SELECT id, action, outcome, detail FROM audit_auditevent WHERE id > ? ORDER BY id", [after_id]
        ).fetchall()
    finally:
        db.close()


@pytest.fixture(scope="module")
def blank(cli, tmp_path_factory) -> Path:
    """A migrated, empty database file, made once and copied (closed, so a plain copy is consistent)."""
    var = tmp_path_factory.mktemp("blank-var")
    cli.run("migrate", "--verbosity", "0", env=cli.env(var))
    assert not (var / "kapstone.sqlite3-wal").exists()
    return var / "kapstone.sqlite3"


def migrated_var(blank: Path, var: Path) -> Path:
    var.mkdir(parents=True)
    shutil.copyfile(blank, var / "kapstone.sqlite3")
    return var


@pytest.fixture(scope="module")
def source(cli, blank, tmp_path_factory) -> dict[str, Any]:
    """A file database with the demo organization and some history, as a clinic would have it."""
    var = migrated_var(blank, tmp_path_factory.mktemp("source") / "var")
    env = cli.env(var)
    cli.python(SEED, env={**env, "DJANGO_SETTINGS_MODULE": "kapstone.settings"})
    return {"var": var, "env": env, "db": var / "kapstone.sqlite3"}


@pytest.mark.parametrize("target", ["migrated", "empty"])
def test_a_sqlite_backup_restores_every_row_of_every_table(cli, blank, source, tmp_path, target):
    before = sqlite_tables(source["db"])
    assert len(before["audit_auditevent"]) >= 6
    assert before["clients_client"] and before["accounts_user"] and before["accounts_totpdevice"]
    last_id = max(row[0] for row in before["audit_auditevent"])

    archive = tmp_path / "backups" / "kapstone-drill.sqlite3"
    result = cli.run("backup", str(archive), env=source["env"])
    assert result.stdout.startswith(f"Backed up the sqlite database to {archive} (")
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600  # the backup holds client records
    assert [(a, o) for _, a, o, _ in audit_rows(source["db"], after_id=last_id)][-1:] == [
        ("system.backup", "success")
    ]

    dest_var = tmp_path / "restored-var"
    dest_env = cli.env(dest_var)
    if target == "migrated":
        migrated_var(blank, dest_var)  # a live database that the restore replaces
    result = cli.run("restore", str(archive), "--yes", env=dest_env)
    assert f"Audit chain: chain intact ({len(before['audit_auditevent'])} events checked)." in result.stdout

    dest_db = dest_var / "kapstone.sqlite3"
    after = sqlite_tables(dest_db)
    assert sorted(after) == sorted(before)
    for table, rows in before.items():
        if table in ("audit_auditevent", "sqlite_sequence"):
            continue
        assert after[table] == rows, table
    # The audit log is the original's plus the restore's own event, appended to the same chain.
    by_id = sorted(after["audit_auditevent"], key=lambda row: row[0])
    assert by_id[: len(rows := before["audit_auditevent"])] == sorted(rows, key=lambda row: row[0])
    added = audit_rows(dest_db, after_id=last_id)
    assert [(action, outcome) for _, action, outcome, _ in added] == [("system.restore", "success")]
    seq = dict(after["sqlite_sequence"])
    assert {k: v for k, v in seq.items() if k != "audit_auditevent"} == {
        k: v for k, v in dict(before["sqlite_sequence"]).items() if k != "audit_auditevent"
    }
    # The same schema, the append-only triggers included.
    assert sqlite_schema(dest_db) == sqlite_schema(source["db"])
    assert {"audit_event_no_update", "audit_event_no_delete"} <= {
        name for _, name, _ in sqlite_schema(dest_db)
    }
    if target == "migrated":  # the restore verified the chain already; the command once more, on its own
        verify = cli.run("audit", "verify", env=dest_env)
        assert (
            verify.stdout.strip()
            == f"Audit chain intact: {len(before['audit_auditevent']) + 1} events verified."
        )


def test_a_backup_never_overwrites_an_existing_file(cli, source, tmp_path):
    existing = tmp_path / "precious.sqlite3"
    existing.write_bytes(b"last week's backup")
    last_id = audit_rows(source["db"])[-1][0]
    result = cli.run("backup", str(existing), env=source["env"], check=False)
    assert result.returncode == 1
    assert (
        f"CommandError: {existing} already exists; choose a new file so no backup is overwritten."
        in result.stderr
    )
    assert existing.read_bytes() == b"last week's backup"
    # Audited as a failure, never as a success.
    assert [(a, o) for _, a, o, _ in audit_rows(source["db"], after_id=last_id)] == [
        ("system.backup", "failure")
    ]


def _other_sqlite_database() -> bytes:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE notes (body TEXT)")
    db.execute("INSERT INTO notes VALUES ('someone else''s data')")
    db.commit()
    return db.serialize()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"this is a text file, not a database\n" * 50, "is not a SQLite database"),
        (b"", "is not a SQLite database"),  # SQLite would open it as an empty database and wipe ours
        (_other_sqlite_database(), "is a SQLite database but not a Kapstone backup."),
    ],
    ids=["text", "empty", "other-sqlite"],
)
def test_restore_refuses_a_file_that_is_not_a_kapstone_sqlite_database(
    cli, blank, tmp_path, content, message
):
    dest_var = migrated_var(blank, tmp_path / "var")
    dest_env = cli.env(dest_var)
    before = sqlite_tables(dest_var / "kapstone.sqlite3")
    bogus = tmp_path / "bogus.sqlite3"
    bogus.write_bytes(content)
    result = cli.run("restore", str(bogus), "--yes", env=dest_env, check=False)
    assert result.returncode == 1
    assert f"CommandError: {bogus} {message}" in result.stderr
    assert "Traceback" not in result.stderr
    assert sqlite_tables(dest_var / "kapstone.sqlite3") == before


def test_restore_of_a_missing_file_or_without_confirmation_changes_nothing(cli, source, tmp_path):
    before = sqlite_tables(source["db"])
    missing = tmp_path / "nope.sqlite3"
    result = cli.run("restore", str(missing), "--yes", env=source["env"], check=False)
    assert result.returncode == 1
    assert f"CommandError: {missing} does not exist." in result.stderr
    archive = tmp_path / "b.sqlite3"
    cli.run("backup", str(archive), env=source["env"])
    answered = cli.run("restore", str(archive), env=source["env"], input="no\n", check=False)
    assert answered.returncode == 1
    assert "CommandError: Nothing was restored." in answered.stderr
    after = sqlite_tables(source["db"])
    assert {t: r for t, r in after.items() if t not in ("audit_auditevent", "sqlite_sequence")} == {
        t: r for t, r in before.items() if t not in ("audit_auditevent", "sqlite_sequence")
    }


# --- PostgreSQL ------------------------------------------------------------------------------------------


def _server() -> dict[str, Any] | None:
    """A reachable PostgreSQL server: DATABASE_URL's, else 127.0.0.1:5432 as user postgres."""
    import psycopg

    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import dj_database_url

        cfg = dj_database_url.parse(url)
        server = {
            "host": cfg["HOST"] or "127.0.0.1",
            "port": int(cfg["PORT"] or 5432),
            "user": cfg["USER"] or "postgres",
            "password": cfg["PASSWORD"] or "",
        }
    else:
        server = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "password": ""}
    try:
        with psycopg.connect(dbname="postgres", connect_timeout=3, **server):
            return server
    except psycopg.OperationalError:
        return None


@pytest.fixture(scope="module")
def pg_server() -> dict[str, Any]:
    server = _server()
    if server is None:
        pytest.skip("no PostgreSQL server reachable (DATABASE_URL or 127.0.0.1:5432 as postgres)")
    return server


@pytest.fixture
def pg_databases(pg_server) -> Iterator[tuple[str, str]]:
    import psycopg

    suffix = secrets.token_hex(4)
    names = (f"kapstone_bk_src_{suffix}", f"kapstone_bk_dst_{suffix}")
    with psycopg.connect(dbname="postgres", autocommit=True, **pg_server) as admin:
        admin.execute(f'CREATE DATABASE "{names[0]}"')  # the test makes the second from the first
    try:
        yield names
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **pg_server) as admin:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_url(server: dict[str, Any], name: str) -> str:
    auth = server["user"] + (f":{server['password']}" if server["password"] else "")
    return f"postgres://{auth}@{server['host']}:{server['port']}/{name}"


def pg_tables(server: dict[str, Any], name: str) -> dict[str, list[tuple[Any, ...]]]:
    import psycopg

    with psycopg.connect(dbname=name, **server) as db:
        tables = [
            r[0]
            for r in db.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
            )
        ]
        return {t: sorted(db.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}  # noqa: S608


def pg_triggers(server: dict[str, Any], name: str) -> set[str]:
    import psycopg

    with psycopg.connect(dbname=name, **server) as db:
        return {
            r[0]
            for r in db.execute(
                "SELECT tgname FROM pg_trigger"
                " WHERE tgrelid = 'audit_auditevent'::regclass AND NOT tgisinternal"
            )
        }


def test_a_postgres_backup_restores_every_row_of_every_table(cli, pg_server, pg_databases, tmp_path):
    import psycopg

    src, dst = pg_databases
    var = tmp_path / "var"
    src_env = cli.env(var, DATABASE_URL=pg_url(pg_server, src))
    cli.run("migrate", "--verbosity", "0", env=src_env)
    with psycopg.connect(dbname="postgres", autocommit=True, **pg_server) as admin:
        # A migrated, empty copy: the live database the restore will replace (cheaper than migrating twice).
        admin.execute(f'CREATE DATABASE "{dst}" TEMPLATE "{src}"')
    cli.python(SEED, env={**src_env, "DJANGO_SETTINGS_MODULE": "kapstone.settings"})
    before = pg_tables(pg_server, src)
    assert len(before["audit_auditevent"]) >= 6

    archive = tmp_path / "kapstone.pgdump"
    result = cli.run("backup", str(archive), env=src_env)
    assert result.stdout.startswith(f"Backed up the postgresql database to {archive} (")
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600

    dst_env = cli.env(var, DATABASE_URL=pg_url(pg_server, dst))
    assert pg_tables(pg_server, dst)["clients_client"] == []
    result = cli.run("restore", str(archive), "--yes", env=dst_env)
    assert f"Audit chain: chain intact ({len(before['audit_auditevent'])} events checked)." in result.stdout

    after = pg_tables(pg_server, dst)
    assert sorted(after) == sorted(before)
    for table, rows in before.items():
        if table == "audit_auditevent":
            continue
        assert after[table] == rows, table
    restored_audit = sorted(after["audit_auditevent"], key=lambda r: r[0])
    original_audit = sorted(before["audit_auditevent"], key=lambda r: r[0])
    assert restored_audit[:-1] == original_audit
    assert "system.restore" in restored_audit[-1]
    assert (
        pg_triggers(pg_server, dst)
        == pg_triggers(pg_server, src)
        == {"audit_event_no_change", "audit_event_no_truncate"}
    )

    bogus = tmp_path / "bogus.pgdump"
    bogus.write_bytes(b"not an archive")
    refused = cli.run("restore", str(bogus), "--yes", env=dst_env, check=False)
    assert refused.returncode == 1
    assert "pg_restore failed" in refused.stderr
    assert pg_tables(pg_server, dst)["clients_client"] == before["clients_client"]
