"""A bounded HTTP load driver for loopback only: N threads, a request budget and a time budget.

Runs in its own process (python -m bench.load) so it does not share the server's interpreter.
Prints one JSON line: requests, errors, req_per_s, p50_ms, p99_ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import threading
import time
from urllib.parse import urlsplit

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def run(
    url: str,
    *,
    cookie: str,
    concurrency: int,
    max_requests: int,
    seconds: float,
    method: str = "GET",
    body: str = "",
    headers: dict[str, str] | None = None,
) -> dict[str, float]:
    parts = urlsplit(url)
    if parts.hostname not in LOOPBACK:
        raise SystemExit(f"refusing to load {parts.hostname}: loopback only")
    latencies: list[float] = []
    errors = 0
    issued = 0
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    extra = {"Cookie": cookie, **(headers or {})}

    def worker() -> None:
        nonlocal errors, issued
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        while True:
            with lock:
                if issued >= max_requests or time.monotonic() > deadline:
                    break
                issued += 1
            started = time.perf_counter()
            try:
                conn.request(
                    method,
                    parts.path + (f"?{parts.query}" if parts.query else ""),
                    body=body or None,
                    headers=extra,
                )
                response = conn.getresponse()
                response.read()
                ok = 200 <= response.status < 300
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if ok:
                    latencies.append(elapsed)
                else:
                    errors += 1
        conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - started
    latencies.sort()
    return {
        "requests": len(latencies) + errors,
        "errors": errors,
        "req_per_s": len(latencies) / wall if wall else 0.0,
        "p50_ms": statistics.median(latencies) if latencies else float("nan"),
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        if latencies
        else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--cookie", default="")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    print(
        json.dumps(
            run(
                args.url,
                cookie=args.cookie,
                concurrency=args.concurrency,
                max_requests=args.requests,
                seconds=args.seconds,
            )
        )
    )


if __name__ == "__main__":
    main()
