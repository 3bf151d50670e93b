"""What the audit chains' locks cost under concurrent writers (PostgreSQL; in-process, rolled back).

Every audited write takes ``pg_advisory_xact_lock`` in ``kapstone.audit.services.record`` and holds it
to the end of its transaction, so appends to a hash chain stay linear. Since issue #18 there is one
chain, so one lock, per organization. Here writers spread over K organizations each run transactions
shaped like a scored-response write (the audit row, then a few more statements, as the safety,
schedule and outcome updates do) and roll them back, under three locks:

- ``chain``: the per-organization lock ``record`` takes now, ``pg_advisory_xact_lock(7261001, org)``;
- ``global``: the one lock every writer shared before, ``pg_advisory_xact_lock(7261001)``;
- ``none``: no lock (what the chain would cost if it could be forked: the floor).

For each it reports writes/s, latency, the share of requests that had to wait, and the lock wait per
request as a fraction of request time. The lock is first tried without blocking
(``pg_try_advisory_xact_lock``); only when another transaction holds it is the blocking call made and
timed, so an uncontended lock's one round trip is not counted as waiting (``none`` runs a plain
statement in its place: every mode makes the same round trips). ``--processes`` also
runs the per-chain lock in 1 and in P processes (stand-ins for app servers, each with
``--threads`` writers) to give the scale-out ratio. Nothing is committed, so the database's chains
stay intact. Prints one JSON line (``with_lock``/``without_lock``/``cost`` as ``make bench`` reads
them: the per-chain lock over ``--orgs`` organizations vs none).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/DB python -m bench.audit_lock  # a migrated DB
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kapstone.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from kapstone.accounts.models import Organization  # noqa: E402
from kapstone.audit import services  # noqa: E402
from kapstone.core.actor import Actor  # noqa: E402

ORG_BASE = 900_000  # organization ids of the bench's writers (unsaved: audit rows carry only the id)


class Rollback(Exception):
    pass


def _global_lock(chain: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [services.AUDIT_LOCK_CLASS])


def _try_chain(chain: int) -> str:
    return f"SELECT pg_try_advisory_xact_lock({services.AUDIT_LOCK_CLASS}, {services._lock_key(chain)})"


def _try_global(chain: int) -> str:
    return f"SELECT pg_try_advisory_xact_lock({services.AUDIT_LOCK_CLASS})"


# mode -> (the non-blocking try, the blocking lock as record() takes it); "none" runs a plain
# statement in the try's place so every mode makes the same round trips.
LOCKS: dict[str, tuple[Callable[[int], str], Callable[[int], None] | None]] = {
    "chain": (_try_chain, services._serialize_writers),
    "global": (_try_global, _global_lock),
    "none": (lambda chain: "SELECT true", None),
}


def run(
    writers: int, orgs: int, seconds: float, mode: str, offset: int = 0, spread: str = "fixed"
) -> dict[str, Any]:
    """``writers`` threads under lock ``mode``: writer i writes for organization i mod ``orgs``
    (``fixed``), or each request for one drawn at random among ``orgs`` (``random``)."""
    try_sql, lock = LOCKS[mode]
    samples: list[tuple[float, float]] = []  # (request ms, lock wait ms)
    gather = threading.Lock()
    deadline = time.monotonic() + seconds
    waits = threading.local()

    def timed_lock(chain: int, *, relaxed: bool = False) -> None:  # services._serialize_writers' shape
        # Lock wait = the time of the blocking call, made only when the try found the lock taken:
        # an uncontended lock costs one statement like any other, not a wait.
        with connection.cursor() as cursor:
            cursor.execute(try_sql(chain))
            (taken,) = cursor.fetchone()
        waits.ms = 0.0
        if not taken and lock is not None:
            started = time.perf_counter()
            lock(chain)
            waits.ms = (time.perf_counter() - started) * 1000

    def worker(index: int) -> None:
        draw = random.Random(index + offset)  # noqa: S311 (which organization, not a secret)
        mine = []
        while time.monotonic() < deadline:
            org = draw.randrange(orgs) if spread == "random" else (index + offset) % orgs
            actor = Actor(user=None, organization=Organization(pk=ORG_BASE + org), request_id="bench")
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
            mine.append(((time.perf_counter() - started) * 1000, waits.ms))
        connection.close()
        with gather:
            samples.extend(mine)

    original = services._serialize_writers
    services._serialize_writers = timed_lock
    try:
        started = time.monotonic()
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(writers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.monotonic() - started
    finally:
        services._serialize_writers = original
    return _summary(samples, wall)


def _summary(samples: list[tuple[float, float]], wall: float) -> dict[str, Any]:
    latencies = sorted(request for request, _ in samples)
    total, waited = sum(latencies), sum(wait for _, wait in samples)
    return {
        "per_s": round(len(latencies) / wall, 1),
        "p50_ms": round(statistics.median(latencies), 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99)], 2),
        "lock_wait_fraction": round(waited / total, 4),
        "lock_wait_ms_per_request": round(waited / len(samples), 3),
        "waited_share": round(sum(1 for _, wait in samples if wait) / len(samples), 4),
        "_samples": samples,
        "_wall": wall,
    }


def _public(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if not k.startswith("_")}


def _in_process(job: tuple[int, int, float, str, int, str]) -> dict[str, Any]:
    return run(*job)


def run_processes(
    processes: int, threads: int, orgs: int, seconds: float, mode: str, spread: str
) -> dict[str, Any]:
    """``processes`` app-server stand-ins (forked), each with ``threads`` writers, started together."""
    connection.close()  # never share the parent's connection with the children
    jobs = [(threads, orgs, seconds, mode, p * threads, spread) for p in range(processes)]
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        results = pool.map(_in_process, jobs)
    samples = [sample for result in results for sample in result["_samples"]]
    return _summary(samples, max(result["_wall"] for result in results))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--writers", type=int, default=16, help="writer threads of the lock comparison")
    parser.add_argument(
        "--orgs", type=int, nargs="+", default=[1, 8], help="organizations (K) to spread over"
    )
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--processes", type=int, default=4, help="app-server stand-ins for the scale-out run")
    parser.add_argument("--threads", type=int, default=4, help="writer threads per app-server stand-in")
    parser.add_argument(
        "--spread", choices=["fixed", "random"], default="fixed",
        help="fixed: writer i serves organization i mod K; random: each request draws one of K",
    )  # fmt: skip
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit(
            "the advisory locks are PostgreSQL's (SQLite's IMMEDIATE transactions serialize anyway)"
        )
    locks: dict[str, dict[str, Any]] = {}
    for orgs in args.orgs:
        locks[f"k{orgs}"] = {
            mode: _public(run(args.writers, orgs, args.seconds, mode, spread=args.spread)) for mode in LOCKS
        }
    widest = f"k{max(args.orgs)}"
    scale: dict[str, Any] = {}
    if args.processes > 1:
        orgs = max(args.orgs)
        scale = {"orgs": orgs, "threads_per_process": args.threads, "cpu_count": os.cpu_count()}
        for mode in ("chain", "global"):
            one = run_processes(1, args.threads, orgs, args.seconds, mode, args.spread)
            many = run_processes(args.processes, args.threads, orgs, args.seconds, mode, args.spread)
            scale[mode] = {
                "one_process": _public(one),
                f"{args.processes}_processes": _public(many),
                "ratio": round(many["per_s"] / one["per_s"], 2),
            }
    with_lock, without = locks[widest]["chain"], locks[widest]["none"]
    print(
        json.dumps(
            {
                "writers": args.writers,
                "spread": args.spread,
                "with_lock": with_lock,
                "without_lock": without,
                "cost": round(1 - with_lock["per_s"] / without["per_s"], 4),
                "locks": locks,
                "scale_out": scale,
            }
        )
    )


if __name__ == "__main__":
    main()
