"""Progress notes in a real browser: write, autosave (htmx, under the strict CSP), sign, addendum; a
trainee's note waits on the supervisor's dashboard until co-signed."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from kapstone.notes.models import Addendum, ProgressNote
from kapstone.notes.services import note_verify


def _write_dap(page: Page, client_pk: int, texts: tuple[str, str, str]) -> None:
    page.goto(f"/clients/{client_pk}/")
    page.get_by_role("link", name="New progress note").first.click()
    page.get_by_role("radio", name=re.compile(r"DAP progress note")).check()
    page.get_by_role("button", name="Start the draft").click()
    expect(page).to_have_url(re.compile(r"/notes/\d+/edit/$"))
    for label, text in zip(("Data", "Assessment", "Plan"), texts, strict=True):
        page.get_by_label(label).fill(text)


def test_a_therapist_signs_a_note_then_adds_an_addendum(page: Page, signed_in, world, page_errors) -> None:
    theo, rowan = world.users["theo"], world.clients["rowan"]
    signed_in(page, theo)
    _write_dap(page, rowan.pk, ("Client reports better sleep.", "Improving.", "Integration next week."))

    # htmx autosaves the draft after a pause in typing (no inline script: CSP holds).
    expect(page.locator("#autosave-status")).to_contain_text("Draft saved automatically", timeout=8_000)
    note = ProgressNote.objects.get(author=theo)
    assert note.sections["plan"] == "Integration next week." and note.version >= 2
    expect(page.locator("#id_version")).to_have_value(str(note.version))  # the form follows the save

    page.get_by_role("button", name="Sign note").click()
    expect(page).to_have_url(re.compile(rf"/notes/{note.pk}/$"))
    expect(page.get_by_text("Signed. From now on the note changes only by addendum.")).to_be_visible()
    expect(page.locator(".note-meta")).to_contain_text("verified: the note is as signed")
    note.refresh_from_db()
    assert note.status == "signed" and note_verify(note)
    signed_hash = note.content_hash

    # The editor is closed to a signed note.
    response = page.goto(f"/notes/{note.pk}/edit/")
    assert response is not None and response.status == 409
    expect(page.get_by_role("heading", name="This note is signed")).to_be_visible()

    page.get_by_role("link", name="Add an addendum").click()
    page.get_by_label("Addendum").fill("Late entry: client phoned on Friday to confirm.")
    page.get_by_role("button", name="Add addendum").click()
    expect(page).to_have_url(re.compile(rf"/notes/{note.pk}/#addenda$"))
    addendum = page.locator(".addendum")
    expect(addendum).to_have_count(1)
    expect(addendum).to_contain_text("Addendum by Theo Test")
    expect(addendum).to_contain_text("Late entry: client phoned on Friday to confirm.")
    expect(page.get_by_text("Client reports better sleep.")).to_be_visible()  # the original, intact

    note.refresh_from_db()
    assert note.content_hash == signed_hash and note.sections["data"] == "Client reports better sleep."
    assert Addendum.objects.get().note_id == note.pk and note_verify(note)
    # The one expected console entry: Chromium logs the deliberate 409 of the closed editor.
    assert [e for e in page_errors(page) if "status of 409 (Conflict)" not in e] == []


def test_a_trainees_note_waits_for_the_supervisors_cosign(
    pages, page: Page, signed_in, world, page_errors
) -> None:
    toby, sam, rowan = world.users["toby"], world.users["sam"], world.clients["rowan"]
    signed_in(page, toby)
    _write_dap(page, rowan.pk, ("Trainee session data.", "Trainee assessment.", "Trainee plan."))
    expect(page.get_by_text("your signed note then waits for your supervisor's co-sign")).to_be_visible()
    page.get_by_role("button", name="Sign note").click()
    expect(page.get_by_text("Signed. The note now waits for your supervisor's co-sign.")).to_be_visible()
    expect(page.locator(".note-meta")).to_contain_text("Signed, pending co-sign")
    expect(page.get_by_role("button", name="Co-sign as supervisor")).to_have_count(0)  # not for the trainee
    note = ProgressNote.objects.get(author=toby)
    assert note.status == "pending_cosign"

    supervisor = pages.open()
    signed_in(supervisor, sam)
    supervisor.goto("/dashboard/")
    panel = supervisor.get_by_role("region", name=re.compile("Notes awaiting your co-sign"))
    expect(panel).to_contain_text("Toby Test")
    panel.get_by_role("link", name=re.compile("Rowan")).click()
    expect(supervisor).to_have_url(re.compile(rf"/notes/{note.pk}/$"))
    supervisor.get_by_role("button", name="Co-sign as supervisor").click()
    expect(supervisor.get_by_text("Co-signed Toby Test's note.")).to_be_visible()
    expect(supervisor.locator(".note-meta")).to_contain_text("by Sam Test")
    expect(supervisor.get_by_role("button", name="Co-sign as supervisor")).to_have_count(0)

    supervisor.goto("/dashboard/")
    expect(supervisor.get_by_role("region", name=re.compile("Notes awaiting your co-sign"))).to_contain_text(
        "No notes are waiting for your co-sign."
    )
    note.refresh_from_db()
    assert (note.status, note.cosigned_by_id) == ("signed", sam.pk) and note_verify(note)
    page.reload()
    expect(page.locator(".note-meta")).to_contain_text("Signed")
    assert page_errors(page) == [] and page_errors(supervisor) == []
