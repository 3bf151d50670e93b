"""T11 (security.md section 7): crash durability and the durability settings.

A worker appends audit events through the audit service and prints each id only after its commit
returned; it is killed with SIGKILL mid-stream 20 times (a fresh worker process after each kill, see
t11_writer.py). Then, from a new process: every acknowledged id is in the database, the database
passes its integrity check (``PRAGMA integrity_check`` / amcheck), ``kapstone audit verify`` passes
and the durability settings are the specified ones (SQLite: WAL, synchronous FULL or EXTRA;
PostgreSQL: fsync, synchronous_commit and full_page_writes on). Runs on a scratch SQLite instance
always, and on a scratch PostgreSQL database when the suite runs on PostgreSQL.
"""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from durability_kit import HERE, KAPSTONE, ROOT, pg_base_url, pg_drop, pg_instance, run, sqlite_instance, step

KILLS = 20


def kill_rounds(env: dict[str, str], acks_file: Path, kills: int = KILLS) -> int:
    """Run the worker ``kills`` times, SIGKILL each after a random number of acknowledged commits."""
    rng = random.Random(1711)  # noqa: S311 - a reproducible drill, not a secret
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(HERE / "t11_writer.py"), "rounds", str(kills)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    acked: list[str] = []
    killed = 0
    deadline = time.monotonic() + 240
    buffer = b""
    worker, target, seen = 0, 0, 0
    try:
        while True:
            assert time.monotonic() < deadline, "the drill ran out of time"
            ready, _, _ = select.select([proc.stdout], [], [], 5)
            chunk = os.read(proc.stdout.fileno(), 65536) if ready else b""
            if ready and not chunk:
                break  # the parent exited after its last round
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in (raw.decode() for raw in lines):
                kind, _, value = line.partition(" ")
                if kind == "pid":
                    worker, target, seen = int(value), rng.randint(5, 60), 0
                elif kind == "ack":
                    acked.append(value)
                    seen += 1
                    if seen == target and worker:
                        os.kill(worker, signal.SIGKILL)  # mid-stream: it is committing the next one
                        worker = 0
                elif kind == "round" and value.endswith("killed"):
                    killed += 1
    finally:
        proc.kill()
        proc.wait()
    acks_file.write_text("\n".join(acked) + "\n")
    assert proc.returncode == 0 or killed == kills, proc.stderr.read().decode()[-2000:] if proc.stderr else ""
    return killed


def drill(env: dict[str, str], tmp_path: Path, battery, label: str) -> None:
    acks = tmp_path / "acks.txt"
    killed = kill_rounds(env, acks)
    result = step("t11_writer.py", env, "check", str(acks))
    verify = run([*KAPSTONE, "audit", "verify"], env, ok=False)
    chain_errors = 0 if verify.returncode == 0 and "Audit chain intact" in verify.stdout else 1
    integrity = len(result["integrity_errors"]) + chain_errors
    battery(
        "T11",
        f"{label}: kills: {killed}; acknowledged commits missing: {result['missing']} "
        f"(of {result['acknowledged']}); integrity errors: {integrity}; "
        f"durability settings off-spec: {len(result['off_spec'])} "
        f"({', '.join(f'{k}={v}' for k, v in result['settings'].items())})",
    )
    assert killed == KILLS
    assert result["acknowledged"] >= KILLS * 5
    assert result["missing"] == 0
    assert result["integrity_errors"] == [], result["integrity_errors"]
    assert chain_errors == 0, verify.stderr[-2000:]
    assert result["off_spec"] == [], result["settings"]


def test_t11_sqlite_kill9_mid_commit_loses_no_acknowledged_write(tmp_path, battery):
    env = sqlite_instance(tmp_path / "instance")
    drill(env, tmp_path, battery, "SQLite")


def test_t11_postgresql_kill9_mid_commit_loses_no_acknowledged_write(tmp_path, battery):
    base = pg_base_url()
    if base is None:
        pytest.skip("PostgreSQL only (run with DATABASE_URL); the SQLite drill is the test above")
    name = f"kapstone_t11_{os.getpid()}"
    env = pg_instance(base, name, tmp_path / "instance")
    try:
        drill(env, tmp_path, battery, "PostgreSQL")
    finally:
        pg_drop(base, name)
