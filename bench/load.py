"""A bounded HTTP load driver for loopback only: N threads, a request budget and a time budget.

Runs in its own process (``python -m bench.load``) so it does not share the server's interpreter.
The path may hold ``{id}`` (drawn at random from ``--ids``) and ``{n}`` (a unique request number);
so may the body of a POST. Prints one JSON line: requests, errors (by status), req_per_s, p50_ms,
p99_ms. A 3xx counts as success only with ``--redirect-ok`` (a form POST answers 302 on success).
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import socket
import statistics
import threading
import time
from collections import Counter
from urllib.parse import urlsplit

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def run(
    url: str,
    *,
    cookie: str = "",
    concurrency: int = 8,
    max_requests: int = 2000,
    seconds: float = 10.0,
    method: str = "GET",
    body: str = "",
    headers: dict[str, str] | None = None,
    ids: list[str] | None = None,
    redirect_ok: bool = False,
    seed: int = 12345,
) -> dict[str, object]:
    parts = urlsplit(url)
    if parts.hostname not in LOOPBACK:
        raise SystemExit(f"refusing to load {parts.hostname}: loopback only")
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    issued = 0
    counter = itertools.count()
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    extra = {"Cookie": cookie, **(headers or {})}
    if method == "POST":
        extra.setdefault("Content-Type", "application/x-www-form-urlencoded")
    pool = ids or ["0"]

    host_header = f"{parts.hostname}:{parts.port}"
    fixed = "".join(f"{k}: {v}\r\n" for k, v in extra.items())

    def encode(path: str, payload: str | None) -> bytes:
        data = payload.encode() if payload is not None else b""
        length = f"Content-Length: {len(data)}\r\n" if payload is not None else ""
        head = f"{method} {path} HTTP/1.1\r\nHost: {host_header}\r\nConnection: close\r\n{fixed}{length}\r\n"
        return head.encode() + data

    def worker(number: int) -> None:
        # Raw sockets, one connection per request (gunicorn's sync workers close it after each
        # response): far cheaper for the client than http.client, so it steals less CPU from the
        # server it shares the machine with.
        nonlocal issued
        rng = random.Random(seed + number)
        address = (parts.hostname, parts.port)
        while True:
            with lock:
                if issued >= max_requests or time.monotonic() > deadline:
                    break
                issued += 1
            chosen, n = rng.choice(pool), next(counter)
            path = target.replace("{id}", chosen).replace("{n}", str(n))
            payload = body.replace("{id}", chosen).replace("{n}", f"{seed}-{n}") if body else None
            request = encode(path, payload)
            started = time.perf_counter()
            try:
                with socket.create_connection(address, timeout=30) as sock:
                    sock.sendall(request)
                    first = sock.recv(65536)
                    while sock.recv(65536):
                        pass
                status = int(first.split(b" ", 2)[1])
                ok = 200 <= status < 300 or (redirect_ok and 300 <= status < 400)
                label = str(status)
            except (OSError, IndexError, ValueError) as exc:
                ok, label = False, type(exc).__name__
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                statuses[label] += 1
                if ok:
                    latencies.append(elapsed)

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - started
    latencies.sort()
    errors = sum(statuses.values()) - len(latencies)

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))] if latencies else float("nan")

    return {
        "requests": sum(statuses.values()),
        "errors": errors,
        "statuses": dict(statuses),
        "req_per_s": len(latencies) / wall if wall else 0.0,
        "p50_ms": statistics.median(latencies) if latencies else float("nan"),
        "p99_ms": pct(0.99),
        "max_ms": latencies[-1] if latencies else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--cookie", default="")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--method", default="GET")
    parser.add_argument("--body", default="")
    parser.add_argument("--header", action="append", default=[], help="Name: value")
    parser.add_argument("--ids", default="", help="Comma-separated values for {id} in the path and body.")
    parser.add_argument("--redirect-ok", action="store_true")
    args = parser.parse_args()
    headers = dict(h.split(": ", 1) for h in args.header)
    result = run(
        args.url,
        cookie=args.cookie,
        concurrency=args.concurrency,
        max_requests=args.requests,
        seconds=args.seconds,
        method=args.method,
        body=args.body,
        headers=headers,
        ids=[i for i in args.ids.split(",") if i] or None,
        redirect_ok=args.redirect_ok,
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
