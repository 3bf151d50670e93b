"""Case consultation in a real browser (issue #15, "Done when"): a case made from a record whose fields
and notes carry planted identifiers of every Safe Harbor class is reviewed, every proposal resolved,
posted, answered with feedback, and flagged (which hides it). Every response a group member's browser
receives on the way, and every page, API path and export they could try, is searched for every
planted value: none may appear."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, Response, expect
from tests.consultation.consult_helpers import PLANTED, group, plant

from kapstone.consultation.models import Case, CaseSnapshot


def _record_bodies(page: Page, bodies: list[tuple[str, str]]) -> None:
    def keep(response: Response) -> None:
        try:
            bodies.append((response.url, response.text()))
        except Exception:  # a redirect has no body to read  # noqa: BLE001
            bodies.append((response.url, ""))

    page.on("response", keep)


def test_a_planted_case_is_reviewed_posted_answered_and_flagged_without_a_leak(
    pages: Any, page: Page, signed_in: Any, world: Any, page_errors: Any
) -> None:
    note = plant(world)
    g = group(world)  # Sam facilitates; Theo, Priya and Tamsin (not on Rowan's care team) are members
    rowan = world.clients["rowan"]
    signed_in(page, world.users["theo"])

    # Theo makes a case from Rowan's record: a summary naming Rowan, and the planted note.
    page.goto("/consultation/")
    page.get_by_role("link", name="From the record of Ro Fictional").click()
    page.get_by_label("Summary and the question for the group").fill(
        "Rowan Fictional (Ro), seen since March 14, 2027, asks how to pace integration."
    )
    page.get_by_role("checkbox").first.check()
    page.get_by_role("button", name="Propose redactions").click()
    expect(page).to_have_url(re.compile(r"/consultation/cases/\d+/review/$"))
    case = Case.objects.get(author=world.users["theo"])
    assert case.note_ids == [note.pk]

    # Side by side: the record on the left, what the group will read on the right (no planted value).
    preview = page.locator("#preview").inner_text()
    assert [v for v in PLANTED if v.lower() in preview.lower()] == []
    expect(page.locator("#undecided")).not_to_contain_text("0 still")

    # Posting before deciding is held.
    page.get_by_role("button", name="Post to the group").click()
    expect(page.get_by_role("alert")).to_contain_text("still need your decision")
    assert not CaseSnapshot.objects.exists()

    # Resolve every proposal: accept each redaction, remove each flag but keep "judge" with a reason.
    for select in page.locator("select[name^='d']").all():
        values = select.locator("option").evaluate_all("options => options.map(o => o.value)")
        select.select_option("accept" if "accept" in values else "remove")
    judge = case.proposals.get(kind="flag", start=case.source_text.index("judge"))
    page.locator(f"#d{judge.pk}").select_option("keep")
    page.locator(f"#why{judge.pk}").fill("a common profession; the town is removed")
    page.get_by_role("button", name="Save decisions").click()
    expect(page.get_by_text("Decisions saved.")).to_be_visible()
    expect(page.locator("#undecided")).to_contain_text("0 still undecided")

    page.get_by_label("Consultation group").select_option(label=g.name)
    page.get_by_role("button", name="Post to the group").click()
    expect(page).to_have_url(re.compile(rf"/consultation/cases/{case.pk}/$"))
    expect(page.locator("#case-text")).to_contain_text("[CLIENT]")
    expect(page.locator("#case-text")).to_contain_text("judge")

    # Tamsin, a member who is not on Rowan's care team, reads it and answers with markup.
    tamsin = pages.open()
    bodies: list[tuple[str, str]] = []
    _record_bodies(tamsin, bodies)
    signed_in(tamsin, world.users["tamsin"])
    dialogs: list[str] = []
    tamsin.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    tamsin.goto(f"/consultation/groups/{g.pk}/")
    tamsin.get_by_role("link", name=f"Case {case.pk}").click()
    tamsin.get_by_label("Your feedback").fill(
        'Slow down. <img src=x onerror="alert(1)"><script>alert(2)</script>'
    )
    tamsin.get_by_role("button", name="Send feedback").click()
    expect(tamsin.locator(".feedback")).to_contain_text('<img src=x onerror="alert(1)">')
    assert tamsin.locator(".feedback img").count() == 0 and dialogs == []

    # Everything else she might try: the record, the review, the source notes, the API, exports.
    for path in (
        "/",
        "/consultation/",
        f"/clients/{rowan.pk}/",
        f"/consultation/cases/{case.pk}/review/",
        f"/notes/{note.pk}/",
        f"/api/clients/{rowan.pk}/notes",
        f"/api/notes/{note.pk}",
        f"/api/clients/{rowan.pk}/responses",
        f"/consultation/new/{rowan.pk}/",
    ):
        tamsin.goto(path)

    # She flags it: hidden at once, for every member, and back with Theo.
    tamsin.goto(f"/consultation/cases/{case.pk}/")
    tamsin.get_by_label("What identifies the client?").fill("the town in the first note")
    tamsin.get_by_role("button", name="Flag and hide the case").click()
    expect(tamsin.get_by_text("The case is hidden and back with its author.")).to_be_visible()
    case.refresh_from_db()
    assert case.status == Case.Status.RETURNED
    response = tamsin.goto(f"/consultation/cases/{case.pk}/")
    assert response is not None and response.status == 404
    page.goto("/consultation/")
    expect(page.get_by_text("the town in the first note")).to_be_visible()

    leaks = [(url, v) for url, body in bodies for v in PLANTED if v.lower() in body.lower()]
    assert leaks == []
    assert len(bodies) > 12
    allowed = ("status of 404", "status of 401")
    assert [e for e in page_errors(tamsin) if not any(a in e for a in allowed)] == []
    assert page_errors(page) == [] or all("status of 422" in e for e in page_errors(page))
