"""Emergency access (break-glass, T16) in the browser: from the not-found page to the record, by
keyboard, with a reason; then the admin reviews it from the desk. Each page passes axe-core (serious
and critical) with no control under 44 px."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from kapstone.clients.models import BreakGlassGrant

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
REASON = "Rowan rang the clinic in crisis and Theo is on a flight; I am the clinician on call."

_CHECK = """async () => {
  const visible = (el) => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; };
  const small = [...document.querySelectorAll('button, input:not([type=hidden]), select, textarea, a.button')]
    .filter(visible).filter(el => el.getBoundingClientRect().height < 44)
    .map(el => `${el.tagName.toLowerCase()} "${(el.innerText || el.name || '').trim().slice(0, 30)}"`);
  const result = await axe.run(document, {resultTypes: ['violations']});
  const serious = result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.id}: ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`);
  return [...small, ...serious];
}"""


def _problems(page: Any) -> list[str]:
    return page.evaluate(_CHECK)  # axe arrives as an init script: the page's CSP allows no inline script


def test_a_clinician_opens_a_record_in_an_emergency_and_the_admin_reviews_it(
    pages: Any, page: Any, sign_in: Any, world: Any
) -> None:
    rowan = world.clients["rowan"]
    page.context.add_init_script(path=str(AXE))
    sign_in(page, world.users["tamsin"])
    response = page.goto(f"/clients/{rowan.pk}/")
    assert response is not None and response.status == 404
    page.get_by_role("main").get_by_role("link", name="emergency access").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Emergency access to a client's record")
    assert _problems(page) == []

    search = page.get_by_label("Client's name or record number")
    search.fill("Fictional")
    search.press("Enter")
    page.get_by_role("link", name="Ask for emergency access to Rowan Fictional").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Emergency access to Rowan Fictional")
    assert _problems(page) == []

    page.get_by_role("button", name=re.compile(r"^Open the record")).click()  # no reason yet
    expect(page.locator(".has-error")).to_contain_text("required")
    page.get_by_label("Why do you need this record now?").fill(REASON)
    page.get_by_role("button", name=re.compile(r"^Open the record")).press("Enter")
    expect(page).to_have_url(re.compile(rf"/clients/{rowan.pk}/$"))
    expect(page.locator("body")).to_contain_text("Emergency access")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rowan Fictional")

    grant = BreakGlassGrant.objects.get()
    admin = pages.open()
    admin.context.add_init_script(path=str(AXE))
    sign_in(admin, world.users["avery"])
    queue = admin.locator("#queue-org_admin-break_glass")
    expect(queue).to_contain_text("Tamsin Test opened record")
    queue.get_by_role("link", name=re.compile("Tamsin Test opened record")).click()
    expect(admin.locator("body")).to_contain_text(REASON)
    expect(admin.locator("body")).to_contain_text("Client record opened")
    assert _problems(admin) == []
    admin.get_by_label("Review comment").fill("Spoke to Tamsin and Theo: justified.")
    admin.get_by_role("button", name="Mark reviewed").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Emergency access review")
    assert _problems(admin) == []
    grant.refresh_from_db()
    assert grant.review_comment == "Spoke to Tamsin and Theo: justified."
