"""N threads read the same version of one draft, then all save different text at once (security.md T10).

Imported by test_concurrency.py (PostgreSQL, in-process, transactional) and also run as a script in
a subprocess against a file SQLite database (``python -c <this file> N``, KAPSTONE_VAR_DIR set):
the in-memory SQLite test database cannot show real concurrent writers.

Figures: attempts, accepted (acknowledged), rejected (told "stale"), errors, and lost = accepted
edits whose text is not what is stored at the end (an acknowledged edit silently overwritten). The
naive last-write-wins save is run too, as the control that shows the measurement can see a loss.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any


def _sections(i: int) -> dict[str, str]:
    return {
        "data": f"Edit number {i} of the same draft.",
        "assessment": f"assessment {i}",
        "plan": f"plan {i}",
    }


def _run_threads(n: int, work: Callable[[int, threading.Barrier], Any]) -> list[Any]:
    from django.db import connections

    barrier = threading.Barrier(n, timeout=60)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        try:
            results[i] = work(i, barrier)
        except Exception as exc:  # counted, never hidden
            results[i] = ("error", f"{type(exc).__name__}: {exc}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _figures(n: int, results: list[Any], final_sections: dict[str, str]) -> dict[str, Any]:
    outcome = Counter(r[0] if isinstance(r, tuple) else "missing" for r in results)
    accepted = [r[1] for r in results if isinstance(r, tuple) and r[0] == "accepted"]
    lost = sum(1 for i in accepted if _sections(i) != final_sections)
    errors = [r[1] for r in results if isinstance(r, tuple) and r[0] == "error"][:3]
    return {
        "attempts": n,
        "accepted": len(accepted),
        "rejected": outcome["rejected"],
        "errors": outcome["error"],
        "missing": outcome["missing"],
        "lost": lost,
        "error_samples": errors,
        "winner_stored": len(accepted) == 1 and _sections(accepted[0]) == final_sections,
    }


def race_versioned(actor: Any, note_pk: int, n: int) -> dict[str, Any]:
    """Through the service: ``UPDATE ... WHERE version = ?``."""
    from kapstone.core.contract import Stale as StaleEdit
    from kapstone.notes.models import ProgressNote
    from kapstone.notes.services import draft_save

    def work(i: int, barrier: threading.Barrier) -> tuple[str, int]:
        note = ProgressNote.objects.get(pk=note_pk)  # everyone reads the same version ...
        barrier.wait()  # ... then all save at once
        try:
            draft_save(actor, note, _sections(i), expected_version=note.version)
        except StaleEdit:
            return ("rejected", i)
        return ("accepted", i)

    results = _run_threads(n, work)
    return _figures(n, results, ProgressNote.objects.get(pk=note_pk).sections)


def race_naive(note_pk: int, n: int) -> dict[str, Any]:
    """The control: read, change, ``save()`` (last write wins)."""
    from kapstone.notes.models import ProgressNote

    def work(i: int, barrier: threading.Barrier) -> tuple[str, int]:
        note = ProgressNote.objects.get(pk=note_pk)
        barrier.wait()
        note.sections = _sections(i)
        note.version += 1
        note.save(update_fields=["sections", "version"])
        return ("accepted", i)

    results = _run_threads(n, work)
    return _figures(n, results, ProgressNote.objects.get(pk=note_pk).sections)


def race_http(make_client: Callable[[], Any], note_pk: int, n: int) -> dict[str, Any]:
    """Through the editor page: one 302, the rest 409 with their own text kept on the form."""
    from kapstone.notes.models import ProgressNote

    clients = [make_client() for _ in range(n)]
    version = ProgressNote.objects.get(pk=note_pk).version

    def work(i: int, barrier: threading.Barrier) -> tuple[str, int, int, bool]:
        data = {"version": version, "action": "save", **{f"section_{k}": v for k, v in _sections(i).items()}}
        barrier.wait()
        response = clients[i].post(f"/notes/{note_pk}/edit/", data)
        kept = _sections(i)["data"] in response.content.decode() if response.status_code == 409 else False
        return (
            "accepted"
            if response.status_code == 302
            else "rejected"
            if response.status_code == 409
            else "error",
            i,
            response.status_code,
            kept,
        )

    results = _run_threads(n, work)
    figures = _figures(n, results, ProgressNote.objects.get(pk=note_pk).sections)
    statuses = Counter(r[2] for r in results if len(r) == 4)
    figures["statuses"] = {str(k): v for k, v in sorted(statuses.items())}
    figures["status_5xx"] = sum(v for k, v in statuses.items() if k >= 500)
    figures["rejected_with_their_text_kept"] = sum(1 for r in results if len(r) == 4 and r[2] == 409 and r[3])
    return figures


def _signed_in(user: Any) -> Any:
    import time

    from django.test import Client

    from kapstone.accounts.models import UserSession
    from kapstone.accounts.services import AUTH_AT, SEEN_AT

    http = Client()
    http.force_login(user)
    session = http.session
    session[AUTH_AT] = session[SEEN_AT] = time.time()
    session.save()
    UserSession.objects.create(user=user, session_key=session.session_key, source_ip="127.0.0.1")
    return http


def main(n: int) -> dict[str, Any]:
    """In a fresh file database: migrate, make one therapist and one client, run the three races."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kapstone.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from kapstone.accounts.models import Membership, Organization, Role, User
    from kapstone.clients.models import CareTeamMember, Client
    from kapstone.core.actor import Actor
    from kapstone.notes.services import draft_create

    org = Organization.objects.create(name="Race Clinic", slug="race", kind="clinic")
    theo = User.objects.create_user(
        "theo@race.example", "correct horse battery staple 42", full_name="Theo Race"
    )
    Membership.objects.create(user=theo, organization=org, role=Role.THERAPIST)
    rowan = Client.objects.create(organization=org, given_name="Rowan", family_name="Race")
    CareTeamMember.objects.create(client=rowan, user=theo, team_role="therapist")
    actor = Actor(user=theo, organization=org, roles=frozenset({Role.THERAPIST}), request_id="race")

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        journal = cursor.fetchone()[0]
    return {
        "database": {
            "vendor": connection.vendor,
            "file": str(connection.settings_dict["NAME"]),
            "journal": journal,
        },
        "versioned": race_versioned(actor, draft_create(actor, rowan, "dap").pk, n),
        "naive": race_naive(draft_create(actor, rowan, "dap").pk, n),
        "http": race_http(lambda: _signed_in(theo), draft_create(actor, rowan, "dap").pk, n),
    }


if __name__ == "__main__":
    print("RESULT " + json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)))
