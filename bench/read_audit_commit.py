"""What the read-audit commit setting buys (KAPSTONE_READ_AUDIT_COMMIT, issue #18), in-process.

Each database runs in a child process on a fresh database of its own (SQLite: a WAL file under
``--dir``, on disk, synchronous=FULL as configured; PostgreSQL: ``--pg-url``, migrated here), with
one clinic, one therapist and one client. ``--threads`` signed-in Django test clients each GET the
client's measures page (an audited read: one audit row, its own transaction) ``--requests`` times per
round; the rounds alternate ``durable`` and ``relaxed`` so drift on this shared machine falls on
both. Prints, per database, the median over rounds of requests/s and of per-request milliseconds
for each mode, and relaxed/durable. The chains are verified at the end (the relaxed rows link as
the durable ones do).

    .venv/bin/python -m bench.read_audit_commit --threads 1 --threads 8
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

MODES = ("durable", "relaxed")
PAGE = "/measures/clients/{pk}/"


def _child(args: argparse.Namespace) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kapstone.settings")
    import django  # the child configures Django for its own database (set by the parent)

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, connections
    from django.test import Client as HttpClient

    from kapstone.accounts.models import Membership, Organization, Role, User, UserSession
    from kapstone.accounts.services import AUTH_AT, SEEN_AT
    from kapstone.audit.services import record, verify_chain
    from kapstone.clients.models import CareTeamMember, Client
    from kapstone.core.actor import Actor

    call_command("migrate", verbosity=0, interactive=False)
    org = Organization.objects.create(
        name="Bench Read Clinic", slug=f"bench-read-{time.time_ns()}", kind="both"
    )
    theo = User.objects.create_user(
        f"theo-{time.time_ns()}@bench.example", "bench pass phrase 42 x", full_name="T"
    )
    Membership.objects.create(user=theo, organization=org, role=Role.THERAPIST)
    client = Client.objects.create(organization=org, given_name="Rowan", family_name="Fictional")
    CareTeamMember.objects.create(client=client, user=theo, team_role="therapist")
    url = PAGE.format(pk=client.pk)

    def signed_in() -> HttpClient:
        http = HttpClient()
        http.force_login(theo)
        session = http.session
        session[AUTH_AT] = session[SEEN_AT] = time.time()
        session.save()
        UserSession.objects.create(user=theo, session_key=session.session_key, source_ip="127.0.0.1")
        assert http.get(url).status_code == 200
        return http

    results: dict[str, Any] = {"database": connection.vendor}
    for threads in args.threads:
        https = [signed_in() for _ in range(threads)]
        per_mode: dict[str, dict[str, list[float]]] = {m: {"rps": [], "ms": []} for m in MODES}
        for _ in range(args.rounds):
            for mode in MODES:
                settings.KAPSTONE_READ_AUDIT_COMMIT = mode
                latencies: list[float] = []
                lock = threading.Lock()

                def run(http: HttpClient, latencies: list[float] = latencies, lock: Any = lock) -> None:
                    mine = []
                    for _ in range(args.requests):
                        t0 = time.perf_counter()
                        reply = http.get(url)
                        mine.append(time.perf_counter() - t0)
                        assert reply.status_code == 200
                    connections.close_all()
                    with lock:
                        latencies.extend(mine)

                workers = [threading.Thread(target=run, args=(h,)) for h in https]
                start = time.perf_counter()
                for w in workers:
                    w.start()
                for w in workers:
                    w.join()
                elapsed = time.perf_counter() - start
                per_mode[mode]["rps"].append(len(latencies) / elapsed)
                per_mode[mode]["ms"].append(statistics.median(latencies) * 1000)
        row = {
            mode: {
                "req_per_s": round(statistics.median(per_mode[mode]["rps"]), 1),
                "median_ms": round(statistics.median(per_mode[mode]["ms"]), 2),
            }
            for mode in MODES
        }
        row["relaxed_over_durable"] = round(row["relaxed"]["req_per_s"] / row["durable"]["req_per_s"], 2)
        results[f"threads_{threads}"] = row
    # The audited read's row alone (its own transaction: lock, head, insert, COMMIT), one thread.
    actor = Actor(user=theo, organization=org, roles=frozenset({"therapist"}))
    alone: dict[str, list[float]] = {m: [] for m in MODES}
    for _ in range(args.rounds):
        for mode in MODES:
            settings.KAPSTONE_READ_AUDIT_COMMIT = mode
            t0 = time.perf_counter()
            for _ in range(args.requests):
                record(actor, "client.view", object_type="client", object_id=client.pk,
                       client_id=client.pk, read=True)  # fmt: skip
            alone[mode].append((time.perf_counter() - t0) / args.requests * 1000)
    results["audit_row_alone_ms"] = {m: round(statistics.median(alone[m]), 3) for m in MODES}
    settings.KAPSTONE_READ_AUDIT_COMMIT = "durable"
    results["chains_verify"] = verify_chain().ok
    print(json.dumps(results))


def _ensure_pg_database(url: str) -> None:
    import psycopg  # the parent creates the bench's PostgreSQL database when it is missing

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/kapstone_audit")
    parser.add_argument("--dir", default="var/bench-read-audit", help="where the SQLite file goes (on disk)")
    parser.add_argument("--threads", type=int, action="append", help="concurrent clients (repeatable)")
    parser.add_argument("--requests", type=int, default=150, help="per client per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.threads = args.threads or [1]
    if args.child:
        _child(args)
        return
    argv = [sys.executable, "-m", "bench.read_audit_commit", "--child", "--requests", str(args.requests),
            "--rounds", str(args.rounds)] + [f"--threads={t}" for t in args.threads]  # fmt: skip
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("KAPSTONE_", "DATABASE_"))}
    base_env |= {"KAPSTONE_ENV": "development", "KAPSTONE_LOG_LEVEL": "ERROR"}
    for database in ("sqlite", "postgresql") if args.database == "both" else (args.database,):
        Path(args.dir).mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=args.dir) as var_dir:
            env = base_env | {"KAPSTONE_VAR_DIR": var_dir}
            if database == "postgresql":
                _ensure_pg_database(args.pg_url)
                env["DATABASE_URL"] = args.pg_url
            done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
            if done.returncode:
                sys.stderr.write(done.stderr)
                raise SystemExit(f"{database}: the child failed")
            print(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
