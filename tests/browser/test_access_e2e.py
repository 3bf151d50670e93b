"""A record outside your care team is a 404 in the browser, and the attempt is in the audit log."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from kapstone.audit.models import AuditEvent


def test_trainee_gets_404_for_another_teams_client_and_the_admin_sees_the_denial(
    pages, page, sign_in, world
) -> None:
    toby, avery = world.users["toby"], world.users["avery"]
    rowan, harper = world.clients["rowan"], world.clients["harper"]

    # Toby (trainee, on Rowan's care team only) signs in with a second factor.
    sign_in(page, toby)
    expect(page.get_by_role("heading", name="Welcome, Toby Test")).to_be_visible()

    # His own client opens: the 404 below is scoping, not a broken page.
    response = page.goto(f"/clients/{rowan.pk}/")
    assert response is not None and response.status == 200
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rowan Fictional")

    # Tamsin's client Harper, by typing her URL: the same page as a missing record, and no data.
    response = page.goto(f"/clients/{harper.pk}/")
    assert response is not None and response.status == 404
    expect(page).to_have_title(re.compile(r"^Not found"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(page.locator("body")).not_to_contain_text("Harper")
    expect(page.locator("body")).not_to_contain_text("Notreal")

    denied = AuditEvent.objects.filter(action="client.view", outcome="denied", client_id=harper.pk)
    assert list(denied.values_list("actor_id", "actor_email", "organization_id", "object_id")) == [
        (toby.pk, toby.email, world.org_a.pk, str(harper.pk))
    ]

    # Avery (org admin), in a second browser with its own session, finds it in the audit log.
    admin = pages.open()
    sign_in(admin, avery)
    admin.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log").click()
    expect(admin.get_by_role("heading", name="Audit log")).to_be_visible()
    admin.get_by_label("Outcome").select_option(label="Denied")
    admin.get_by_role("button", name="Filter").click()
    expect(admin).to_have_url(re.compile(r"[?&]outcome=denied(&|$)"))

    rows = admin.locator("table tbody tr")
    expect(rows).to_have_count(1)  # only denials: Avery's and Toby's sign-ins are filtered out
    cells = rows.first.locator("td")
    expect(cells.nth(1)).to_have_text(toby.email)
    expect(cells.nth(2)).to_have_text("Trainee")
    expect(cells.nth(3)).to_have_text("Client record opened")
    expect(cells.nth(4)).to_have_text(f"client {harper.pk}")
    expect(cells.nth(5)).to_have_text(str(harper.pk))
    expect(cells.nth(6)).to_have_text("Denied")
