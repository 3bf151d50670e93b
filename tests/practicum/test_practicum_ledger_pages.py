"""The ledger page lists its entries a page at a time, newest first: the trainee and their supervisor
reach every entry through "Older entries", a supervisor reviews a pending entry on any page, and
nobody else reaches any page."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone
from practicum_helpers import supervise
from tests.conftest import signed_in_client

from kapstone.practicum.models import LedgerEntry
from kapstone.practicum.selectors import PAGE_SIZE

pytestmark = pytest.mark.django_db
FIRST_DAY = dt.date(2025, 1, 1)


def _entries(world: Any, count: int) -> list[LedgerEntry]:
    """``count`` entries on consecutive days, the oldest waiting for Sam's verification."""
    return LedgerEntry.objects.bulk_create(
        LedgerEntry(
            organization=world.org_a, trainee=world.users["toby"], supervisor=world.users["sam"],
            kind="didactic_live", minutes=60, occurred_on=FIRST_DAY + dt.timedelta(days=i),
            status="pending" if i == 0 else "verified", topics=["co.ethics"],
            reviewed_by=None if i == 0 else world.users["sam"],
            reviewed_at=None if i == 0 else timezone.now(),
        )
        for i in range(count)
    )  # fmt: skip


def _listed(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-entry="(\d+)"', html)]


def test_the_trainee_pages_through_every_entry_newest_first(world: Any) -> None:
    supervise(world)
    entries = _entries(world, PAGE_SIZE + 3)
    http = signed_in_client(world.users["toby"])
    first = http.get("/practicum/ledger/").content.decode()
    assert _listed(first) == [e.pk for e in reversed(entries)][:PAGE_SIZE]
    assert f"Entries 1 to {PAGE_SIZE} of {PAGE_SIZE + 3}, newest first" in first
    assert 'href="?page=2#entries-h" rel="next">Older entries</a>' in first and "Newer entries" not in first
    # Every entry counts in the check, listed on this page or not.
    assert f"{PAGE_SIZE + 2} h of 25 h: met" in first
    second = http.get("/practicum/ledger/?page=2").content.decode()
    assert _listed(second) == [e.pk for e in reversed(entries[:3])]
    assert "Newer entries" in second and "Older entries" not in second
    listed = set(_listed(first)) | set(_listed(second))
    assert listed == {e.pk for e in entries}


@pytest.mark.parametrize(
    ("asked", "shown"), [("99", 2), ("0", 1), ("-1", 1), ("two", 1), ("%C2%B2", 1), ("", 1)]
)
def test_a_page_out_of_range_or_not_a_number_shows_the_nearest_page(
    world: Any, asked: str, shown: int
) -> None:
    supervise(world)
    _entries(world, PAGE_SIZE + 3)
    html = signed_in_client(world.users["toby"]).get(f"/practicum/ledger/?page={asked}").content.decode()
    assert f"Page {shown} of 2" in html


def test_a_supervisor_reviews_a_pending_entry_on_an_older_page(world: Any) -> None:
    supervise(world)
    oldest = _entries(world, PAGE_SIZE + 3)[0]
    url = f"/practicum/trainees/{world.users['toby'].pk}/"
    http = signed_in_client(world.users["sam"])
    assert oldest.pk not in _listed(http.get(url).content.decode())
    second = http.get(f"{url}?page=2").content.decode()
    assert oldest.pk in _listed(second) and f'id="comment-{oldest.pk}"' in second


def test_no_page_of_a_ledger_reaches_anyone_but_the_trainee_and_their_supervisor(world: Any) -> None:
    _entries(world, PAGE_SIZE + 3)  # Sam does not supervise Toby
    url = f"/practicum/trainees/{world.users['toby'].pk}/?page=2"
    assert signed_in_client(world.users["sam"]).get(url).status_code == 404
    assert signed_in_client(world.users["olive"]).get(url).status_code in (403, 404)


def test_a_ledger_that_fits_one_page_shows_no_pager(world: Any) -> None:
    supervise(world)
    _entries(world, 3)
    html = signed_in_client(world.users["toby"]).get("/practicum/ledger/").content.decode()
    assert len(_listed(html)) == 3 and "Older entries" not in html and "Page 1 of" not in html
