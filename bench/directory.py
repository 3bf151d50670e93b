"""The public directory's search at 10,000 listings: searches per second, in-process.

    KAPSTONE_ENV=test .venv/bin/python -m bench.directory                 # SQLite (in memory)
    KAPSTONE_ENV=test DATABASE_URL=postgresql://postgres@127.0.0.1:5432/kapstone \\
        .venv/bin/python -m bench.directory                               # PostgreSQL (test_ database)

Builds a throw-away test database, writes N fictional listings (kapstone.community.demo.bulk_listings,
90 % opted in), then runs a fixed mix of searches (the filters people combine: state, route, modality,
telehealth, accepting, a free-text word) for a number of rounds, twice: through the selector alone
and through the whole public page (/directory/, rendered, via Django's test client). Prints one JSON
line with searches per second and the median / p95 milliseconds of each. No wall-clock assertion
lives in the tests; this is where speed is measured.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

os.environ.setdefault("KAPSTONE_ENV", "test")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kapstone.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client as HttpClient  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from bench.directory_mix import QUERIES  # noqa: E402


def _timed(fn: object, rounds: int) -> dict[str, float]:
    times: list[float] = []
    for _ in range(rounds):
        for params in QUERIES:
            started = time.perf_counter()
            fn(params)  # type: ignore[operator]
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "searches": len(times),
        "per_second": round(len(times) / (sum(times) / 1000), 1),
        "median_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[int(len(times) * 0.95) - 1], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listings", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()

    from kapstone.accounts.models import Organization
    from kapstone.community.demo import bulk_listings
    from kapstone.community.directory_selectors import directory_search, parse_filters

    setup_test_environment()
    if connection.vendor == "postgresql":  # its own database: never the test suite's test_kapstone
        connection.settings_dict.setdefault("TEST", {})["NAME"] = "test_kapstone_bench_directory"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        org = Organization.objects.create(
            name="Bench Fictional Directory", slug="bench-directory", is_demo=True
        )
        started = time.perf_counter()
        bulk_listings(org, args.listings)
        seeded = time.perf_counter() - started
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE community_listing")
        http = HttpClient()
        for params in QUERIES:  # warm up; also checks every page answers 200
            assert http.get("/directory/", params).status_code == 200
        result = {
            "bench": "directory_search",
            "database": connection.vendor,
            "listings": args.listings,
            "seed_seconds": round(seeded, 2),
            "selector": _timed(lambda p: directory_search(parse_filters(p)), args.rounds),
            "page": _timed(lambda p: http.get("/directory/", p), args.rounds),
        }
        print(json.dumps(result))
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
