"""The practicum ledger: logging, verifying, returning, reversing; hours that count themselves; the
side-by-side check; and who may see what."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from practicum_helpers import actor, kap_session, log, supervise, verify

from kapstone.audit.models import AuditEvent
from kapstone.core.contract import NotYours, Refused, Stale
from kapstone.practicum import selectors, services
from kapstone.practicum.core import Status
from kapstone.practicum.models import LedgerEntry, VerifiedEntryError

pytestmark = pytest.mark.django_db
YESTERDAY = timezone.localdate() - dt.timedelta(days=1)


def verdict(world: Any, set_id: str, rid: str) -> Any:
    view = selectors.ledger(actor(world, "toby"), world.users["toby"])
    report = next(r for r in view.reports if r.set_id == set_id)
    return next(v for v in report.verdicts if v.requirement_id == rid)


def test_logged_hours_count_once_verified_and_a_verified_entry_never_changes(world: Any) -> None:
    supervise(world)
    entry = log(world, 600, topics=("co.ethics",))
    assert entry.status == "pending"
    found = verdict(world, "colorado_natural_medicine_facilitator", "co_ethics")
    assert found.message == "0 h of 25 h: 25 h missing (10 h more logged, waiting for verification)"
    verify(world, entry)
    entry.refresh_from_db()
    assert entry.status == "verified" and entry.reviewed_by == world.users["sam"]
    assert (
        verdict(world, "colorado_natural_medicine_facilitator", "co_ethics").message
        == "10 h of 25 h: 15 h missing"
    )
    entry.minutes = 6000
    with pytest.raises(VerifiedEntryError):
        entry.save()
    with pytest.raises(VerifiedEntryError):
        entry.delete()
    assert LedgerEntry.objects.get(pk=entry.pk).minutes == 600


def test_a_correction_is_a_reversing_entry_verified_like_any_other(world: Any) -> None:
    supervise(world)
    entry = log(world, 600, topics=("co.ethics",))
    verify(world, entry)
    reversal = services.entry_reverse(
        actor(world, "toby"), entry_id=entry.pk, reason="It was 6 hours, not 10."
    )
    assert reversal.reverses_id == entry.pk and reversal.status == "pending"
    # While the reversal waits, the reversed entry no longer counts (fail closed).
    assert verdict(world, "colorado_natural_medicine_facilitator", "co_ethics").have == 0
    verify(world, reversal)
    assert verdict(world, "colorado_natural_medicine_facilitator", "co_ethics").have == 0
    with pytest.raises(Refused, match="already has a reversal|Only a verified"):
        services.entry_reverse(actor(world, "toby"), entry_id=entry.pk, reason="again")
    assert LedgerEntry.objects.get(pk=entry.pk).status == "verified"  # the original stands, untouched


def test_returning_needs_a_comment_and_a_returned_entry_does_not_count(world: Any) -> None:
    supervise(world)
    entry = log(world, 600, topics=("co.ethics",))
    with pytest.raises(Refused, match="Say why"):
        verify(world, entry, "return")
    verify(world, entry, "return", "This was the cohort's social evening, not instruction.")
    entry.refresh_from_db()
    assert entry.status == "returned" and "social evening" in entry.review_comment
    assert verdict(world, "colorado_natural_medicine_facilitator", "co_ethics").pending == 0


def test_a_stale_review_is_refused(world: Any) -> None:
    from kapstone.practicum.services import entry_review

    supervise(world)
    entry = log(world)
    with pytest.raises(Stale):
        entry_review(actor(world, "sam"), entry_id=entry.pk, decision="verify", version=entry.version + 1)
    assert LedgerEntry.objects.get(pk=entry.pk).status == "pending"


@pytest.mark.parametrize(
    ("kwargs", "field", "reason"),
    [
        ({"occurred_on": timezone.localdate() + dt.timedelta(days=1)}, "occurred_on", "not come yet"),
        ({"minutes": 0}, "minutes", "more than zero"),
        ({"minutes": -30}, "minutes", "more than zero"),
        ({"kind": "group_consultation", "group_size": 9}, "group_size", "larger than any enabled"),
        ({"kind": "group_consultation"}, "group_size", "Give the group's size"),
        ({"topics": ("co.knitting",)}, "topics", "Unknown topic"),
    ],
)
def test_bad_input_is_refused_with_the_reason_and_nothing_written(
    world: Any, kwargs: dict[str, Any], field: str, reason: str
) -> None:
    supervise(world)
    with pytest.raises(Refused) as caught:
        log(world, **kwargs)
    assert caught.value.field == field and reason in caught.value.reason
    assert not LedgerEntry.objects.exists()


def test_self_verification_and_an_unnamed_supervisor_are_refused(world: Any) -> None:
    supervise(world)
    with pytest.raises(Refused, match="your own hours"):
        log(world, supervisor_id=world.users["toby"].pk)
    with pytest.raises(Refused, match="one of your supervisors"):
        log(world, supervisor_id=world.users["theo"].pk)
    assert not LedgerEntry.objects.exists()


def test_overlapping_entries_for_the_same_person_are_refused(world: Any) -> None:
    supervise(world)
    log(world, 20 * 60, kind="experiential")
    with pytest.raises(Refused, match="more than 24 hours"):
        log(world, 5 * 60, kind="personal_practice")
    with pytest.raises(Refused, match="already logged"):
        log(world, 20 * 60, kind="experiential")  # the same entry twice
    assert LedgerEntry.objects.count() == 1


def test_entries_with_start_times_cannot_overlap(world: Any) -> None:
    supervise(world)
    log(world, 120, kind="co_facilitated_session", session_kind="integration", starts_at=dt.time(9, 0))
    with pytest.raises(
        Refused, match="overlaps the co-facilitated session logged from 09:00 for 120 minutes"
    ):
        log(world, 60, kind="individual_consultation", starts_at=dt.time(10, 30))
    log(world, 60, kind="individual_consultation", starts_at=dt.time(11, 0))  # back to back is fine
    with pytest.raises(Refused, match="ends on the day it starts"):
        log(world, 120, kind="personal_practice", starts_at=dt.time(23, 0))
    assert LedgerEntry.objects.count() == 2


def test_double_submit_with_the_same_key_writes_one_entry(world: Any) -> None:
    supervise(world)
    first = log(world, idempotency_key="k-1")
    second = log(world, idempotency_key="k-1")
    assert first.pk == second.pk and LedgerEntry.objects.count() == 1


def test_a_co_signed_kap_session_counts_itself_the_moment_it_is_co_signed(world: Any) -> None:
    supervise(world)
    pending = kap_session(world, cosign=False, minutes=240)
    assert verdict(world, "kap_certificate", "kap_sessions").have == 0
    from kapstone.notes.services import note_cosign

    note_cosign(actor(world, "sam"), pending)
    found = verdict(world, "kap_certificate", "kap_sessions")
    assert found.have == 1 and found.message == "1 of 18: 17 missing"
    co = verdict(world, "colorado_natural_medicine_facilitator", "practicum_administration")
    assert co.have == 4
    view = selectors.ledger(actor(world, "toby"), world.users["toby"])
    [derived] = view.derived
    assert derived.source_label == "Session note co-signed by a supervisor"
    assert (
        derived.earned.kind == "led_under_supervision"
        and derived.earned.supervisor_id == world.users["sam"].pk
    )
    assert "Rowan" not in derived.earned.label  # counted, not named


def test_a_supervision_meeting_counts_as_consultation_for_each_attendee(world: Any) -> None:
    supervise(world)
    services.meeting_record(
        actor(world, "sam"), attendee_ids=[world.users["toby"].pk], occurred_on=YESTERDAY, minutes=120,
        topics="Holding silence in a dosing session", actions="Read chapter 4",
    )  # fmt: skip
    assert verdict(world, "kap_certificate", "individual_consultations").have == 1
    with pytest.raises(Refused, match="trainees you supervise"):
        services.meeting_record(actor(world, "sam"), attendee_ids=[world.users["theo"].pk],
                                occurred_on=YESTERDAY, minutes=60, topics="x")  # fmt: skip


def test_a_fact_a_supervisor_records_decides_a_cannot_tell(world: Any) -> None:
    supervise(world)
    assert verdict(world, "oregon_psilocybin_facilitator", "exam").status is Status.CANNOT_TELL
    services.fact_record(
        actor(world, "sam"), trainee_id=world.users["toby"].pk, fact="or.exam_passed", value=True
    )
    assert verdict(world, "oregon_psilocybin_facilitator", "exam").status is Status.MET


def test_side_by_side_shows_every_enabled_set_and_a_program_can_enable_fewer(world: Any) -> None:
    from kapstone.practicum.models import Program

    supervise(world)
    view = selectors.ledger(actor(world, "toby"), world.users["toby"])
    assert [s["report"].set_id for s in selectors.side_by_side(view)] == [
        "colorado_natural_medicine_facilitator", "kap_certificate", "oregon_psilocybin_facilitator",
    ]  # fmt: skip
    Program.objects.create(organization=world.org_a, enabled_sets=["kap_certificate"])
    view = selectors.ledger(actor(world, "toby"), world.users["toby"])
    assert [r.set_id for r in view.reports] == ["kap_certificate"]


# --- Who may see what ------------------------------------------------------------------------------------


def test_a_supervisor_reaches_only_their_trainees_and_the_denial_is_audited(world: Any) -> None:
    assert selectors.my_trainees(actor(world, "sam")) == []
    with pytest.raises(NotYours):
        selectors.trainee_get(actor(world, "sam"), world.users["toby"].pk)
    assert AuditEvent.objects.filter(action="practicum.trainee", outcome="denied").exists()
    supervise(world)
    assert selectors.trainee_get(actor(world, "sam"), world.users["toby"].pk) == world.users["toby"]


def test_only_the_named_supervisor_verifies(world: Any) -> None:
    from tests.notes.notes_helpers import add_supervisor

    supervise(world)
    add_supervisor(world, "sol")
    supervise(world, "sol")
    entry = log(world)
    from kapstone.core.actor import Actor
    from kapstone.practicum.services import entry_review

    as_sol = Actor(user=world.users["sol"], organization=world.org_a, roles=frozenset({"supervisor"}))
    with pytest.raises(Refused, match="Only the supervisor the trainee named"):
        entry_review(as_sol, entry_id=entry.pk, decision="verify", version=entry.version)
    assert LedgerEntry.objects.get(pk=entry.pk).status == "pending"


def test_the_ledger_pages_show_the_client_only_to_the_care_team(world: Any) -> None:
    from tests.conftest import signed_in_client

    supervise(world)
    entry = log(world, 120, kind="co_facilitated_session", session_kind="administration",
                client_id=world.clients["rowan"].pk)  # fmt: skip
    verify(world, entry)
    page = signed_in_client(world.users["toby"]).get("/practicum/ledger/")
    assert page.status_code == 200 and "Rowan" in page.content.decode()
    # Sam supervises Toby and is on Rowan's team: sees Rowan. Take Sam off the team: counted, not named.
    from kapstone.clients.models import CareTeamMember

    CareTeamMember.objects.filter(client=world.clients["rowan"], user=world.users["sam"]).delete()
    page = signed_in_client(world.users["sam"]).get(f"/practicum/trainees/{world.users['toby'].pk}/")
    html = page.content.decode()
    assert page.status_code == 200 and "Rowan" not in html and "a client (counted)" in html


def test_the_entry_form_keeps_typed_text_when_refused(world: Any) -> None:
    from tests.conftest import signed_in_client

    supervise(world)
    http = signed_in_client(world.users["toby"])
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = http.post("/practicum/entries/new/", {
        "kind": "didactic_live", "occurred_on": tomorrow, "minutes": "90",
        "supervisor": world.users["sam"].pk,
        "description": "Reading group on set and setting",
    })  # fmt: skip
    assert response.status_code == 422
    html = response.content.decode()
    assert "has not come yet" in html and "Reading group on set and setting" in html
    assert not LedgerEntry.objects.exists()


def test_review_through_the_page_by_another_orgs_member_is_404(world: Any) -> None:
    from tests.conftest import signed_in_client

    supervise(world)
    entry = log(world)
    response = signed_in_client(world.users["olive"]).post(
        f"/practicum/entries/{entry.pk}/review/", {"decision": "verify", "version": entry.version}
    )
    assert response.status_code == 404
    assert LedgerEntry.objects.get(pk=entry.pk).status == "pending"


@pytest.mark.parametrize(("who", "lands"), [("toby", "/practicum/ledger/"), ("sam", "/practicum/desk/"),
                                            ("avery", "/practicum/program/")])  # fmt: skip
def test_the_one_navigation_link_lands_each_role_on_its_page(world: Any, who: str, lands: str) -> None:
    from tests.conftest import signed_in_client

    http = signed_in_client(world.users[who])
    assert http.get("/practicum/")["Location"] == lands
    assert 'href="/practicum/"' in http.get("/dashboard/").content.decode()
    assert (
        'href="/practicum/"' not in signed_in_client(world.users["theo"]).get("/dashboard/").content.decode()
    )


def test_the_database_refuses_to_change_a_verified_entry_below_the_orm(world: Any) -> None:
    from django.db import IntegrityError, InternalError, OperationalError, transaction

    supervise(world)
    entry = log(world, 600)
    verify(world, entry)
    with pytest.raises((IntegrityError, InternalError, OperationalError)), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).update(minutes=6000)
    assert LedgerEntry.objects.get(pk=entry.pk).minutes == 600
