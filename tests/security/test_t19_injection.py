"""T19 (security.md section 7), beside the oracle walk's stored-XSS count (test_t4_t5_t19_t21_walk.py):
forum posts (the one place user text becomes HTML), CSV exports (formula prefixes), and a static rule
scan of src/ for the patterns that turn user data into markup or SQL.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from kapstone.audit.views import _cell as audit_cell
from kapstone.community.forum_services import space_create, topic_create
from kapstone.core.actor import Actor
from kapstone.practicum.export import cell as practicum_cell

SRC = Path(__file__).resolve().parents[2] / "src" / "kapstone"
SCRIPT = "<script>zqx(1)</script>"
ATTRIBUTE = '"><img src=x onerror=zqx(2)>'
# A live payload: a script element, or a real tag (a literal "<", not "&lt;") carrying an event handler
# or a javascript: URL with the canary in it.
LIVE = re.compile(
    r"<script[^<>]*>[^<]*zqx|<[a-zA-Z][^<>]*(?:\son\w+\s*=|(?:href|src)\s*=\s*[\"']?\s*javascript:)[^<>]*zqx"
)
FORUM_BODIES = (
    f"Hello {SCRIPT}",
    f"Hello {ATTRIBUTE}",
    "[a link](javascript:zqx(3))",
    '<a href="javascript:zqx(4)">x</a>',
    "![img](x onerror=zqx(5))",
    "<svg onload=zqx(6)>",
)
PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FORMULA = '=HYPERLINK("http://zq.example","zq")'

# Each mark_safe / |safe in src/ and why the markup in it is not user data raw (file -> count, reason).
SAFE_USES = {
    "training/render.py": (2, "curriculum Markdown sanitised by nh3's allow-list; link keys [A-Za-z0-9_.-]"),
    "training/chart.py": (1, "an SVG chart: every text escaped, numbers formatted"),
    "measures/templatetags/measures.py": (3, "table rows built with every database text escaped"),
    "care/templatetags/care.py": (1, "dosing-room chart points: key and titles escaped, numbers formatted"),
    "community/templates/community/topic.html": (1, "post.html: markdown-it with html off, then nh3"),
    "community/templates/community/moderation.html": (1, "post.html, as above"),
    "templates/accounts/mfa_setup.html": (1, "the QR code SVG made by segno from the otpauth URI"),
}
FORBIDDEN = {
    "mark_safe / |safe outside the list": re.compile(r"mark_safe\(|\|\s*safe\b"),
    ".extra(": re.compile(r"\.extra\("),
    "RawSQL(": re.compile(r"RawSQL\("),
    "**request.GET/POST": re.compile(r"\*\*\s*request\.(GET|POST)"),
    "autoescape off": re.compile(r"autoescape\s+off"),
}


def _actor(world: Any, name: str, role: str) -> Actor:
    return Actor(user=world.users[name], organization=world.org_a, roles=frozenset({role}))


@pytest.mark.django_db
def test_t19_forum_posts_and_csv_exports_carry_no_live_payload(world, as_user, battery):
    space = space_create(_actor(world, "sam", "supervisor"), name="Peers", kind="organization")
    theo = _actor(world, "theo", "therapist")
    for n in range(3):  # published posts make Theo trusted, so his links are accepted (not refused)
        topic_create(theo, space_pk=space.pk, title=f"Hello {n}", body="Hello, peers.")
    topics = [topic_create(theo, space_pk=space.pk, title=f"T {SCRIPT}", body=body) for body in FORUM_BODIES]
    pages = [
        as_user(name).get(f"/community/topics/{post.topic_id}/") for post in topics for name in ("tamsin",)
    ]
    pages.append(as_user("tamsin").get(f"/community/spaces/{space.pk}/"))
    assert all(page.status_code == 200 for page in pages)
    html = [page.content.decode() for page in pages]
    unescaped = sum(len(LIVE.findall(text)) for text in html)
    assert any("&lt;script&gt;zqx(1)" in text for text in html)  # the payloads were really shown

    toby = world.users["toby"]  # a formula as a trainee's name: exported if the cohort export lists him
    toby.full_name = FORMULA
    toby.save(update_fields=["full_name"])
    cells = []
    urls = [reverse("practicum:export", kwargs={"what": what}) for what in ("status", "entries")]
    for url in [*urls, reverse("audit:export")]:
        response = as_user("avery").get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        cells += [cell for row in csv.reader(io.StringIO(body.decode())) for cell in row]
    formulas = [cell for cell in cells if cell[:1] in PREFIXES]
    # The exports' own cell functions, fed every formula prefix (the planted name above need not be
    # in a cohort export; these are what every exported cell passes through).
    fed = [f"{prefix}{FORMULA[1:]}" for prefix in PREFIXES]
    defused = [out for f in (audit_cell, practicum_cell) for out in map(f, fed) if out[:1] not in PREFIXES]
    battery(
        "T19",
        f"forum bodies/titles rendered: {len(FORUM_BODIES) * 2} on {len(pages)} pages, "
        f"unescaped: {unescaped}; "
        f"CSV cells exported (practicum, audit): {len(cells)}, formula prefixes: {len(formulas)}; "
        f"formula-prefixed values defused by the exports' cell functions: {len(defused)}/{2 * len(fed)}",
    )
    assert unescaped == 0
    assert formulas == []
    assert len(defused) == 2 * len(fed)


def test_t19_static_rules_no_user_data_made_safe_no_raw_sql_no_request_splat(battery):
    hits, safe_counts = [], {}
    for path in sorted([*SRC.rglob("*.py"), *SRC.rglob("*.html")]):
        if "migrations" in path.parts:
            continue
        text, name = path.read_text(), str(path.relative_to(SRC))
        for rule, pattern in FORBIDDEN.items():
            found = [m for m in pattern.finditer(text) if not text[: m.start()].rstrip().endswith("import")]
            found = [m for m in found if not text[max(0, m.start() - 12) : m.start()].endswith("import ")]
            if rule.startswith("mark_safe") and found:
                safe_counts[name] = len(found)
            elif found:
                hits.append(f"{name}: {rule}")
    unlisted = {
        name: n for name, n in safe_counts.items() if name not in SAFE_USES or SAFE_USES[name][0] != n
    }
    battery(
        "T19",
        f"static rules over src/ (mark_safe/|safe on user data, .extra(, RawSQL(, **request.GET/POST, "
        f"autoescape off): forbidden-pattern hits: {len(hits) + len(unlisted)}; "
        f"allowed mark_safe/|safe uses, each with a reason: {sum(n for n, _ in SAFE_USES.values())}",
    )
    assert hits == [] and unlisted == {}, (hits, unlisted)
