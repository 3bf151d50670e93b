"""The committing worker of the T11/T12 drills, and the checks run after it.

``python t11_writer.py rounds N``: Django is set up once (without opening the database), then N
times a fresh worker process is forked; it opens its own connection and appends audit events through
the audit service, printing ``ack ID`` only after each commit returned, until the test kills it with
SIGKILL. The parent prints ``pid PID`` before each worker and waits for it to die.
``python t11_writer.py write [PAUSE]``: one worker, writing until it is killed (PAUSE seconds
between commits, so a steady load leaves the machine's other core to the backup being tested).
``python t11_writer.py check ACKS_FILE``: one JSON line: acknowledged ids missing, integrity errors
(``PRAGMA integrity_check`` on SQLite, amcheck's ``bt_index_check`` on every index on PostgreSQL)
and the durability settings that are off their specification.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kapstone.settings")
import django  # noqa: E402

django.setup()

from django.db import DatabaseError, connection, transaction  # noqa: E402

from kapstone.audit.models import AuditEvent  # noqa: E402
from kapstone.audit.services import record  # noqa: E402
from kapstone.core.actor import SYSTEM  # noqa: E402

# What security.md 4 asks of a database holding clinical records (lower-case as the servers report it).
SQLITE_SPEC = {"journal_mode": {"wal"}, "synchronous": {"2", "3"}}  # 2 = FULL, 3 = EXTRA
PG_SPEC = {"fsync": {"on"}, "synchronous_commit": {"on"}, "full_page_writes": {"on"}}


def say(line: str) -> None:
    os.write(1, (line + "\n").encode())  # unbuffered: nothing is lost or duplicated across fork/kill


def write_forever(pause: float = 0.0) -> None:
    n = 0
    while True:
        n += 1
        event = record(SYSTEM, "t11.write", object_type="t11", object_id=n, detail={"n": n})
        say(f"ack {event.pk}")  # after record() returned: its transaction committed
        if pause:
            time.sleep(pause)


def rounds(count: int) -> None:
    assert connection.connection is None, "the parent must not share a connection with its workers"
    for number in range(count):
        pid = os.fork()
        if pid == 0:  # the worker: a new process, its own connection opened on first use
            try:
                write_forever()
            finally:
                os._exit(1)
        say(f"pid {pid}")
        _, status = os.waitpid(pid, 0)
        killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        say(f"round {number} {'killed' if killed else f'ended {status}'}")


def settings_now() -> dict[str, str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            return {name: str(cursor.execute(f"PRAGMA {name}").fetchone()[0]).lower() for name in SQLITE_SPEC}
        values = {}
        for name in PG_SPEC:
            cursor.execute(f"SHOW {name}")
            values[name] = str(cursor.fetchone()[0]).lower()
        return values


def integrity_errors() -> list[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            rows = [str(r[0]) for r in cursor.execute("PRAGMA integrity_check").fetchall()]
            return [] if rows == ["ok"] else rows
        cursor.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
        cursor.execute(
            "SELECT c.oid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
            " JOIN pg_am am ON am.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE am.amname = 'btree' AND n.nspname = 'public'"
        )
        indexes = [r[0] for r in cursor.fetchall()]
        errors = []
        for index in indexes:
            try:
                with transaction.atomic():  # a failed check rolls back only itself
                    cursor.execute("SELECT bt_index_check(%s::regclass, true)", [index])
            except DatabaseError as exc:  # every failure is a finding, named in the output
                errors.append(f"{index}: {exc}")
        if not indexes:
            errors.append("no indexes found to check")
        return errors


def check(acks_file: str) -> dict[str, object]:
    acked = {int(x) for x in Path(acks_file).read_text().split()}
    present = set(AuditEvent.objects.filter(pk__in=acked).values_list("pk", flat=True))
    now = settings_now()
    spec = SQLITE_SPEC if connection.vendor == "sqlite" else PG_SPEC
    off = sorted(name for name, allowed in spec.items() if now[name] not in allowed)
    return {
        "vendor": connection.vendor,
        "acknowledged": len(acked),
        "missing": len(acked - present),
        "integrity_errors": integrity_errors(),
        "settings": now,
        "off_spec": off,
        "events": AuditEvent.objects.count(),
    }


if __name__ == "__main__":
    if sys.argv[1] == "rounds":
        rounds(int(sys.argv[2]))
    elif sys.argv[1] == "write":
        write_forever(float(sys.argv[2]) if len(sys.argv) > 2 else 0.0)
    else:
        print(json.dumps(check(sys.argv[2])))
