"""The client header on every client page (issue #12 item 2): age, allergies, touch agreement as
signed, open safety tasks, course and next step, and tabs to each part of the record."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from tests.care.care_helpers import actor
from tests.readiness_helpers import TOUCH_SCOPE, make_ready, record_intake, sign_consent

from kapstone.clients.desk import age_on
from kapstone.clients.models import ConsentRecord
from kapstone.measures.models import SafetyTask
from kapstone.shell.client_header import header_facts

pytestmark = pytest.mark.django_db
TABS = ("Overview", "Intake", "Screening", "Consent", "Course", "Measures", "Notes")


def header(html: str) -> str:
    start = html.index('<header class="client-header"')
    return html[start : html.index("</header>", start)]


def fact(html: str, label: str) -> str:
    found = re.search(rf"<dt>{label}</dt><dd>(?:<a [^>]*>)?(.*?)(?:</a>)?</dd>", header(html))
    assert found, f"no {label} in the header"
    return found.group(1)


def test_age_counts_whole_years_up_to_the_birthday() -> None:
    assert age_on(date(1985, 6, 15), date(2026, 6, 14)) == 40
    assert age_on(date(1985, 6, 15), date(2026, 6, 15)) == 41


def test_a_new_client_header_says_what_is_not_known_yet(world: Any, as_user: Any) -> None:
    rowan = world.clients["rowan"]
    html = as_user("theo").get(f"/clients/{rowan.pk}/").content.decode()
    assert fact(html, "Allergies") == "Not asked yet (no intake)"
    assert fact(html, "Touch") == "No current consent"
    assert fact(html, "Safety tasks") == "None open"
    assert fact(html, "Course") == "No open course"
    assert "Next step" in header(html)
    tabs = re.findall(r'<li><a href="[^"]+"( aria-current="page")?>(\w+)</a></li>', header(html))
    assert [name for _, name in tabs] == list(TABS)
    assert [name for current, name in tabs if current] == ["Overview"]


def test_the_header_shows_touch_as_signed_and_open_safety_tasks(world: Any, as_user: Any) -> None:
    record_intake(world, allergy_ketamine=True)
    sign_consent(world, touch=True)
    rowan = world.clients["rowan"]
    SafetyTask.objects.create(
        organization=world.org_a, client=rowan, instrument_id="phq9", instrument_version="1",
        flag_id="phq9_item9", severity="safety", message="Item 9", source="clinician", level="high",
        opened_at=timezone.now(),
    )  # fmt: skip
    rowan.refresh_from_db()
    html = as_user("theo").get(f"/clients/{rowan.pk}/").content.decode()
    assert fact(html, "Age") == "41"
    assert fact(html, "Allergies").startswith("Ketamine")
    assert fact(html, "Touch") == f"Agreed: {TOUCH_SCOPE}"
    assert fact(html, "Safety tasks") == "Open: 1 high risk"
    assert 'class="client-fact fact-alert"><dt>Safety tasks' in header(html)


def test_every_tab_page_carries_the_header_and_marks_itself(world: Any, as_user: Any) -> None:
    theo = as_user("theo")
    rowan = world.clients["rowan"]
    overview = theo.get(f"/clients/{rowan.pk}/").content.decode()
    links = dict(
        (name, url) for url, name in re.findall(r'<a href="([^"]+)"[^>]*>(\w+)</a>', header(overview))
    )
    for name in TABS:
        html = theo.get(links[name]).content.decode()
        assert f'aria-current="page">{name}</a>' in header(html), name


def test_someone_off_the_care_team_gets_no_header_and_no_page(world: Any, as_user: Any) -> None:
    rowan = world.clients["rowan"]
    for name in ("tamsin", "olive", "avery"):
        assert as_user(name).get(f"/clients/{rowan.pk}/").status_code == 404


def test_the_header_is_on_the_pages_inside_each_tab_too(world: Any, as_user: Any) -> None:
    from django.urls import reverse
    from tests.notes.notes_helpers import signed_note
    from tests.readiness_helpers import make_ready

    ready = make_ready(world)
    note = signed_note(world, "theo")
    rowan = world.clients["rowan"].pk
    pages = {
        "Screening": reverse("screening:evaluation", kwargs={"pk": rowan, "eid": ready.evaluation.pk}),
        "Notes": reverse("notes:detail", kwargs={"pk": note.pk}),
        "Consent": reverse("intake:consent_detail", kwargs={"pk": rowan, "cid": ready.consent.pk}),
        "Intake": reverse("intake:edit", kwargs={"pk": rowan}),
    }
    theo = as_user("theo")
    for tab, url in pages.items():
        html = theo.get(url).content.decode()
        assert fact(html, "Touch").startswith("Agreed"), url
        if tab != "Notes":  # a note's own address is not under the client's notes list
            assert f'aria-current="page">{tab}</a>' in header(html), url


def _clearance_reads(run: Any) -> tuple[Any, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        result = run()
    return result, sum('FROM "screening_clearance"' in q["sql"] for q in queries.captured_queries)


def test_the_header_reads_the_clients_readiness_once_for_every_fact_that_needs_it(world: Any) -> None:
    from tests.care.care_helpers import actor, start_course
    from tests.readiness_helpers import make_ready

    from kapstone.screening.models import Clearance
    from kapstone.screening.readiness import dosing_readiness
    from kapstone.shell.client_header import header_facts

    make_ready(world)
    start_course(world)
    rowan = world.clients["rowan"]
    facts, reads = _clearance_reads(lambda: header_facts(actor(world, "theo"), rowan))
    labels = {f.label: f.value for f in facts}
    # Both the record's "Before dosing" and the course's step stand on the readiness: asked once.
    assert labels["Before dosing"] == "Cleared and consented" and "Course step" in labels
    assert reads == 1
    # Shared within one header only: outside it each ask reads afresh, and the next header sees a change.
    assert _clearance_reads(lambda: (dosing_readiness(rowan), dosing_readiness(rowan)))[1] == 2
    Clearance.objects.filter(client=rowan).delete()
    labels = {f.label: f.value for f in header_facts(actor(world, "theo"), rowan)}
    assert "Before dosing" not in labels and "Next step" in labels


def _consent_reads(run: Any) -> tuple[Any, int]:
    with CaptureQueriesContext(connection) as queries:
        result = run()
    return result, sum('FROM "clients_consentrecord"' in q["sql"] for q in queries.captured_queries)


def test_the_header_reads_the_open_consent_once_and_sees_a_withdrawal_at_the_next_page(world: Any) -> None:
    make_ready(world)
    rowan = world.clients["rowan"]
    facts, reads = _consent_reads(lambda: header_facts(actor(world, "theo"), rowan))
    labels = {f.label: f.value for f in facts}
    # The touch fact and the readiness's consent check both stand on the open consent: read once.
    assert labels["Touch"].startswith("Agreed") and labels["Before dosing"] == "Cleared and consented"
    assert reads == 1
    ConsentRecord.objects.filter(client=rowan).update(withdrawn_at=timezone.now())
    labels = {f.label: f.value for f in header_facts(actor(world, "theo"), rowan)}
    assert labels["Touch"] == "No current consent"
    assert "Before dosing" not in labels and "withdrawn" in labels["Next step"]
