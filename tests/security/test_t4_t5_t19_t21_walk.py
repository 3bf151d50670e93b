"""One walk over every URL of the access oracle with canaries planted, for four battery tests at once.

Each URL (tests/test_access_oracle.py, with tests/oracle_rows/) is requested as every persona, after
Rowan's record has been filled through the services with canaries: script, attribute and
javascript-URL payloads in free-text fields, and marker strings in a progress note, a psychotherapy
note and the intake's clinical history. One GET per persona serves four figures (security.md
section 7), so the walk is paid once:

- T4  psychotherapy-note segregation: the note's canary reaches no one but its author (Theo), on any
      path: detail, list, search, exports, PDFs, API, audit pages, portal, consultation.
- T5  minimum-necessary projection: the org admin's answers carry no clinical note body, psychotherapy
      note or intake history; the client's portal carries none of the staff's notes.
- T19 stored XSS: no planted payload comes back unescaped in an HTML page.
- T21 headers: every signed-in 200 answer is `Cache-Control: no-store` with CSP frame-ancestors,
      nosniff and a Referrer-Policy.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from tests.conftest import signed_in_client
from tests.oracle_kit import PERSONAS
from tests.test_access_oracle import ORACLE

from kapstone.clients.models import Intake
from kapstone.core.actor import Actor
from kapstone.notes.models import ProgressNote, PsychotherapyNote
from kapstone.notes.services import draft_create, note_sign, psychnote_create

pytestmark = pytest.mark.django_db

# XSS payloads (T19): what must never come back raw in HTML, keyed by the field that holds it.
SCRIPT = "<script>zqx(1)</script>"
ATTRIBUTE = '"><img src=x onerror=zqx(2)>'
JS_URL = "javascript:zqx(3)"
RAW = (SCRIPT, "<img src=x onerror=zqx(2)>", f'href="{JS_URL}', f'src="{JS_URL}')
# Marker strings for whole categories of content (T4, T5).
PSYCH = "zq-psych-walk-canary-the-blue-heron"
NOTE = "zq-note-walk-canary-the-copper-kettle"
HISTORY = "zq-history-walk-canary-the-salt-marsh"

PLANTED_FIELDS = (
    "client preferred name", "client pronouns", "progress note data", "progress note assessment",
    "progress note plan", "psychotherapy note body", "intake presenting concerns", "intake psychiatric notes",
)  # fmt: skip
# Role -> categories its answers must not carry (docs/architecture.md, DESIGN.md: the admin runs the
# organization and never reads the clinical record; the portal shows the client's own plan and
# progress, never the staff's notes; psychotherapy notes are their author's only).
FORBIDDEN = {"avery": (NOTE, PSYCH, HISTORY), "rowan_portal": (NOTE, PSYCH, HISTORY)}


def plant(world: Any) -> None:
    rowan = world.clients["rowan"]
    rowan.preferred_name, rowan.pronouns = SCRIPT, ATTRIBUTE
    rowan.save(update_fields=["preferred_name", "pronouns"])
    theo = Actor(user=world.users["theo"], organization=world.org_a, roles=frozenset({"therapist"}))
    sections = {"data": f"{NOTE} {SCRIPT}", "assessment": ATTRIBUTE, "plan": JS_URL}
    note = draft_create(theo, rowan, "dap", sections=sections)
    note_sign(theo, note, expected_version=note.version)
    psychnote_create(theo, rowan, f"{PSYCH} {SCRIPT}")
    Intake.objects.update_or_create(
        client=rowan, defaults={"presenting_concerns": f"{HISTORY} {ATTRIBUTE}", "psychiatric_notes": SCRIPT}
    )


def _text(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def _header_failures(response: Any) -> int:
    csp = response.get("Content-Security-Policy", "")
    return sum(
        (
            "no-store" not in response.get("Cache-Control", ""),
            "frame-ancestors" not in csp,
            response.get("X-Content-Type-Options") != "nosniff",
            not response.get("Referrer-Policy"),
        )
    )


@pytest.mark.parametrize("url_name", sorted(ORACLE))
def test_canaries_and_headers_on_every_page_for_every_persona(
    url_name: str, world: Any, battery: Any
) -> None:
    plant(world)
    row = ORACLE[url_name]
    url = reverse(url_name, kwargs=row.kwargs(world)) + row.query
    psych_leaks, portal_psych, outside_role, unescaped, html_pages, checked, phi_200 = 0, 0, 0, 0, 0, 0, 0
    header_failures = 0
    for persona in PERSONAS:
        http = HttpClient() if persona == "anon" else signed_in_client(world.users[persona])
        response = http.get(url)
        text = _text(response)
        if persona != "theo" and PSYCH in text:
            psych_leaks += 1
            portal_psych += persona == "rowan_portal"
        if response.status_code != 200:
            continue
        if persona in FORBIDDEN:
            checked += 1
            outside_role += sum(marker in text for marker in FORBIDDEN[persona])
        if response.get("Content-Type", "").startswith("text/html"):
            html_pages += 1
            unescaped += sum(payload in text for payload in RAW)
        if persona != "anon":
            phi_200 += 1
            header_failures += _header_failures(response)
    battery.tally("T4", paths=1, reachable=psych_leaks, portal=portal_psych)
    battery.tally("T5", responses=checked, outside=outside_role)
    battery.tally("T19", tested=html_pages * len(PLANTED_FIELDS), unescaped=unescaped)
    battery.tally("T21", responses=phi_200, missing=header_failures, checks=4 * phi_200)
    assert (psych_leaks, outside_role, unescaped, header_failures) == (0, 0, 0, 0)


def test_the_walk_really_sees_the_planted_values(world, as_user):
    """Guards the walk against testing nothing: the canaries are shown, escaped, where they belong."""
    plant(world)
    theo, rowan = as_user("theo"), world.clients["rowan"]
    record = theo.get(f"/clients/{rowan.pk}/").content.decode()
    assert "&lt;script&gt;zqx(1)&lt;/script&gt;" in record
    psychnote = PsychotherapyNote.objects.get(client=rowan)
    assert PSYCH in theo.get(reverse("notes:psychnote_detail", kwargs={"pk": psychnote.pk})).content.decode()
    note = ProgressNote.objects.get(client=rowan)
    assert NOTE in theo.get(reverse("notes:detail", kwargs={"pk": note.pk})).content.decode()
    intake = theo.get(f"/clients/{rowan.pk}/intake/").content.decode()
    assert HISTORY in intake
