"""What the audit chain's lock costs under concurrent writers (PostgreSQL; in-process, rolled back).

Every audited write takes ``pg_advisory_xact_lock`` in ``kapstone.audit.services.record`` and holds it
to the end of its transaction, so appends to the hash chain stay linear. Here N threads each run
transactions shaped like a scored-response write (the audit row, then a few more statements, as the
safety, schedule and outcome updates do) and roll them back, with the lock and with it switched off.
Nothing is committed, so the bench database's chain stays intact. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import threading
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kapstone.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from kapstone.audit import services  # noqa: E402
from kapstone.core.actor import Actor  # noqa: E402


class Rollback(Exception):
    pass


def run(writers: int, seconds: float) -> dict[str, float]:
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    actor = Actor(user=None, request_id="bench-audit-lock")

    def worker() -> None:
        mine = []
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                with transaction.atomic():
                    services.record(actor, "bench.audit_lock", detail={"bench": True})
                    with connection.cursor() as cur:
                        for _ in range(4):  # the rest of a response write, holding the lock
                            cur.execute("SELECT 1")
                    raise Rollback
            except Rollback:
                pass
            mine.append((time.perf_counter() - started) * 1000)
        connection.close()
        with lock:
            latencies.extend(mine)

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - started
    latencies.sort()
    return {
        "per_s": len(latencies) / wall,
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[int(len(latencies) * 0.99)],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit(
            "the advisory lock is PostgreSQL's (SQLite's IMMEDIATE transactions serialize anyway)"
        )
    with_lock = run(args.writers, args.seconds)
    original = services._serialize_writers
    services._serialize_writers = lambda: None  # type: ignore[assignment]
    try:
        without = run(args.writers, args.seconds)
    finally:
        services._serialize_writers = original  # type: ignore[assignment]
    print(json.dumps({"with_lock": with_lock, "without_lock": without,
                      "cost": 1 - with_lock["per_s"] / without["per_s"]}))  # fmt: skip


if __name__ == "__main__":
    main()
