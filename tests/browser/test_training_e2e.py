"""Training in a real browser: the lead enrols a trainee; the trainee reads a lesson, fails then
passes its knowledge check and sees progress move at once, writes a journal entry and shares it
(htmx, under the strict CSP); the supervisor rates a competency with evidence; a lesson edit
published mid-cohort leaves the trainee's progress and completed record as they were."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from playwright.sync_api import Page, expect

from kapstone.core.actor import Actor
from kapstone.training import services
from kapstone.training.models import (
    CompetencyAssessment,
    Enrollment,
    JournalEntry,
    LessonCompletion,
    ModuleCompletion,
    QuizAttempt,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "training"))
from training_support import mini_files  # noqa: E402


def _cohort(world):  # a published version of the fictional program, no wait between attempts
    lead = Actor(user=world.users["avery"], organization=world.org_a, roles=frozenset({"org_admin"}))
    files = mini_files()
    files["01-basics/module.toml"] = files["01-basics/module.toml"].replace(
        "wait_minutes = 60", "wait_minutes = 0"
    )
    version = services.version_publish(lead, version=services.program_import(lead, files=files, root="mini"))
    return services.cohort_create(lead, version=version, name="Winter browser cohort")


def test_enrol_learn_fail_then_pass_journal_assess_and_a_mid_cohort_edit(
    pages, signed_in, world, page_errors
) -> None:
    cohort = _cohort(world)
    avery, toby, sam = world.users["avery"], world.users["toby"], world.users["sam"]

    lead = pages.open()
    signed_in(lead, avery)
    lead.goto(f"/training/cohorts/{cohort.pk}/")
    lead.get_by_label("Trainee").select_option(label="Toby Test")
    lead.get_by_label("Supervisor").select_option(label="Sam Test")
    lead.get_by_role("button", name="Enrol").click()
    expect(lead.locator("#cohort-grid")).to_contain_text("Toby Test")
    enrollment = Enrollment.objects.get(cohort=cohort, trainee=toby)
    assert enrollment.supervisor == sam

    page: Page = pages.open()
    signed_in(page, toby)
    page.goto("/training/")
    expect(page.get_by_text("0 of 2 modules complete")).to_be_visible()
    page.get_by_role("link", name="Continue with the next lesson").click()
    expect(page.get_by_role("heading", name="First lesson", level=1)).to_be_visible()
    expect(page.locator(".lesson-text")).to_contain_text("Fictional teaching text")
    page.get_by_role("button", name="Mark this lesson as done").click()
    expect(page.get_by_text(re.compile(r"Done on .* \(version 1\.0\)"))).to_be_visible()
    page.get_by_role("link", name="Next lesson →").click()
    page.get_by_role("button", name="Mark this lesson as done").click()
    page.get_by_role("link", name="Knowledge check: Basics").click()

    page.get_by_label("Green").check()  # wrong
    page.get_by_label("False", exact=True).check()  # wrong
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_role("heading", name="Attempt 1: Not passed")).to_be_visible()
    expect(page.get_by_text("The fictional sky is blue.")).to_be_visible()
    page.get_by_label("Blue").check()
    page.get_by_label("True", exact=True).check()
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_role("heading", name="Attempt 2: Passed")).to_be_visible()
    expect(page.get_by_text("You have passed this knowledge check.")).to_be_visible()
    page.goto("/training/")
    expect(page.get_by_text("1 of 2 modules complete")).to_be_visible()  # at once, no job
    assert [a.status for a in QuizAttempt.objects.order_by("number")] == ["failed", "passed"]
    completed = ModuleCompletion.objects.get(enrollment=enrollment, module_id="basics")

    page.get_by_role("link", name="My journal").click()
    page.get_by_label("Title").fill("After the basics")
    page.get_by_label("Entry (Markdown)").fill("I rushed the *first* question. Slower next time.")
    page.get_by_role("button", name="Save entry").click()
    expect(page.get_by_text("Only you can read this entry.")).to_be_visible()
    page.get_by_role("button", name="Share with my supervisor").click()  # htmx swaps the panel
    expect(page.get_by_text(re.compile(r"Shared with Sam Test since"))).to_be_visible()
    entry = JournalEntry.objects.get(author=toby)
    assert entry.shared_with == sam

    supervisor = pages.open()
    signed_in(supervisor, sam)
    supervisor.goto(f"/training/journal/{entry.pk}/")
    expect(supervisor.locator(".lesson-text em")).to_have_text("first")
    supervisor.goto(f"/training/e/{enrollment.pk}/assess/")
    supervisor.get_by_label("Competency").select_option(label="Dosing-session safety monitoring")
    supervisor.get_by_label("3 · Competent").check()
    supervisor.get_by_label("Kind of evidence").select_option(label="Observed role-play")
    supervisor.get_by_label("Which evidence").fill("Role-play, week 2")
    supervisor.get_by_role("button", name="Save assessment").click()
    expect(supervisor.get_by_role("cell", name="Observed role-play: Role-play, week 2")).to_be_visible()
    supervisor.get_by_text("The numbers behind the chart").click()
    expect(supervisor.locator("details.numbers")).to_contain_text("Role-play, week 2")
    assert CompetencyAssessment.objects.get().level == 3

    # The lead edits a lesson of the published version: a new draft, then published.
    lead.goto(f"/training/versions/{cohort.version_id}/")
    lead.get_by_role("link", name="edit text of Second lesson").click()
    lead.get_by_label("Lesson text (Markdown)").fill("A rewritten second lesson.")
    lead.get_by_label("Name of the new draft version").fill("1.1")
    lead.get_by_role("button", name="Save").click()
    expect(lead.get_by_role("heading", name=re.compile(r"1\.1 · Draft"))).to_be_visible()
    lead.get_by_role("button", name="Publish this version").click()
    expect(lead.get_by_text("Version 1.1 is published.")).to_be_visible()

    page.goto("/training/")
    expect(page.get_by_text("1 of 2 modules complete")).to_be_visible()
    page.goto(f"/training/e/{enrollment.pk}/lessons/second/")
    expect(page.locator(".lesson-text")).to_contain_text("Second fictional lesson text.")
    enrollment.refresh_from_db()
    assert enrollment.version_id == cohort.version_id
    assert set(LessonCompletion.objects.values_list("version_id", flat=True)) == {cohort.version_id}
    assert ModuleCompletion.objects.get(pk=completed.pk).version_id == cohort.version_id
    for p in (page, lead, supervisor):
        assert page_errors(p) == []
