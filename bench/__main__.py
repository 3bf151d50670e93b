"""`make bench`: the measured figures, as ratios side by side in one run (medians of N rounds).

1. Pure scoring throughput (responses/s on one core) beside a trivial loop.
2. The caseload page of a therapist with 200 clients x 50 responses, served by `kapstone serve`
   (gunicorn, 2 sync workers) on loopback, beside the trivial page (/healthz through the same
   middleware, with the same session cookie), driven from a separate process.
Loopback only; every load run is bounded in requests and seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(var_dir: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAPSTONE_") and k != "DATABASE_URL"}
    env.update(KAPSTONE_ENV="development", KAPSTONE_VAR_DIR=var_dir, KAPSTONE_LOG_LEVEL="ERROR",
               PYTHONPATH=str(ROOT))  # fmt: skip
    return env


def _run_json(args: list[str], env: dict[str, str]) -> dict[str, object]:
    out = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _load(url: str, cookie: str, args: argparse.Namespace, env: dict[str, str]) -> dict[str, float]:
    return _run_json([sys.executable, "-m", "bench.load", url, "--cookie", cookie,  # type: ignore[return-value]
                      "--concurrency", str(args.concurrency), "--requests", str(args.requests),
                      "--seconds", str(args.seconds)], env)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(prog="make bench")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--responses", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.platform()}")  # fmt: skip

    from bench.scoring import throughput

    pure = throughput(rounds=args.rounds)
    rate, trivial = pure["phq9_per_s"], pure["trivial_sum_per_s"]
    print(f"scoring  PHQ-9 responses/s on one core (median of {args.rounds}): {rate:,.0f}  "
          f"(trivial sum of the same answers: {trivial:,.0f}/s; ratio {pure['ratio']:.3f})")  # fmt: skip

    with tempfile.TemporaryDirectory(prefix="kapstone-bench-") as var_dir:
        env = _env(var_dir)
        subprocess.run([str(BIN / "kapstone"), "migrate", "--noinput", "-v0"], env=env, cwd=ROOT, check=True)
        seeded = _run_json([sys.executable, "-m", "bench.seed", "--clients", str(args.clients),
                            "--responses", str(args.responses)], env)  # fmt: skip
        count, took = seeded["responses"], seeded["seconds"]
        print(f"seeded   {seeded['clients']} clients, {count:,} responses in {took} s")
        port = _free_port()
        server = subprocess.Popen(  # noqa: S603
            [str(BIN / "kapstone"), "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{base}/healthz", timeout=2)  # noqa: S310 - loopback
                    break
                except OSError:
                    time.sleep(0.2)
            paths = {"floor (/healthz)": "/healthz", "caseload (200 clients)": "/measures/caseload/"}
            cookie = str(seeded["cookie"])
            for path in paths.values():  # warm both
                _load(base + path, cookie, argparse.Namespace(concurrency=2, requests=50, seconds=3), env)
            results: dict[str, list[dict[str, float]]] = {name: [] for name in paths}
            for round_no in range(args.rounds):
                order = list(paths.items())
                if round_no % 2:
                    order.reverse()
                for name, path in order:
                    results[name].append(_load(base + path, cookie, args, env))
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)

    def med(name: str, key: str) -> float:
        return statistics.median(r[key] for r in results[name])

    print(f"http     gunicorn {args.workers} sync workers, {args.concurrency} connections, "
          f"medians of {args.rounds} rounds")  # fmt: skip
    print(f"{'path':<26}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'x floor':>9}")
    floor = med("floor (/healthz)", "req_per_s")
    for name in paths:
        errors = sum(r["errors"] for r in results[name])
        rps, p50, p99 = med(name, "req_per_s"), med(name, "p50_ms"), med(name, "p99_ms")
        print(f"{name:<26}{rps:>9.1f}{p50:>9.1f}{p99:>9.1f}{errors:>8}{rps / floor:>9.2f}")


if __name__ == "__main__":
    main()
