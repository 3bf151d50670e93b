"""The page shell in a real browser: keyboard use, labels, a clean console under the strict CSP,
htmx (vendored, no inline script) working, and layouts that fit a 1024×768 tablet."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, Response, expect

from kapstone.clients.models import CareTeamMember, Client


def _fits_the_viewport(page: Page) -> None:
    """Nothing forces sideways scrolling on a tablet."""
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the viewport"


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(page: Page, signed_in, world) -> None:
    signed_in(page, world.users["theo"])
    for path in ("/dashboard/", "/clients/", f"/clients/{world.clients['rowan'].pk}/"):
        page.goto(path)
        page.keyboard.press("Tab")
        skip = page.get_by_role("link", name="Skip to content")
        expect(skip).to_be_focused()
        box = skip.bounding_box()  # shown on screen while focused (it hides off-screen otherwise)
        assert box is not None and box["x"] >= 0 and box["y"] >= 0, f"skip link off-screen on {path}: {box}"

        page.keyboard.press("Enter")
        expect(page.locator("main")).to_be_focused()
        # The next Tab lands inside main, past the header's links and forms.
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.closest('main') !== null"), path


def test_every_control_on_the_sign_in_pages_has_a_label(page: Page, enrol_totp, world) -> None:
    enrol_totp(world.users["theo"])

    def check_labels() -> None:
        controls = page.locator("input:not([type=hidden]), select, textarea")
        assert controls.count() > 0
        for index in range(controls.count()):
            control = controls.nth(index)
            label = control.evaluate("el => el.labels.length ? el.labels[0].textContent.trim() : ''")
            assert label, f"a control without a label on {page.url}: {control.evaluate('el => el.outerHTML')}"
            labelled = page.get_by_label(label, exact=True)
            expect(labelled).to_have_count(1)
            assert labelled.evaluate("el => el.id") == control.evaluate("el => el.id")
        buttons = page.locator("main button")
        for index in range(buttons.count()):
            name = buttons.nth(index).inner_text().strip()
            assert name, f"button #{index} on {page.url} has no text"
            expect(page.get_by_role("button", name=name, exact=True)).to_be_visible()

    page.goto("/accounts/sign-in/")
    expect(page.get_by_label("Email")).to_have_attribute("type", "email")
    expect(page.get_by_label("Password")).to_have_attribute("type", "password")
    check_labels()

    page.get_by_label("Email").fill(world.users["theo"].email)
    page.get_by_label("Password").fill("wrong password, on purpose")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_be_visible()
    check_labels()  # still labelled with an error showing

    page.get_by_label("Password").fill("correct horse battery staple 42")
    page.get_by_label("Password").press("Enter")
    expect(page).to_have_url(re.compile(r"/accounts/sign-in/verify/$"))
    expect(page.get_by_label("Code from your authenticator app, or a recovery code")).to_be_visible()
    check_labels()


def test_no_console_errors_or_csp_violations_across_the_main_pages(
    pages, page: Page, page_errors, sign_in, signed_in, world
) -> None:
    page.goto("/accounts/sign-in/")
    assert page.evaluate("() => typeof window.htmx") == "object", "vendored htmx did not load"
    assert page_errors(page) == []

    sign_in(page, world.users["theo"])  # through the forms: the second-step page is watched too
    visited = ["/dashboard/", "/clients/", f"/clients/{world.clients['rowan'].pk}/"]
    for path in visited:
        page.goto(path)
        assert page.evaluate("() => typeof window.htmx") == "object", f"htmx missing on {path}"
    assert page_errors(page) == [], f"on {visited}"

    admin = pages.open()
    signed_in(admin, world.users["avery"])
    admin.goto("/audit/")
    expect(admin.get_by_role("heading", name="Audit log")).to_be_visible()
    admin.goto("/audit/?outcome=denied&sort=oldest")
    assert page_errors(admin) == []


def test_the_console_watch_does_see_a_csp_violation(page: Page, page_errors) -> None:
    """Proves the test above is not vacuous: an inline script is refused, and we notice."""
    page.goto("/accounts/sign-in/")
    with page.expect_console_message(lambda message: message.type == "error"):
        page.evaluate("""() => {
            const script = document.createElement("script");
            script.textContent = "window.__inlineRan = true";
            document.body.append(script);
        }""")
    assert page.evaluate("() => window.__inlineRan === undefined"), "an inline script ran under the CSP"
    errors = page_errors(page)
    assert any("Content Security Policy" in e or "CSP violation" in e for e in errors), errors


def test_client_search_updates_rows_in_place_with_htmx(page: Page, signed_in, world) -> None:
    theo = world.users["theo"]
    quinn = Client.objects.create(organization=world.org_a, given_name="Quinn", family_name="Imaginary")
    CareTeamMember.objects.create(client=quinn, user=theo, team_role="therapist")

    signed_in(page, theo)
    page.goto("/clients/")
    rows = page.locator("#client-rows tbody tr")
    expect(rows).to_have_count(2)  # Quinn and Rowan; Harper is not Theo's

    page.evaluate("() => { window.__sameDocument = true; }")
    documents: list[str] = []
    page.on("request", lambda r: documents.append(r.url) if r.resource_type == "document" else None)

    page.get_by_label("Search by name").click()

    def is_htmx_search(response: Response) -> bool:
        return "/clients/?q=" in response.url and response.request.headers.get("hx-request") == "true"

    with page.expect_response(is_htmx_search) as hx:
        page.keyboard.type("quin")
    assert hx.value.status == 200
    assert "<html" not in hx.value.text(), "htmx got a whole page instead of the rows"
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Quinn Imaginary")
    expect(page).to_have_url(re.compile(r"/clients/\?q=quin$"))  # hx-push-url: back and reload keep it

    with page.expect_response(lambda r: "/clients/?q=" in r.url):
        page.keyboard.press("ControlOrMeta+a")
        page.keyboard.type("nobody")
    expect(page.locator("#client-rows")).to_contain_text("No clients match “nobody”.")

    assert page.evaluate("() => window.__sameDocument") is True, "the page reloaded"
    assert documents == [], f"full page loads during search: {documents}"


LANDSCAPE, PORTRAIT = {"width": 1024, "height": 768}, {"width": 768, "height": 1024}


def _audit_rows_like_a_real_day(world) -> None:
    """Wide, real-looking audit rows (an IPv4 source, a request id) so the table is tested full."""
    from kapstone.audit.services import record
    from kapstone.core.actor import Actor

    toby = Actor(user=world.users["toby"], organization=world.org_a, roles=frozenset({"trainee"}),
                 request_id="a3f9c1d2e4b5a6978812aa0c3d4e5f60", source_ip="203.0.113.77")  # fmt: skip
    for n in range(6):
        record(toby, "client.view", outcome="denied" if n % 2 else "success", object_type="client",
               object_id=1000 + n, client_id=1000 + n)  # fmt: skip


@pytest.mark.parametrize("who", ["theo", "avery"])
def test_layout_fits_a_tablet_both_ways_and_screenshots_are_saved(
    page: Page, signed_in, screenshot, world, who
) -> None:
    """No page scrolls sideways on a tablet, in landscape or portrait. Screenshots (landscape) land in
    test-results/ for a person to look at."""
    from kapstone.accounts.models import Membership, Role

    if who == "theo":
        paths = {"dashboard-theo": "/dashboard/", "client-list": "/clients/",
                 "client-detail": f"/clients/{world.clients['rowan'].pk}/"}  # fmt: skip
    else:  # the busiest header: two organizations (a switcher) and two roles
        Membership.objects.create(user=world.users["avery"], organization=world.org_b, role=Role.ORG_ADMIN)
        Membership.objects.create(user=world.users["avery"], organization=world.org_a, role=Role.THERAPIST)
        _audit_rows_like_a_real_day(world)
        paths = {"dashboard-avery": "/dashboard/", "audit-log": "/audit/", "members": "/accounts/members/"}
    signed_in(page, world.users[who])

    for name, path in paths.items():
        page.set_viewport_size(LANDSCAPE)
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        screenshot(page, f"{name}-1024x768")
        _fits_the_viewport(page)
        page.set_viewport_size(PORTRAIT)
        _fits_the_viewport(page)

    if who == "avery":
        # The header's Switch button has a visible edge on the brand-coloured bar.
        switch = page.locator(".site-header").get_by_role("button", name="Switch")
        expect(switch).to_have_css("border-top-color", "rgb(255, 255, 255)")
        # The audit table scrolls inside its own region, reachable by keyboard.
        page.goto("/audit/")
        region = page.get_by_role("region", name="Audit events")
        expect(region).to_have_attribute("tabindex", "0")
        assert region.evaluate("el => el.scrollWidth > el.clientWidth"), "the table should scroll in portrait"
        screenshot(page, "audit-log-768x1024")
