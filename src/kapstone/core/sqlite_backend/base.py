"""Django's SQLite backend, with writers queued on a kernel file lock.

SQLite lets one writer in at a time; the others get SQLITE_BUSY and its busy handler sleeps and
retries on a fixed back-off (1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100 ms ...). Under 16
concurrent writers that back-off, not the work, made the slowest writes slow: a writer that just
missed the lock slept tens of milliseconds after it was free again. Here a write transaction first
takes an exclusive ``flock`` on ``<database>.writer-lock`` (released at COMMIT or ROLLBACK), polled
on a short back-off capped at 2 ms, so the next writer goes in as soon as the lock is free and
BEGIN IMMEDIATE finds the database free. The wait is bounded by the same timeout as SQLite's own;
past it the write fails with "database is locked", as it would without this.

Only transactions Django opens (``atomic``) take the lock; a lone autocommit write still queues on
SQLite's busy handler, correct but on the old back-off. In-memory databases (tests) skip it.

Commit durability: every transaction commits with ``synchronous=FULL`` (the WAL is fsynced), except
one the audit writer marks with ``relax_next_transaction()`` (a transaction that writes only a read's
audit row, when ``KAPSTONE_READ_AUDIT_COMMIT=relaxed``): that one runs at NORMAL (no fsync; lost
only on power failure or an OS crash, until the next FULL commit or checkpoint syncs the WAL).
SQLite refuses to change the level inside a transaction ("Safety level may not be changed inside a
transaction"), so it is set just before BEGIN and put back to the configured level right after
COMMIT or ROLLBACK (or a failed BEGIN), and checked again before every BEGIN: a clinical write can
never start at NORMAL. These two PRAGMAs are connection settings without I/O, run on the driver's
connection like the init_command, so they are not counted as queries.
"""

from __future__ import annotations

import fcntl
import os
import time
from typing import Any

from django.db.backends.sqlite3 import base
from django.db.utils import OperationalError

_SQLiteWrapper: Any = base.DatabaseWrapper  # the stubs omit the private hooks overridden here

POLL_FIRST_S = 0.0002
POLL_MAX_S = 0.002


RELAXED = 1  # PRAGMA synchronous=NORMAL: in WAL mode, a commit without the fsync


class DatabaseWrapper(_SQLiteWrapper):  # type: ignore[misc]  # see _SQLiteWrapper
    _lock_fd: int | None = None
    _holding = False
    _relax_next = False
    _durable = 2  # the level the init_command set (FULL), read back when the connection opens
    _synchronous = 2  # the level set on the driver's connection now

    def get_new_connection(self, conn_params: Any) -> Any:
        conn = super().get_new_connection(conn_params)
        self._durable = self._synchronous = int(conn.execute("PRAGMA synchronous").fetchone()[0])
        return conn

    def relax_next_transaction(self) -> None:
        """Let the next transaction this connection opens commit at synchronous=NORMAL (one only)."""
        self._relax_next = True

    def _set_synchronous(self, level: int) -> None:
        if self._synchronous != level and self.connection is not None:
            self.connection.execute(f"PRAGMA synchronous={level:d}")
            self._synchronous = level

    def _restore_durable(self) -> None:
        self._relax_next = False
        self._set_synchronous(self._durable)

    def _lock_path(self) -> str:
        return f"{self.settings_dict['NAME']}.writer-lock"

    def _acquire_writer_lock(self) -> None:
        if self._lock_fd is None:
            self._lock_fd = os.open(self._lock_path(), os.O_RDWR | os.O_CREAT, 0o600)
        timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))
        deadline = time.monotonic() + timeout
        pause = POLL_FIRST_S
        while True:
            try:
                fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise OperationalError(
                        f"database is locked (waited {timeout:g} s for the writer lock)"
                    ) from None
                time.sleep(pause)
                pause = min(pause * 2, POLL_MAX_S)
            else:
                self._holding = True
                return

    def _release_writer_lock(self) -> None:
        if self._holding and self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
        self._holding = False

    def _start_transaction_under_autocommit(self) -> None:
        relaxed, self._relax_next = self._relax_next, False
        # Outside a transaction, where SQLite allows it; never above the configured level.
        self._set_synchronous(min(RELAXED, self._durable) if relaxed else self._durable)
        if not self.is_in_memory_db():
            self._acquire_writer_lock()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_writer_lock()
            self._restore_durable()
            raise

    def _commit(self) -> Any:
        try:
            return super()._commit()
        finally:
            self._release_writer_lock()
            self._restore_durable()

    def _rollback(self) -> Any:
        try:
            return super()._rollback()
        finally:
            self._release_writer_lock()
            self._restore_durable()

    def _close(self) -> Any:
        try:
            return super()._close()
        finally:
            self._release_writer_lock()
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None
