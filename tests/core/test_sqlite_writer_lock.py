"""The SQLite backend queues write transactions on ``<database>.writer-lock``: a writer waits for
the one before it, goes in once it commits or rolls back, and gives up with SQLite's own "database
is locked" after the configured timeout, having written nothing. On a real file database."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.db.utils import OperationalError

from kapstone.core.sqlite_backend.base import DatabaseWrapper

pytestmark = [
    pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite backend's own lock"),
    pytest.mark.django_db,  # lets our own connections to the file open (the test database is unused)
]


def _open(path: Path, timeout: float = 5) -> DatabaseWrapper:
    settings = {
        **connection.settings_dict,
        "ENGINE": "kapstone.core.sqlite_backend",
        "NAME": str(path),
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": timeout},
        "CONN_MAX_AGE": 0,
    }
    db = DatabaseWrapper(settings, alias="writer_lock_test")
    with db.cursor() as cur:
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("CREATE TABLE IF NOT EXISTS entry (who TEXT, began REAL)")
    return db


def _write(db: DatabaseWrapper, who: str, hold: float = 0.0) -> tuple[float, float]:
    """One write transaction as ``atomic`` runs it: (time BEGIN returned, time COMMIT returned)."""
    db._start_transaction_under_autocommit()
    began = time.monotonic()
    with db.cursor() as cur:
        cur.execute("INSERT INTO entry VALUES (%s, %s)", [who, began])
    time.sleep(hold)
    db.commit()
    return began, time.monotonic()


def _rows(path: Path) -> list[str]:
    db = _open(path)
    try:
        with db.cursor() as cur:
            cur.execute("SELECT who FROM entry ORDER BY rowid")
            return [row[0] for row in cur.fetchall()]
    finally:
        db.close()


def _lock_is_free(path: Path) -> bool:
    fd = os.open(f"{path}.writer-lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # closing the descriptor releases a lock it took
    return True


def test_a_second_writer_waits_for_the_first_and_goes_in_after_its_commit(tmp_path: Path) -> None:
    path = tmp_path / "kapstone.sqlite3"
    _open(path).close()
    first_in = threading.Event()
    times: dict[str, tuple[float, float]] = {}

    def first() -> None:
        db = _open(path)
        db._start_transaction_under_autocommit()
        first_in.set()
        began = time.monotonic()
        with db.cursor() as cur:
            cur.execute("INSERT INTO entry VALUES ('first', %s)", [began])
        time.sleep(0.2)  # the second writer is waiting meanwhile
        db.commit()
        times["first"] = (began, time.monotonic())
        db.close()

    def second() -> None:
        first_in.wait()
        db = _open(path)
        times["second"] = _write(db, "second")
        db.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _rows(path) == ["first", "second"]
    assert times["second"][0] >= times["first"][1]  # its BEGIN returned only after the first COMMIT
    assert _lock_is_free(path)


def test_past_the_timeout_a_writer_fails_as_locked_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "kapstone.sqlite3"
    db = _open(path, timeout=0.2)
    holder = os.open(f"{path}.writer-lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(holder, fcntl.LOCK_EX)  # another process's writer, stuck
    try:
        with pytest.raises(OperationalError, match="database is locked"):
            db._start_transaction_under_autocommit()
    finally:
        os.close(holder)
    assert _rows(path) == []
    _write(db, "after")  # the lock came free: the next write goes in
    assert _rows(path) == ["after"]
    db.close()


@pytest.mark.parametrize("end", ["commit", "rollback", "close"])
def test_the_lock_is_released_however_the_transaction_ends(tmp_path: Path, end: str) -> None:
    path = tmp_path / "kapstone.sqlite3"
    db: Any = _open(path)
    db._start_transaction_under_autocommit()
    with db.cursor() as cur:
        cur.execute("INSERT INTO entry VALUES ('x', 0)")
    assert not _lock_is_free(path)
    getattr(db, end)()
    assert _lock_is_free(path)
    assert _rows(path) == (["x"] if end == "commit" else [])
    db.close()
