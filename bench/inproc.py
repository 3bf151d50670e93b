"""In-process figures on the bench database: queries per hot path (and their plans with --plans), the
program-outcome read beside the full scan it replaces, and worker-free timings.

Run in its own process against the bench database (``python -m bench.inproc MANIFEST_JSON``); prints
one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kapstone.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client as HttpClient  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

BIG_TABLES = ("measures_response", "clients_client", "clients_careteammember", "audit_auditevent",
              "care_vitalreading", "notes_progressnote", "measures_safetytask", "outcomes_clientmeasurestate",
              "care_caresession", "measures_measureschedule", "django_session", "practicum_ledgerentry",
              "community_listing")  # fmt: skip


def _http(cookie: str) -> HttpClient:
    http = HttpClient()
    for part in filter(None, cookie.split("; ")):  # a public path is read signed out: no cookie
        name, value = part.split("=", 1)
        http.cookies[name] = value
    return http


def _explain(sql: str) -> list[str]:
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("EXPLAIN QUERY PLAN " + sql)
            return [row[-1] for row in cur.fetchall()]
        cur.execute("EXPLAIN " + sql)
        return [row[0] for row in cur.fetchall()]


def _full_scans(sql: str, plan: list[str]) -> list[str]:
    bad = []
    for line in plan:
        text = line.strip()
        if connection.vendor == "sqlite" and text.startswith("SCAN ") and "USING" not in text:
            table = text.split()[1]
            # "ORDER BY id DESC LIMIT 1" walks the rowid b-tree from its end: one row, not a scan.
            if table in BIG_TABLES and f'ORDER BY "{table}"."id" DESC LIMIT 1' not in sql:
                bad.append(text)
        if connection.vendor == "postgresql" and "Seq Scan on" in text:
            table = text.split("Seq Scan on", 1)[1].split()[0]
            if table in BIG_TABLES:
                bad.append(text)
    return bad


def query_counts(manifest: dict[str, Any], paths: dict[str, dict[str, Any]], plans: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, spec in paths.items():
        if spec.get("bare") or spec.get("floor"):
            continue
        http = _http(spec["cookie"])
        url = spec["path"].replace("{id}", str(spec["ids"][0])).replace("{n}", "inproc")
        body = spec.get("body", "").replace("{id}", str(spec["ids"][0]))

        headers = dict(h.split(": ", 1) for h in spec.get("headers", []))

        def call(
            http: HttpClient = http,
            url: str = url,
            body: str = body,
            post: bool = spec.get("method") == "POST",
            headers: dict[str, str] = headers,
        ) -> Any:
            if post:  # a new entry each call: the warm-up's key again would measure a retry
                fresh = body.replace("{n}", f"inproc-{time.time_ns()}")
                return http.post(
                    url, fresh, content_type="application/x-www-form-urlencoded", headers=headers
                )
            return http.get(url, headers=headers)

        call()  # warm: the session's idle clock, caches
        with CaptureQueriesContext(connection) as queries:
            reply = call()
            if hasattr(reply, "streaming_content"):
                b"".join(reply.streaming_content)
        entry: dict[str, Any] = {"status": reply.status_code, "queries": len(queries.captured_queries)}
        if plans:
            entry["plans"] = []
            for q in queries.captured_queries:
                sql = q["sql"]
                if not sql.lstrip().upper().startswith("SELECT"):
                    continue
                try:
                    plan = _explain(sql)
                except Exception as exc:  # noqa: BLE001 - a plan we cannot show is reported, not fatal
                    plan = [f"(no plan: {type(exc).__name__})"]
                entry["plans"].append({"sql": sql[:300], "plan": plan, "full_scans": _full_scans(sql, plan)})
        out[name] = entry
    return out


def outcomes_timing(organization: int, rounds: int = 5) -> dict[str, float]:
    from kapstone.outcomes.models import ProgramOutcome
    from kapstone.outcomes.selectors import program_outcomes_scan

    def timed(fn: Any) -> float:
        samples = []
        for _ in range(rounds):
            started = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - started)
        return statistics.median(samples) * 1000

    aggregate = timed(lambda: list(ProgramOutcome.objects.filter(organization_id=organization).values_list()))
    scan = timed(lambda: program_outcomes_scan(organization))
    from kapstone.measures.models import Response

    return {
        "aggregate_ms": aggregate,
        "scan_ms": scan,
        "speedup": scan / aggregate if aggregate else float("nan"),
        "responses_in_org": Response.objects.filter(organization_id=organization).count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("spec", help="JSON: manifest and paths")
    parser.add_argument("--plans", action="store_true")
    args = parser.parse_args()
    spec = json.loads(args.spec)
    result = {
        "queries": query_counts(spec["manifest"], spec["paths"], args.plans),
        "outcomes": outcomes_timing(spec["manifest"]["organization"]),
    }
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
