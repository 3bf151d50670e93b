"""Intake → screening → medical clearance → consent → "Ready to schedule", in a real browser, with
three people in three browser contexts: the therapist, the prescriber and the client."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from django.utils import timezone
from playwright.sync_api import Page, expect

from kapstone.clients.models import ConsentRecord, Intake
from kapstone.core.actor import Actor
from kapstone.screening.models import Clearance, ScreeningEvaluation

RESULTS = Path(__file__).resolve().parents[2] / "test-results"


def _shot(page: Page, name: str) -> None:
    """A full-page picture in test-results/ for people to look at (the assertions do the checking)."""
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / f"intake-e2e-{name}.png"), full_page=True)


def _measures(world) -> None:
    """Baseline PHQ-9 and C-SSRS recorded earlier (the measures app's own pages are tested there)."""
    from kapstone.measures.services import response_submit

    theo = Actor(user=world.users["theo"], organization=world.org_a, roles=frozenset({"therapist"}))
    rowan = world.clients["rowan"]
    response_submit(theo, rowan, "phq9", {f"phq9_{i}": 0 for i in range(1, 10)})
    response_submit(theo, rowan, "cssrs_screener", {"cssrs_1": 0, "cssrs_2": 0, "cssrs_6": 0})


def _answer_all(page: Page, legend: str, label: str) -> None:
    selects = page.locator("fieldset", has=page.locator(f"legend:text-is('{legend}')")).locator("select")
    for i in range(selects.count()):
        options = selects.nth(i).locator("option").all_inner_texts()
        selects.nth(i).select_option(label=label if label in options else "None")


def _fill_intake(page: Page) -> None:
    page.get_by_label("Sex at birth").select_option(label="Female")
    page.get_by_label("Goals").fill("Feel less stuck; sleep better")
    page.get_by_label("Emergency contact name").fill("Sky Fictional")
    _answer_all(page, "Psychiatric history", "No")
    _answer_all(page, "Medical history", "No")  # hepatic impairment: "None"
    page.get_by_label("Pregnant (or pregnancy not excluded)").select_option(label="No")
    page.get_by_label("Breastfeeding or expressing milk").select_option(label="No")
    page.get_by_label("Uses effective contraception").select_option(label="Yes")
    _answer_all(page, "Allergies", "No")
    page.get_by_label("Systolic BP (mmHg)").fill("122")
    page.get_by_label("Diastolic BP (mmHg)").fill("79")
    page.get_by_label("Heart rate (beats/min)").fill("68")
    page.get_by_label("Weight (kg)").fill("68.5")
    page.get_by_label("Product").select_option(label="Esketamine (e.g. SPRAVATO)")
    page.get_by_label("Route").select_option(label="Intranasal")
    first = page.locator("fieldset.medication").first
    first.get_by_role("textbox", name="Medication").fill("sertraline")
    first.get_by_label("antidepressant").check()
    first.get_by_label("Dose as taken").fill("100 mg daily")
    page.get_by_label("This medication list is complete").check()


def test_intake_screening_clearance_consent_ready_to_schedule(
    pages, page: Page, page_errors, sign_in, signed_in, world
) -> None:
    rowan = world.clients["rowan"]
    rowan.date_of_birth = timezone.localdate() - dt.timedelta(days=41 * 365)
    rowan.save(update_fields=["date_of_birth"])
    _measures(world)

    # --- The therapist: before anything, the client page lists exactly what is missing. ---------------
    sign_in(page, world.users["theo"])
    page.goto(f"/clients/{rowan.pk}/")
    readiness = page.locator("section.readiness")
    expect(readiness.get_by_role("heading", name="Not ready to schedule")).to_be_visible()
    expect(readiness.locator("ul.missing li")).to_have_text([
        "intake not recorded",
        "safety screening not submitted to a prescriber",
        "KAP consent not signed for template v1",
    ])  # fmt: skip

    # Intake, through the form.
    page.get_by_role("navigation", name="Client record").get_by_role("link", name="Intake").click()
    page.get_by_role("link", name="Start intake").click()
    expect(page.get_by_role("group", name="Psychiatric history")).to_be_visible()
    _fill_intake(page)
    _shot(page, "intake-form")
    page.get_by_role("button", name="Save intake").click()
    expect(page.get_by_text("Intake saved.")).to_be_visible()
    assert Intake.objects.get(client=rowan).medications.get().name == "sertraline"

    # Screening: run, read, submit.
    page.get_by_role("link", name="Screening and clearance").first.click()
    page.get_by_role("button", name="Run screening").click()
    expect(page.get_by_role("heading", name=re.compile("Screening report"))).to_be_visible()
    expect(page.locator(".outcome").first).to_have_text("No flags")
    page.get_by_label("Note for the prescriber (optional)").fill("Intake complete; measures this week.")
    page.get_by_role("button", name="Submit screening to the prescriber").click()
    expect(page.get_by_text("Screening submitted to the prescriber.")).to_be_visible()
    evaluation = ScreeningEvaluation.objects.get(client=rowan, status="submitted")

    page.goto(f"/clients/{rowan.pk}/")
    expect(readiness.locator("ul.missing li").first).to_contain_text(
        "medical clearance awaiting the prescriber's decision"
    )

    # --- The prescriber, in a second browser: one report, flags first, then the decision. ------------
    prescriber = pages.open()
    signed_in(prescriber, world.users["priya"])
    prescriber.goto(f"/clients/{rowan.pk}/screening/{evaluation.pk}/")
    prescriber.get_by_role("link", name="Decide").click()
    expect(prescriber.get_by_role("heading", name="Flags")).to_be_visible()
    expect(prescriber.get_by_role("heading", name="Medical clearance decision")).to_be_visible()
    _shot(prescriber, "clearance-report")
    prescriber.get_by_label("Cleared", exact=True).check()
    prescriber.get_by_label("Note for the care team").fill("No contraindication; BP fine. Cleared for KAP.")
    prescriber.get_by_role("button", name="Record decision").click()
    expect(prescriber.get_by_role("heading", name="Prescriber's decision: Cleared")).to_be_visible()
    assert Clearance.objects.get(evaluation=evaluation).prescriber == world.users["priya"]

    page.goto(f"/clients/{rowan.pk}/")
    expect(readiness.locator("ul.missing li")).to_have_text(["KAP consent not signed for template v1"])

    # --- The client, in a third browser: reads and signs the consent in the portal. ---------------------
    client = pages.open()
    signed_in(client, world.users["rowan_portal"])
    client.goto("/portal/")
    client.get_by_role("link", name="Read and sign the form").click()
    expect(client.get_by_role("heading", name="Off-label use and Schedule III status")).to_be_visible()
    client.get_by_label("Yes: supportive touch may be used, as I describe here").check()
    client.get_by_label("Where and how").fill("A hand on my shoulder")
    client.get_by_label("My stop signal").fill("I raise my hand")
    client.get_by_label("I have read this form").check()
    client.get_by_label("Type your full name to sign").fill("Rowan Fictional")
    _shot(client, "portal-consent")
    client.get_by_role("button", name="Sign consent").click()
    expect(client.get_by_text("You signed it on")).to_be_visible()
    assert ConsentRecord.objects.get(client=rowan).channel == "portal"

    # --- Back with the therapist: ready to schedule, and the touch agreement for the dosing room. ------
    page.goto(f"/clients/{rowan.pk}/")
    expect(readiness.get_by_role("heading", name="Ready to schedule")).to_be_visible()
    expect(readiness).to_contain_text(
        "Supportive touch agreed: A hand on my shoulder. Stop signal: I raise my hand."
    )
    _shot(page, "ready-to-schedule")
    client.goto("/portal/")
    _shot(client, "portal-home")
    for each in (page, prescriber, client):
        assert page_errors(each) == []
