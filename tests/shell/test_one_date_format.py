"""One date format on every page: templates use the shared filters (``when``, ``day``, ``clock``),
never a ``|date:"..."`` or ``|time:"..."`` of their own (issue #12 item 2)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone
from tests.shell.crawl import keys_on

SRC = Path(__file__).resolve().parents[2] / "src" / "kapstone"
OWN_FORMAT = re.compile(r"\|\s*(?:date|time)\s*:")


def test_no_template_formats_a_date_its_own_way() -> None:
    offenders = [
        f"{path.relative_to(SRC)}:{number}"
        for path in sorted(SRC.rglob("templates/**/*"))
        if path.is_file() and path.suffix in {".html", ".txt", ".md"}
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if OWN_FORMAT.search(line)
    ]
    assert offenders == []


def test_the_capability_apps_show_a_workshop_in_the_persons_zone_and_clock() -> None:
    page = Template("{{ w.starts_at|when }}–{{ w.ends_at|clock }}")
    starts = datetime(2026, 12, 2, 17, 0, tzinfo=UTC)
    with timezone.override(ZoneInfo("America/New_York")):
        out = page.render(Context({"w": {"starts_at": starts, "ends_at": starts.replace(hour=19)}}))
    assert out == "2 Dec 2026, 12:00 EST–14:00 EST"


@pytest.mark.django_db
def test_the_capability_apps_pages_show_no_internal_key(world: Any, as_user: Any) -> None:
    names = ("training:home", "training:journal", "practicum:home", "practicum:ledger", "practicum:desk",
             "community:home", "community:workshops", "community:referrals", "community:mentorship",
             "community:library", "consultation:home", "credentials:mine")  # fmt: skip
    found: dict[str, list[str]] = {}
    opened = 0
    for persona in ("avery", "theo", "sam", "toby"):
        http = as_user(persona)
        for name in names:
            response = http.get(reverse(name))
            if response.status_code != 200:
                continue  # not this persona's page (the access oracle covers who may open what)
            opened += 1
            if keys := keys_on(response.content.decode()):
                found[f"{persona} {name}"] = keys
    assert opened >= len(names) and found == {}, found
