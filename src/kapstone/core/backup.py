"""Online backup and restore: SQLite through its backup API, PostgreSQL through pg_dump/pg_restore."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connections

SQLITE_HEADER = b"SQLite format 3\x00"


class BackupError(Exception):
    pass


@dataclass(frozen=True)
class BackupReport:
    path: Path
    vendor: str
    size_bytes: int


def _settings(alias: str = "default") -> dict[str, Any]:
    return connections[alias].settings_dict


def _pg_env(cfg: dict[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    if cfg.get("PASSWORD"):
        env["PGPASSWORD"] = str(cfg["PASSWORD"])
    return env


def _pg_args(cfg: dict[str, Any]) -> list[str]:
    args = []
    if cfg.get("HOST"):
        args += ["-h", str(cfg["HOST"])]
    if cfg.get("PORT"):
        args += ["-p", str(cfg["PORT"])]
    if cfg.get("USER"):
        args += ["-U", str(cfg["USER"])]
    return args


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is not installed; install PostgreSQL's client tools (Debian: postgresql-client)."
        )
    return path


def backup(target: Path, alias: str = "default") -> BackupReport:
    conn = connections[alias]
    cfg = _settings(alias)
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        raise BackupError(f"{target} already exists; choose a new file so no backup is overwritten.")
    if conn.vendor == "sqlite":
        source = sqlite3.connect(str(cfg["NAME"]))
        dest = sqlite3.connect(str(target))
        try:
            source.backup(dest)  # consistent snapshot; holds only short read locks on a live database
            if dest.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError("The backup failed its integrity check.")
        finally:
            dest.close()
            source.close()
    elif conn.vendor == "postgresql":
        result = subprocess.run(  # noqa: S603 - fixed argument list, no shell
            [_tool("pg_dump"), "-Fc", "--no-owner", "-f", str(target), *_pg_args(cfg), str(cfg["NAME"])],
            env=_pg_env(cfg),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    else:
        raise BackupError(f"Backups of {conn.vendor} databases are not supported.")
    os.chmod(target, 0o600)
    return BackupReport(target, conn.vendor, target.stat().st_size)


def restore(source: Path, alias: str = "default") -> None:
    """Replace the database's content with the backup's. Stop the server first."""
    conn = connections[alias]
    cfg = _settings(alias)
    if not source.exists():
        raise BackupError(f"{source} does not exist.")
    if conn.vendor == "sqlite":
        # SQLite opens an empty (or missing-header) file as an empty database that passes its integrity
        # check; restoring that would wipe every record. Check the header and that it holds our tables.
        with open(source, "rb") as fh:
            if fh.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
                raise BackupError(f"{source} is not a SQLite database (it lacks the SQLite file header).")
        backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            if backup_db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(f"{source} is not an intact SQLite database.")
            listed = backup_db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            tables = {name for (name,) in listed}
            if not {"django_migrations", "audit_auditevent"} <= tables:
                raise BackupError(f"{source} is a SQLite database but not a Kapstone backup.")
            conn.close()
            live = sqlite3.connect(str(cfg["NAME"]))
            try:
                backup_db.backup(live)
            finally:
                live.close()
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{source} is not a SQLite database: {exc}") from exc
        finally:
            backup_db.close()
    elif conn.vendor == "postgresql":
        conn.close()
        result = subprocess.run(  # noqa: S603 - fixed argument list, no shell
            [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "-d",
                str(cfg["NAME"]),
                *_pg_args(cfg),
                str(source),
            ],
            env=_pg_env(cfg),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise BackupError(f"pg_restore failed: {result.stderr.strip()}")
    else:
        raise BackupError(f"Restores of {conn.vendor} databases are not supported.")
