"""Take the live dosing sessions back to their seeded readings before a vitals run.

The vitals paths add a reading per request to the live sessions, and the htmx path redraws those
sessions' charts in its answer: without this, each run (and each later `make bench`) measured a
longer chart than the one before (~140 readings a session after seeding, ~330 after three runs).
Run in its own process against the bench database:

    python -m bench.reset_vitals --since <ISO time the seeding finished> --sessions 1,2,3

Deletes the readings recorded on those sessions after that time, with the alerts raised on them,
and prints one JSON line with the counts. The bench database only: never point it at a clinic's.
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import datetime

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kapstone.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import transaction  # noqa: E402

from kapstone.care.models import Alert, VitalReading  # noqa: E402


def reset(since: datetime, sessions: list[int]) -> dict[str, int]:
    added = VitalReading.objects.filter(session_id__in=sessions, recorded_at__gt=since)
    with transaction.atomic():
        alerts, _ = Alert.objects.filter(reading__in=added).delete()
        readings, _ = added.delete()
    left = VitalReading.objects.filter(session_id__in=sessions).count()
    return {"readings_deleted": readings, "alerts_deleted": alerts, "readings_left": left}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--since", required=True, type=datetime.fromisoformat)
    parser.add_argument("--sessions", required=True)
    args = parser.parse_args()
    if settings.PRODUCTION:
        raise SystemExit("bench.reset_vitals deletes readings: it runs on a bench database only")
    print(json.dumps(reset(args.since, [int(i) for i in args.sessions.split(",") if i])))


if __name__ == "__main__":
    main()
