"""Query budgets that depend on the database: shared by the constant-query-count tests."""

from __future__ import annotations

from django.db import connection

AUDIT_LOCK_SQL = "pg_advisory_xact_lock"


def plus_audit_lock(count: int, audited_writes: int = 1) -> int:
    """On PostgreSQL each audit append first takes an advisory lock (one query more per audit row),
    which keeps the hash chain linear; SQLite's IMMEDIATE transaction already serialises writers."""
    return count + (audited_writes if connection.vendor == "postgresql" else 0)


def request_transaction() -> int:
    """Statements of the request's own transaction around a hot POST (``one_transaction``): on
    SQLite a savepoint pair inside the test's transaction (BEGIN and COMMIT in production); none on
    PostgreSQL, where the view runs without it."""
    return 2 if connection.vendor == "sqlite" else 0
