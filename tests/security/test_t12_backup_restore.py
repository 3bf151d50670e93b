"""T12 (security.md section 7): a backup taken under write load restores whole.

A scratch instance gets signed progress notes, then a worker appends audit events through the audit
service (printing each id after its commit) while ``kapstone backup`` runs (SQLite's backup API, or
``pg_dump -Fc`` on PostgreSQL). The backup is restored with ``kapstone restore`` into a fresh
instance, which must pass ``migrate --check`` (run in one step process with the other checks);
every table's row count and SHA-256 over its rows must equal the source's at the backup's snapshot
(the audit table compared up to the newest event the backup holds: the worker only appends, so the
source's rows up to there are that snapshot), every write acknowledged before the backup started
must be in it, and the audit chain and every signed note's content hash must verify after the restore.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from durability_kit import (
    HERE,
    KAPSTONE,
    ROOT,
    base_env,
    pg_base_url,
    pg_drop,
    pg_instance,
    pg_sql,
    run,
    sqlite_instance,
    step,
)


class Writer:
    """The T11 worker in one process, its acknowledged ids collected as they arrive."""

    def __init__(self, env: dict[str, str]) -> None:
        self.acked: list[int] = []
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, str(HERE / "t11_writer.py"), "write", "0.005"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("ack "):
                self.acked.append(int(line.split()[1]))

    def wait_for(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.acked) < count:
            assert self.proc.poll() is None and time.monotonic() < deadline, "the writer stopped writing"
            time.sleep(0.05)

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()
        self.thread.join(timeout=10)


def drill(source: dict[str, str], restored: dict[str, str], tmp_path: Path, battery, label: str) -> None:
    seeded = step("t12_steps.py", source, "seed")
    assert seeded["signed"] == 6
    writer = Writer(source)
    try:
        writer.wait_for(20)
        before = list(writer.acked)  # read before the backup started: committed before it, too
        backup_file = tmp_path / "kapstone.backup"
        run([*KAPSTONE, "backup", str(backup_file)], source)
        during = len(writer.acked) - len(before)
        writer.wait_for(len(writer.acked) + 5)  # still writing after the backup finished
    finally:
        writer.stop()

    started = time.perf_counter()
    run([*KAPSTONE, "restore", "--yes", str(backup_file)], restored)
    restore_s = time.perf_counter() - started
    after = step("t12_steps.py", restored, "restored")  # migrate --check, audit verify, notes, tables
    upto = after["upto"]
    want = step("t12_steps.py", source, "tables", str(upto))["tables"]
    got = after["tables"]
    mismatched = sorted(t for t in want.keys() | got.keys() if want.get(t) != got.get(t))
    missing_acked = sum(1 for pk in before if pk > upto)
    chain_failures = 0 if after["chain_ok"] else 1
    notes = after["notes"]
    battery(
        "T12",
        f"{label}: tables compared: {len(want)}; mismatches: {len(mismatched)}; "
        f"restore time: {restore_s:.1f} s; audit-chain/signed-hash failures after restore: "
        f"{chain_failures}/{notes['failures']} (notes checked: {notes['signed']}); "
        f"writes acknowledged during the backup: {during}; "
        f"acknowledged before it but missing: {missing_acked}",
    )
    assert len(want) > 50 and mismatched == [], mismatched
    assert missing_acked == 0
    assert after["migrations_ok"], "migrate --check: the restored schema lacks migrations"
    assert chain_failures == 0
    assert notes == {"signed": 6, "failures": 0}


def test_t12_sqlite_backup_under_writes_restores_every_table(tmp_path, battery):
    source = sqlite_instance(tmp_path / "source")
    restored = base_env(tmp_path / "restored")  # a fresh instance: no database file yet
    drill(source, restored, tmp_path, battery, "SQLite")


def test_t12_postgresql_pg_dump_under_writes_restores_every_table(tmp_path, battery):
    base = pg_base_url()
    if base is None:
        pytest.skip("PostgreSQL only (run with DATABASE_URL); the SQLite drill is the test above")
    name, fresh = f"kapstone_t12_{os.getpid()}", f"kapstone_t12r_{os.getpid()}"
    source = pg_instance(base, name, tmp_path / "source")
    pg_drop(base, fresh)
    pg_sql(base, f"CREATE DATABASE {fresh}")  # empty: the restore brings schema and rows
    restored = {**base_env(tmp_path / "restored"), "DATABASE_URL": f"{base}/{fresh}"}
    try:
        drill(source, restored, tmp_path, battery, "PostgreSQL")
    finally:
        pg_drop(base, name)
        pg_drop(base, fresh)
