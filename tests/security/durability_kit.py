"""Scratch Kapstone instances for the durability drills (T11, T12, T24): a SQLite file in its own var
directory, or a PostgreSQL database of its own, each already migrated.

Migrating from nothing takes close to a minute on a loaded 2-core machine, so the migrated schema is
built once per set of migration files and copied: a SQLite file under ``var/test-cache/`` and a
PostgreSQL template database (``CREATE DATABASE ... TEMPLATE``). Both are keyed by the names of the
migration files, so a new migration rebuilds them.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
KAPSTONE = [sys.executable, "-m", "kapstone.cli"]
CACHE = ROOT / "var" / "test-cache"


def migrations_key() -> str:
    names = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "src" / "kapstone").glob("*/migrations/0*.py"))
    digest = hashlib.sha256()
    for name in names:
        digest.update(name.encode() + b"\0" + (ROOT / name).read_bytes())
    return digest.hexdigest()[:12]


def base_env(var: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAPSTONE_") and k != "DATABASE_URL"}
    env.update(KAPSTONE_ENV="test", KAPSTONE_VAR_DIR=str(var), KAPSTONE_LOG_LEVEL="WARNING")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(HERE), env.get("PYTHONPATH", "")])
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def run(args: list[str], env: dict[str, str], *, ok: bool = True, timeout: float = 600) -> Any:
    done = subprocess.run(
        args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    if ok:
        assert done.returncode == 0, f"{args[2:5]} failed:\n{done.stderr[-3000:]}"
    return done


def step(script: str, env: dict[str, str], *args: str) -> dict[str, Any]:
    out = run([sys.executable, str(HERE / script), *args], env).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


class _Lock:
    def __init__(self, name: str) -> None:
        CACHE.mkdir(parents=True, exist_ok=True)
        self.path = CACHE / f"{name}.lock"

    def __enter__(self) -> None:
        self.fh = self.path.open("w")
        fcntl.flock(self.fh, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self.fh, fcntl.LOCK_UN)
        self.fh.close()


def sqlite_instance(var: Path, seed: tuple[str, ...] = ()) -> dict[str, str]:
    """A var directory holding a migrated SQLite database; returns the environment to run it.

    ``seed`` names a step (script and arguments) run once on the migrated database before it is
    cached, for data that takes long to make; the cache is keyed by it too.
    """
    label = "-".join(["sqlite", migrations_key(), *(Path(a).stem for a in seed)])
    cached = CACHE / label / "kapstone.sqlite3"
    with _Lock(label):  # one lock per cached file, so a seeded build can take the plain one's
        if not cached.exists():
            build = cached.parent.with_suffix(".building")
            shutil.rmtree(build, ignore_errors=True)
            if seed:
                env = sqlite_instance(build)  # the plain migrated copy, from its own cache
                run([sys.executable, str(HERE / seed[0]), *seed[1:]], env)
            else:
                run([*KAPSTONE, "migrate", "--noinput", "-v0"], base_env(build))
            # One file, no write-ahead log beside it: checkpoint and leave WAL mode for the copy.
            run([sys.executable, "-c", _CHECKPOINT, str(build / "kapstone.sqlite3")], base_env(build))
            shutil.rmtree(cached.parent, ignore_errors=True)
            cached.parent.mkdir(parents=True)
            shutil.copy2(build / "kapstone.sqlite3", cached)
            shutil.rmtree(build, ignore_errors=True)
    var.mkdir(parents=True, exist_ok=True)
    shutil.copy2(cached, var / "kapstone.sqlite3")
    return base_env(var)


_CHECKPOINT = (
    "import sqlite3,sys;c=sqlite3.connect(sys.argv[1]);"
    "c.execute('PRAGMA wal_checkpoint(TRUNCATE)');c.execute('PRAGMA journal_mode=DELETE');c.close()"
)


def pg_base_url() -> str | None:
    """The test run's PostgreSQL server as a URL without a database, or None on SQLite."""
    from django.db import connection  # why: only the vendor and address, no query

    if connection.vendor != "postgresql":
        return None
    cfg = connection.settings_dict
    auth = str(cfg.get("USER") or "postgres")
    if cfg.get("PASSWORD"):
        auth += f":{cfg['PASSWORD']}"
    return f"postgresql://{auth}@{cfg.get('HOST') or '127.0.0.1'}:{cfg.get('PORT') or 5432}"


def pg_sql(base: str, sql: str) -> list[tuple[Any, ...]]:
    import psycopg  # why: PostgreSQL runs only; the SQLite drills do not need the driver

    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        cur = conn.execute(sql)  # type: ignore[call-overload]
        return cur.fetchall() if cur.description else []


def pg_instance(base: str, name: str, var: Path) -> dict[str, str]:
    """A fresh database ``name`` copied from a migrated template; returns the environment."""
    template = f"kapstone_tpl_{migrations_key()}"
    with _Lock("postgres"):
        found = f"SELECT 1 FROM pg_database WHERE datname = '{template}'"  # noqa: S608 - a hex digest
        if not pg_sql(base, found):
            pg_sql(base, f"DROP DATABASE IF EXISTS {template}_building")
            pg_sql(base, f"CREATE DATABASE {template}_building")
            env = {**base_env(var), "DATABASE_URL": f"{base}/{template}_building"}
            run([*KAPSTONE, "migrate", "--noinput", "-v0"], env)
            pg_sql(base, f"ALTER DATABASE {template}_building RENAME TO {template}")
        pg_sql(base, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        pg_sql(base, f"CREATE DATABASE {name} TEMPLATE {template}")
    return {**base_env(var), "DATABASE_URL": f"{base}/{name}"}


def pg_drop(base: str, name: str) -> None:
    pg_sql(base, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
