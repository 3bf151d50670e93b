"""The clearance form offers only the decisions that are possible (issue #12 item 5): a
contraindicated screening offers "Decline" and, as its own choice behind a disclosure that needs a
reason, the prescriber override the rule set allows; never a plain "Cleared". The server keeps the
rule whatever is posted."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse
from tests.clients.intake_helpers import submitted_screening

from kapstone.screening.models import Clearance

pytestmark = pytest.mark.django_db


def _url(world: Any, evaluation: Any) -> str:
    return reverse("screening:decide", kwargs={"pk": world.clients["rowan"].pk, "eid": evaluation.pk})


def _radios(html: str) -> list[str]:
    return re.findall(r'<input type="radio" name="decision" value="([a-z_]+)"', html)


def test_a_contraindicated_screening_offers_decline_and_the_override_behind_a_disclosure(
    world: Any, as_user: Any
) -> None:
    evaluation = submitted_screening(world, aneurysmal_vascular_disease=True)
    assert evaluation.outcome == "contraindicated"
    page = as_user("priya").get(_url(world, evaluation)).content.decode()
    assert _radios(page) == ["declined", "override"]
    assert '<details class="override">' in page and "<summary>Override the contraindication</summary>" in page
    start = page.index('<details class="override">')
    disclosure = page[start : page.index("</details>", start)]
    assert 'value="override"' in disclosure and 'name="override_reason"' in disclosure
    assert ">Cleared<" not in page and ">Cleared with conditions<" not in page


def test_the_override_without_a_reason_is_refused_and_with_one_clears(world: Any, as_user: Any) -> None:
    evaluation = submitted_screening(world, aneurysmal_vascular_disease=True)
    priya = as_user("priya")
    refused = priya.post(_url(world, evaluation), {"decision": "override", "note": "Weighed it."})
    assert refused.status_code == 400 and not Clearance.objects.exists()
    body = refused.content.decode()
    assert '<details class="override" open>' in body and "document the reason for overriding it" in body

    # A plain "cleared" posted by hand is refused by the service too.
    by_hand = priya.post(_url(world, evaluation), {"decision": "cleared", "note": "Weighed it."})
    assert by_hand.status_code == 400 and not Clearance.objects.exists()

    reason = "Repaired 2019; the vascular surgeon's letter is on file (fictional)."
    done = priya.post(
        _url(world, evaluation), {"decision": "override", "note": "Weighed it.", "override_reason": reason}
    )
    assert done.status_code == 302
    clearance = Clearance.objects.get()
    assert (clearance.decision, clearance.override_reason) == ("cleared", reason)


def test_a_complete_screening_without_contraindication_keeps_the_three_decisions(
    world: Any, as_user: Any
) -> None:
    evaluation = submitted_screening(world)
    page = as_user("priya").get(_url(world, evaluation)).content.decode()
    assert _radios(page) == ["cleared", "cleared_with_conditions", "declined"]
    assert 'class="override"' not in page
