"""T24 (security.md section 7): bounded load on loopback.

``kapstone serve`` (gunicorn, sync workers, as the project runs it) on a free loopback port against a
scratch SQLite instance (and a scratch PostgreSQL database when the suite runs there) with synthetic
data; 20 simulated clinicians (a thread and a signed-in session each, CSRF token sent as the browser
sends it) for a bounded time start progress notes, enter vitals in their dosing room and submit
PHQ-9s. Then: no 5xx, no "database is locked" in the server's
log, p95 latency within the bar, every write that was answered as done is in the database (row
counts), and the database, audit chain and signed notes recheck clean.

Bounded for CI: ``KAPSTONE_T24_SECONDS`` (default 20) sets the duration; 600 runs the ten minutes of
security.md: ``KAPSTONE_T24_SECONDS=600 KAPSTONE_ENV=test .venv/bin/pytest THIS_FILE``.
``KAPSTONE_T24_THINK`` (default 2) sets each clinician's pause between actions, in seconds.
"""

from __future__ import annotations

import http.client
import os
import random
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from durability_kit import KAPSTONE, ROOT, pg_base_url, pg_drop, pg_instance, sqlite_instance, step

SECONDS = float(os.environ.get("KAPSTONE_T24_SECONDS", "20"))
# A clinician's pause between two actions, in seconds (uniform around it): a person reads the page
# and types before the next submit. 0 makes the clinicians a closed loop that saturates the server.
THINK = float(os.environ.get("KAPSTONE_T24_THINK", "2"))
P95_BAR_MS = 500  # security.md section 7, T24
# Latency measures the host as much as the app: on a host whose run queue is already more than twice
# its cores (other jobs sharing a small CI machine), the p95 bar is reported, not judged; everything
# else is asserted still. KAPSTONE_T24_P95_STRICT=1 judges it whatever the load.
OVERLOADED = 2.0
PHQ9 = "&".join(f"phq9_{i}={i % 3}" for i in range(1, 9)) + "&phq9_9=0"
VITALS = "systolic=128&diastolic=82&heart_rate=76&spo2=97&respiratory_rate=15"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Clinician(threading.Thread):
    """One signed-in clinician: notes, vitals and questionnaires in turn, until the deadline."""

    def __init__(self, number: int, port: int, me: dict[str, Any], deadline: float) -> None:
        super().__init__(daemon=True)
        self.number, self.port, self.me, self.deadline = number, port, me, deadline
        self.latencies: list[float] = []
        self.statuses: Counter[str] = Counter()
        self.done: Counter[str] = Counter()
        self.timed = True

    def post(self, kind: str, path: str, body: str) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {
            "Cookie": self.me["cookie"],
            "X-CSRFToken": self.me["csrf"],
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"http://127.0.0.1:{self.port}/",
        }
        started = time.perf_counter()
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
        except OSError as exc:
            status, kind = 0, f"{kind}: {type(exc).__name__}"
        finally:
            conn.close()
        if self.timed:
            self.latencies.append((time.perf_counter() - started) * 1000)
        self.statuses[f"{status // 100}xx" if status else "no answer"] += 1
        if status in (200, 201, 302, 303):
            self.done[kind] += 1

    def act(self, n: int) -> None:
        client = self.me["clients"][n % len(self.me["clients"])]
        if n % 3 == 0:
            self.post("notes", f"/notes/clients/{client}/new/", "template=soap")
        elif n % 3 == 1:
            key = f"t24-{self.number}-{n}"
            room = self.me["room"]
            self.post("vitals", f"/care/sessions/{room}/dosing/vitals/", f"{VITALS}&idempotency_key={key}")
        else:
            self.post("responses", f"/measures/clients/{client}/record/phq9/", PHQ9)

    def warm_up(self) -> None:
        """One of each action, untimed (checked like the rest): each worker loads its views once."""
        self.timed = False
        for n in (-1, -2, -3):
            self.act(n)
        self.timed = True

    def run(self) -> None:
        rng = random.Random(self.number)  # noqa: S311 - pacing, not a secret
        time.sleep(rng.uniform(0, THINK))  # the clinicians do not all start in the same instant
        n = 0
        while time.monotonic() < self.deadline:
            n += 1
            self.act(n)
            time.sleep(rng.uniform(0.5, 1.5) * THINK)


def serve(env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    handle = log.open("w")
    proc = subprocess.Popen(  # noqa: S603 - our own command, loopback only
        [*KAPSTONE, "serve", "--bind", f"127.0.0.1:{port}", "--no-with-task-worker"],  # default workers
        env=env,
        cwd=ROOT,
        stdout=handle,  # the access log: the server's own time per request
        stderr=handle,
        start_new_session=True,
    )
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)  # noqa: S310 - loopback
            return proc, port
        except OSError:
            time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGTERM)
    raise AssertionError(f"the server did not answer: {log.read_text()[-2000:]}")


def drill(env: dict[str, str], tmp_path: Path, battery: Any, label: str) -> None:
    load_before = os.getloadavg()[0] / (os.cpu_count() or 1)
    seeded = step("t24_steps.py", env, "sessions")
    assert len(seeded["clinicians"]) == 20
    log = tmp_path / "server.log"
    proc, port = serve(env, log)
    try:
        threads = [Clinician(i, port, me, 0) for i, me in enumerate(seeded["clinicians"])]
        warmers = [threading.Thread(target=t.warm_up) for t in threads]
        for warmer in warmers:
            warmer.start()
        for warmer in warmers:
            warmer.join(timeout=120)
        deadline = time.monotonic() + SECONDS
        for thread in threads:
            thread.deadline = deadline
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=SECONDS + 120)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
    statuses = sum((t.statuses for t in threads), Counter())
    done = sum((t.done for t in threads), Counter())
    latencies = sorted(ms for t in threads for ms in t.latencies)
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    server_log = log.read_text()
    locked = server_log.count("database is locked")
    served = sorted(int(ms) for ms in re.findall(r'"POST /\S+" \d{3} \d+ (\d+)ms', server_log))
    served_p95 = served[int(0.95 * (len(served) - 1))] if served else -1
    after = step("t24_steps.py", env, "recheck")
    added = {k: after["counts"][k] - seeded["counts"][k] for k in done}
    unrecorded = sum(max(0, done[k] - added[k]) for k in done)
    errors = (
        len(after["integrity_errors"]) + (not after["chain_ok"]) + after["note_hash_failures"] + unrecorded
    )
    judged = os.environ.get("KAPSTONE_T24_P95_STRICT") == "1" or load_before <= OVERLOADED
    verdict = "" if judged else f" (p95 bar not judged: host run queue {load_before:.1f} per core at start)"
    battery(
        "T24",
        f"{label}, {SECONDS:.0f} s, 20 clinicians, {THINK:g} s between actions: "
        f"requests: {len(latencies)}; 5xx: {statuses['5xx']}; "
        f'"database is locked": {locked}; p95: {p95:.0f} ms{verdict}; integrity recheck: {errors} errors '
        f"(server's own p95 {served_p95} ms; host load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} cores; statuses {dict(sorted(statuses.items()))}; "
        f"written {dict(sorted(done.items()))})",
    )
    assert statuses["5xx"] == 0 and statuses["no answer"] == 0, statuses
    assert statuses["4xx"] == 0, statuses  # every request did the work it asked for
    assert locked == 0
    assert errors == 0, after
    assert min(done["notes"], done["vitals"], done["responses"]) > 0, done
    assert p95 <= P95_BAR_MS or not judged


def test_t24_sqlite_twenty_clinicians_no_5xx_no_lock_errors_p95_within_bar(tmp_path, battery):
    env = sqlite_instance(tmp_path / "instance", seed=("t24_steps.py", "synth"))
    drill(env, tmp_path, battery, "SQLite")


def test_t24_postgresql_twenty_clinicians_no_5xx_p95_within_bar(tmp_path, battery):
    base = pg_base_url()
    if base is None:
        pytest.skip("PostgreSQL only (run with DATABASE_URL); the SQLite run is the test above")
    name = f"kapstone_t24_{os.getpid()}"
    env = pg_instance(base, name, tmp_path / "instance")
    try:
        step("t24_steps.py", env, "synth")
        drill(env, tmp_path, battery, "PostgreSQL")
    finally:
        pg_drop(base, name)
