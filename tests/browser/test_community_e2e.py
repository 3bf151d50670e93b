"""Community in a real browser (issue #16, "Done when"): a post flagged as containing client
information disappears from everyone but its author and the moderators; a mentee is matched and
logs a meeting; a workshop fills, the waitlisted person is promoted when someone cancels, attendance
is taken and the hours appear in the practicum ledger; the downloaded .ics keeps its UID and grows
its SEQUENCE after an edit; a directory search by route, modality and state finds a verified
practitioner."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from icalendar import Calendar
from playwright.sync_api import expect

from kapstone.community.directory_services import listing_save
from kapstone.community.forum_services import space_create
from kapstone.community.hooks import CredentialClaim, register_credential_source, unregister_credential_source
from kapstone.community.mentorship_services import profile_save
from kapstone.community.models import Registration, Workshop
from kapstone.core.actor import Actor

CALM = "Integration circles helped after a dosing day."


def _actor(world, name, role, org=None):
    return Actor(user=world.users[name], organization=org or world.org_a, roles=frozenset({role}))


def test_a_post_flagged_for_client_information_disappears_from_everyone_but_author_and_moderators(
    pages, signed_in, world, page_errors
) -> None:
    space = space_create(_actor(world, "sam", "supervisor"), name="Larkspur peers", kind="organization")
    theo = pages.open()
    signed_in(theo, world.users["theo"])
    theo.goto(f"/community/spaces/{space.pk}/")
    theo.get_by_label("Title").fill("After dosing days")
    theo.get_by_label("Post (Markdown)").fill(CALM)
    theo.get_by_role("button", name="Post").click()
    expect(theo.locator(".post-body")).to_contain_text(CALM)
    topic_url = theo.url

    tamsin = pages.open()
    signed_in(tamsin, world.users["tamsin"])
    tamsin.goto(topic_url)
    tamsin.get_by_text("Flag this post").click()
    tamsin.get_by_label("Why").select_option("client_info")
    tamsin.get_by_role("button", name="Flag").click()
    expect(tamsin.get_by_text("The moderators will look at it")).to_be_visible()
    expect(tamsin.get_by_text(CALM)).to_have_count(0)

    toby = pages.open()
    signed_in(toby, world.users["toby"])
    toby.goto(topic_url)
    expect(toby.get_by_role("heading", name="After dosing days")).to_be_visible()
    expect(toby.get_by_text(CALM)).to_have_count(0)
    theo.reload()
    expect(theo.locator(".post-hidden")).to_contain_text("client information")
    expect(theo.locator(".post-body")).to_contain_text(CALM)
    sam = pages.open()
    signed_in(sam, world.users["sam"])
    sam.goto("/community/moderation/")
    expect(sam.locator(".post-body")).to_contain_text(CALM)
    for page in (theo, tamsin, toby, sam):
        assert page_errors(page) == []


def test_a_mentee_is_matched_and_logs_a_meeting_that_reaches_the_ledger(
    pages, signed_in, world, page_errors
) -> None:
    profile_save(_actor(world, "sam", "supervisor"), capacity=1, modalities=["ifs"])
    toby = pages.open()
    signed_in(toby, world.users["toby"])
    toby.goto("/community/mentorship/request/")
    toby.get_by_label("What you would like from a mentor").fill("Preparing for my first IM sessions")
    toby.get_by_label("First choice of mentor").select_option(label="Sam Test")
    toby.get_by_role("button", name="Send request").click()
    expect(toby.get_by_text("Your request is in")).to_be_visible()

    avery = pages.open()
    signed_in(avery, world.users["avery"])
    avery.goto("/community/mentorship/")
    avery.get_by_role("button", name="Run the matching").click()
    expect(avery.get_by_text("Matching proposed 1 pairing(s)")).to_be_visible()

    sam = pages.open()
    signed_in(sam, world.users["sam"])
    sam.goto("/community/mentorship/")
    sam.get_by_role("button", name="Accept").click()
    expect(sam.locator(".pairing-status")).to_have_text("Active")

    toby.goto("/community/mentorship/")
    toby.get_by_role("link", name="Sam Test mentoring Toby Test").click()
    toby.get_by_label("Date").fill(timezone.localdate().isoformat())
    toby.get_by_label("Minutes").fill("50")
    toby.get_by_label("What you discussed (no client identifiers)").fill("Preparation sessions")
    toby.get_by_role("button", name="Log meeting").click()
    expect(toby.get_by_role("cell", name="Preparation sessions")).to_be_visible()
    toby.goto("/practicum/ledger/")
    expect(toby.get_by_text("Mentorship meeting: Preparation sessions")).to_be_visible()
    for page in (toby, avery, sam):
        assert page_errors(page) == []


def test_a_workshop_fills_promotes_from_the_waitlist_counts_attendance_and_its_ics_updates(
    pages, signed_in, world, page_errors
) -> None:
    sam = pages.open()
    signed_in(sam, world.users["sam"])
    sam.goto("/community/workshops/new/")
    day = timezone.localdate() + dt.timedelta(days=5)
    sam.get_by_label("Title").fill("Holding space in dosing sessions")
    sam.get_by_label("Starts (in the workshop's time zone)").fill(f"{day.isoformat()} 18:00")
    sam.get_by_label("Ends (in the workshop's time zone)").fill(f"{day.isoformat()} 20:00")
    sam.get_by_label("Time zone:").fill("America/Denver")
    sam.get_by_label("Capacity").fill("1")
    sam.get_by_label("Topics").fill("co.dosing")
    sam.get_by_role("button", name="Save workshop").click()
    expect(sam.get_by_role("heading", name="Holding space in dosing sessions")).to_be_visible()
    workshop = Workshop.objects.get()
    ics_url = f"/community/workshops/{workshop.pk}/event.ics"
    first = Calendar.from_ical(sam.request.get(ics_url).body()).walk("VEVENT")[0]

    theo, toby = pages.open(), pages.open()
    signed_in(theo, world.users["theo"])
    signed_in(toby, world.users["toby"])
    for page, button in ((theo, "Register"), (toby, "Join the waitlist")):
        page.goto(f"/community/workshops/{workshop.pk}/")
        page.get_by_role("button", name=button).click()
    expect(toby.locator("#my-status")).to_contain_text("On the waitlist")
    theo.get_by_role("button", name="Cancel my registration").click()
    toby.reload()
    expect(toby.locator("#my-status")).to_contain_text("A place is held for you")
    toby.get_by_role("button", name="Claim the held place").click()
    expect(toby.locator("#my-status")).to_contain_text("Registered")

    sam.goto(f"/community/workshops/{workshop.pk}/edit/")
    sam.get_by_label("Title").fill("Holding space in dosing sessions (room 2)")
    sam.get_by_role("button", name="Save workshop").click()
    expect(sam.get_by_text("Workshop changed")).to_be_visible()
    second = Calendar.from_ical(sam.request.get(ics_url).body()).walk("VEVENT")[0]
    assert str(second["UID"]) == str(first["UID"]) == workshop.uid
    assert (int(first["SEQUENCE"]), int(second["SEQUENCE"])) == (0, 1)
    assert str(second["DTSTART"].params["TZID"]) == "America/Denver"

    # The evening has come: move the workshop into the past (the setup a clock would do).
    started = timezone.now() - dt.timedelta(hours=3)
    Workshop.objects.filter(pk=workshop.pk).update(starts_at=started, ends_at=started + dt.timedelta(hours=2))
    sam.reload()
    sam.get_by_label("Toby Test").check()
    sam.get_by_role("button", name="Save attendance").click()
    expect(sam.get_by_text("Attendance saved: 1 present.")).to_be_visible()
    assert Registration.objects.get(user=world.users["toby"], status="registered").attended_minutes == 120
    toby.goto("/practicum/ledger/")
    expect(toby.get_by_text("Workshop: Holding space in dosing sessions (room 2)")).to_be_visible()
    for page in (sam, theo, toby):
        assert page_errors(page) == []


def test_a_directory_search_by_route_modality_and_state_finds_a_verified_practitioner(
    pages, world, page_errors
) -> None:
    title = "Kapstone Certificate in KAP (Fictional)"

    def source(user_id):
        if user_id != world.users["theo"].pk:
            return []
        return [
            CredentialClaim(
                title, "Larkspur Test Clinic", dt.date(2026, 5, 1), "active", "https://example.test/v/1"
            )
        ]

    register_credential_source(source)
    try:
        listing_save(
            _actor(world, "theo", "therapist"),
            kind="practitioner",
            display_name="Theo Test, LMFT",
            state="CO",
            city="Denver",
            routes=["im", "sublingual"],
            modalities=["ifs"],
            opted_in=True,
            certificate_title=title,
        )
        listing_save(
            _actor(world, "olive", "therapist", world.org_b),
            kind="practitioner",
            display_name="Olive Test, LCSW",
            state="CO",
            routes=["iv"],
            modalities=["ifs"],
            opted_in=True,
        )
        page = pages.open()
        page.goto("/directory/")
        page.get_by_label("Route").select_option("im")
        page.get_by_label("Modality").select_option("ifs")
        page.get_by_label("State").select_option("CO")
        page.get_by_role("button", name="Search").click()
        expect(page.locator(".listing-result")).to_have_count(1)
        expect(page.locator(".listing-result")).to_contain_text("Theo Test, LMFT")
        expect(page.locator(".listing-result")).to_contain_text(f"Verified certificate: {title}")
        assert "route=im" in page.url and "modality=ifs" in page.url and "state=CO" in page.url
        assert page_errors(page) == []
    finally:
        unregister_credential_source(source)
