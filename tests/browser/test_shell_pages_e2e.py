"""Issue #12's done-when, in a real browser: every main page, as the persona who uses it, at
1366×900 (desktop), 1024×768 (tablet) and 390×844 (phone), and the tablet users' pages at 768×1024
(upright) — no horizontal scrolling, no text under 12 px (chart text by its rendered size), no control
under 44 px, no internal key on screen, and axe-core (vendored, tests/browser/
vendor/) finds no serious or critical violation. A screenshot of each is saved in
test-results/shell/, and the index of what was checked (page × size) is written to
tests/browser/shell_pages_index.md (committed; the images are not)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kapstone.core.labels import internal_keys

HERE = Path(__file__).resolve().parent
AXE = HERE / "vendor" / "axe.min.js"
SHOTS = HERE.parents[1] / "test-results" / "shell"
INDEX = HERE / "shell_pages_index.md"
SIZES = ((1366, 900), (1024, 768), (390, 844))
TABLET_PORTRAIT = (768, 1024)
# The people who carry a tablet into the dosing and therapy rooms: their pages are checked upright too.
TABLET_PERSONAS = frozenset({"theo", "priya"})
_ROWS: list[str] = []
PERSONAS = ("theo", "priya", "sam", "avery", "rowan_portal")

# What is measured in the page: overflow, text smaller than 12 px, controls under 44 px, and the text.
_MEASURE = """() => {
  const visible = (el) => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; };
  const small = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode; const el = node.parentElement;
    if (!node.textContent.trim() || !el || !visible(el)) continue;
    if (el.closest('.visually-hidden, .skip-link')) continue;
    let size = parseFloat(getComputedStyle(el).fontSize);
    const text = node.textContent.trim().slice(0, 30);
    if (el.closest('svg') && el.getScreenCTM) {
      // Chart text is drawn in the SVG's user units: its size on screen is the computed size times
      // the SVG's scale (viewBox to the box it is drawn in), not the computed size alone.
      const m = el.getScreenCTM();
      const scale = m ? Math.hypot(m.a, m.b) : 1;
      size = Math.round(size * scale * 10) / 10;
      if (size < 12) small.push(`svg ${el.tagName.toLowerCase()} ${size}px rendered "${text}"`);
      continue;
    }
    if (size < 12) small.push(`${el.tagName.toLowerCase()} ${size}px "${text}"`);
  }
  const targets = [];
  const controls = 'button, input:not([type=hidden]), select, textarea, summary, a.button, nav a';
  for (const el of document.querySelectorAll(controls)) {
    if (!visible(el) || el.closest('.skip-link')) continue;
    let box = el.getBoundingClientRect();
    if (el.matches('input[type=checkbox], input[type=radio]') && el.labels && el.labels.length) {
      box = el.labels[0].getBoundingClientRect();  // the label is the target: it toggles the box
    }
    const name = (el.innerText || el.value || el.name || '').trim().slice(0, 30);
    if (box.height < 44) targets.push(`${el.tagName.toLowerCase()} "${name}" ${Math.round(box.height)}px`);
  }
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (el.getBoundingClientRect().right > window.innerWidth + 1 && !el.closest('.table-scroll')
        && ![...el.children].some(c => c.getBoundingClientRect().right > window.innerWidth + 1)) {
      wide.push(`${el.tagName.toLowerCase()}.${[...el.classList].join('.')}`);
    }
  }
  return {overflow: document.documentElement.scrollWidth - window.innerWidth, wide: wide.slice(0, 4),
          small: small.slice(0, 8), targets: targets.slice(0, 8), text: document.body.innerText};
}"""
_AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`);
}"""


def _dosing_room(world: Any) -> list[str]:
    """A dosing session under way for Rowan (ready, cleared, consented), with one low reading."""
    from django.urls import reverse
    from tests.care.care_helpers import actor, record_vitals, started
    from tests.readiness_helpers import make_ready

    make_ready(world)
    session = started(world)
    low = {"systolic": 128, "diastolic": 80, "heart_rate": 70, "spo2": 91, "respiratory_rate": 9}
    record_vitals(actor(world, "theo"), session, low)  # two alerts to acknowledge
    return [
        reverse("care:dosing", kwargs={"pk": session.pk}),
        reverse("care:course", kwargs={"pk": session.course_id}),
    ]


def _pages(world: Any) -> dict[str, list[str]]:
    from django.urls import reverse

    rowan = {"pk": world.clients["rowan"].pk}
    client_pages = ("clients:detail", "intake:detail", "screening:list", "intake:consent",
                    "care:client_courses", "measures:client", "notes:client_notes")  # fmt: skip
    return {
        "theo": ["/dashboard/", "/clients/", *(reverse(name, kwargs=rowan) for name in client_pages),
                 reverse("measures:caseload"), "/preferences/"],
        "priya": ["/dashboard/"],
        "sam": ["/dashboard/", reverse("notes:cosign_queue")],
        "avery": ["/dashboard/", reverse("accounts:members"), reverse("audit:log"),
                  "/organization/settings/"],
        "rowan_portal": ["/portal/", reverse("portal:choices")],
    }  # fmt: skip


@pytest.fixture(scope="module", autouse=True)
def _index() -> Iterator[None]:
    _ROWS.clear()
    yield
    personas = {row.split("|")[1].strip() for row in _ROWS}
    if len(personas) == len(PERSONAS):  # a partial run (-k) leaves the committed index as it was
        header = [
            "# Shell pages checked in the browser (tests/browser/test_shell_pages_e2e.py)",
            "",
            "Each page as its persona at three sizes (and 768×1024 for the tablet users, the therapist",
            "and the prescriber): horizontal overflow, text under 12 px (chart text by its rendered",
            "size: computed size × the SVG's scale), controls under 44 px, internal keys on screen,",
            "axe-core serious/critical violations. Screenshots go to test-results/shell/ (not committed).",
            "",
            "| Persona | Page | Size | Result |",
            "|---|---|---|---|",
        ]
        INDEX.write_text("\n".join([*header, *sorted(_ROWS)]) + "\n")


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_main_page_fits_reads_and_passes_axe_at_three_sizes(
    persona: str, browser: Any, live_server: Any, signed_in: Any, world: Any
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(base_url=live_server.url, bypass_csp=True, locale="en-US")
    context.set_default_timeout(15_000)
    page = context.new_page()
    signed_in(page, world.users[persona])
    paths = _pages(world)[persona] + (_dosing_room(world) if persona == "theo" else [])
    problems: dict[str, list[str]] = {}
    try:
        for path in paths:
            for width, height in (*SIZES, *([TABLET_PORTRAIT] if persona in TABLET_PERSONAS else [])):
                page.set_viewport_size({"width": width, "height": height})
                response = page.goto(path)
                assert response is not None and response.status == 200, (persona, path)
                found = page.evaluate(_MEASURE)
                page.add_script_tag(path=str(AXE))
                serious = page.evaluate(_AXE_RUN)
                issues = []
                if found["overflow"] > 0:
                    issues.append(f"{found['overflow']}px wider than the viewport: {found['wide']}")
                issues += [f"small text: {s}" for s in found["small"]]
                issues += [f"small target: {t}" for t in found["targets"]]
                issues += [f"internal key: {k}" for k in internal_keys(found["text"])]
                issues += [f"axe: {v}" for v in serious]
                slug = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"
                page.screenshot(path=str(SHOTS / f"{persona}-{slug}-{width}x{height}.png"), full_page=True)
                key = f"{path} {width}x{height}"
                result = "ok" if not issues else f"{len(issues)} problem(s)"
                _ROWS.append(f"| {persona} | `{path}` | {width}×{height} | {result} |")
                if issues:
                    problems[key] = issues
    finally:
        context.close()
    assert problems == {}, json.dumps(problems, indent=1)


def test_dosing_room_alerts_name_the_reading_and_never_cover_the_entry_forms(
    browser: Any, live_server: Any, signed_in: Any, world: Any
) -> None:
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    page = context.new_page()
    signed_in(page, world.users["theo"])
    dosing = _dosing_room(world)[0]
    try:
        for width, height in ((1024, 768), (768, 1024)):
            page.set_viewport_size({"width": width, "height": height})
            page.goto(dosing)
            alerts = page.locator("#alerts")
            text = alerts.inner_text()
            assert "Respiratory rate 9 /min" in text or "Respiratory rate 9" in text, text
            assert "respiratory_rate" not in text and "spo2" not in text
            overlaps = page.evaluate("""() => {
                const a = document.querySelector('#alerts').getBoundingClientRect();
                return [...document.querySelectorAll('.dosing form:not(.ack-form)')].filter(f => {
                    const r = f.getBoundingClientRect();
                    const apart = r.bottom <= a.top || r.top >= a.bottom
                        || r.right <= a.left || r.left >= a.right;
                    return r.height > 0 && !apart;
                }).map(f => f.getAttribute('action'));
            }""")
            assert overlaps == [], (width, height, overlaps)
            assert page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") <= 0
    finally:
        context.close()
