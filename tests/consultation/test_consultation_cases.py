"""Case consultation: from a planted record to a posted, reviewed case, feedback, a flag, a close."""

from __future__ import annotations

import re
from typing import Any

import pytest
from consult_helpers import PLANTED, accept_all, actor, group, plant

from kapstone.audit.models import AuditEvent
from kapstone.consultation import services
from kapstone.consultation.models import Case, CaseSnapshot, Proposal
from kapstone.core.contract import NotYours, Refused, Stale

pytestmark = pytest.mark.django_db


def new_case(world: Any, note: Any) -> Case:
    return services.case_create(
        actor(world, "theo"),
        client=world.clients["rowan"],
        summary="Rowan Fictional asks about integration pacing.",
        note_ids=[note.pk],
    )


def posted(world: Any) -> tuple[Case, Any]:
    note = plant(world)
    g = group(world)
    case = accept_all(world, new_case(world, note))
    services.case_post(actor(world, "theo"), case=case, group=g, expected_version=case.version)
    case.refresh_from_db()
    return case, g


def leaks(html: str) -> list[str]:
    return [v for v in PLANTED if v.lower() in html.lower()]


def test_the_engine_proposes_a_removal_for_every_planted_identifier(world: Any) -> None:
    case = new_case(world, plant(world))
    text = services.final_text(case)  # every suggestion, before any decision
    assert leaks(text) == []
    assert case.status == Case.Status.DRAFT
    flags = case.proposals.filter(kind=Proposal.Kind.FLAG)
    assert {case.source_text[p.start : p.end] for p in flags} >= {"judge", "small town"}


def test_a_case_with_undecided_proposals_is_held_not_posted(world: Any) -> None:
    case = new_case(world, plant(world))
    g = group(world)
    with pytest.raises(Refused, match="Held: .* still need your decision"):
        services.case_post(actor(world, "theo"), case=case, group=g, expected_version=case.version)
    case.refresh_from_db()
    assert case.status == Case.Status.DRAFT and not CaseSnapshot.objects.exists()


def test_a_value_from_the_record_cannot_be_kept(world: Any) -> None:
    case = new_case(world, plant(world))
    known = case.proposals.filter(source="known").first()
    assert known is not None
    with pytest.raises(Refused, match="cannot be kept"):
        services.case_review(
            actor(world, "theo"),
            case=case,
            expected_version=case.version,
            decisions={known.pk: services.Decision("keep", reason="it is fine")},
        )
    known.refresh_from_db()
    assert known.decision == ""


def test_an_edit_that_puts_a_known_value_back_holds_the_case(world: Any) -> None:
    case = accept_all(world, new_case(world, plant(world)))
    g = group(world)
    p = case.proposals.filter(source="known", cls="name").first()
    assert p is not None
    services.case_review(
        actor(world, "theo"),
        case=case,
        expected_version=case.version,
        decisions={p.pk: services.Decision("edit", replacement="her friend Dmitri")},
    )
    case.refresh_from_db()
    with pytest.raises(Refused, match="still holds a value from the client's record"):
        services.case_post(actor(world, "theo"), case=case, group=g, expected_version=case.version)
    assert not CaseSnapshot.objects.exists()


def test_a_stale_review_is_refused(world: Any) -> None:
    case = accept_all(world, new_case(world, plant(world)))
    with pytest.raises(Stale):
        services.case_review(actor(world, "theo"), case=case, decisions={}, expected_version=case.version - 1)


def test_psychotherapy_notes_and_drafts_never_enter_a_case(world: Any) -> None:
    from kapstone.notes.services import draft_create, psychnote_create

    theo = actor(world, "theo")
    psych = psychnote_create(theo, world.clients["rowan"], body="private process")
    draft = draft_create(theo, world.clients["rowan"], "dap", sections={"data": "d"})
    for pk in (psych.pk + 10_000, draft.pk):
        with pytest.raises(Refused, match="signed progress notes"):
            services.case_create(theo, client=world.clients["rowan"], summary="s", note_ids=[pk])
    assert not Case.objects.exists()


def test_only_the_care_team_makes_a_case_from_a_client(world: Any) -> None:
    for name in ("tamsin", "olive"):
        with pytest.raises(NotYours):
            services.case_create(actor(world, name), client=world.clients["rowan"], summary="s", note_ids=[])


def test_members_read_only_the_reviewed_text_and_each_view_is_audited(world: Any, as_user: Any) -> None:
    case, g = posted(world)
    http = as_user("tamsin")  # a member who is not on Rowan's care team
    for url in (f"/consultation/cases/{case.pk}/", f"/consultation/groups/{g.pk}/", "/consultation/"):
        response = http.get(url)
        assert response.status_code == 200, url
        assert leaks(response.content.decode()) == [], url
    page = http.get(f"/consultation/cases/{case.pk}/").content.decode()
    assert "[CLIENT]" in page and f"/clients/{world.clients['rowan'].pk}" not in page
    assert as_user("sam").get(f"/consultation/cases/{case.pk}/").status_code == 200
    views = AuditEvent.objects.filter(action="consultation.case.view", object_id=str(case.pk))
    assert (
        views.count() == 3 and not views.exclude(client_id=None).exists()
    )  # no client id leaves with a read
    assert AuditEvent.objects.filter(action="consultation.case.post", object_id=str(case.pk)).count() == 1


@pytest.mark.parametrize("name", ["toby", "olive", "avery"])
def test_non_members_and_other_organizations_get_404_audited(world: Any, as_user: Any, name: str) -> None:
    case, _ = posted(world)
    http = as_user(name)
    assert http.get(f"/consultation/cases/{case.pk}/").status_code == 404
    if name != "avery":
        assert http.post(f"/consultation/cases/{case.pk}/feedback/", {"body": "hi"}).status_code == 404
    assert AuditEvent.objects.filter(actor_id=world.users[name].pk, outcome="denied").exists()
    assert not case.feedback.exists()


def test_feedback_markup_is_shown_as_text(world: Any, as_user: Any) -> None:
    case, _ = posted(world)
    response = as_user("priya").post(
        f"/consultation/cases/{case.pk}/feedback/",
        {"body": '<script>alert("x")</script><b>bold</b>'},
        follow=True,
    )
    html = response.content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    assert (
        case.feedback.get().body == '<script>alert("x")</script><b>bold</b>'
    )  # kept as typed, shown escaped


def test_a_flag_hides_the_case_at_once_and_returns_it_to_its_author(world: Any, as_user: Any) -> None:
    case, g = posted(world)
    response = as_user("tamsin").post(
        f"/consultation/cases/{case.pk}/flag/", {"reason": "the town in paragraph 1"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Case.Status.RETURNED and case.flagged_by == world.users["tamsin"]
    assert as_user("sam").get(f"/consultation/cases/{case.pk}/").status_code == 404
    assert (
        f"/consultation/cases/{case.pk}/"
        not in as_user("sam").get(f"/consultation/groups/{g.pk}/").content.decode()
    )
    review = as_user("theo").get(f"/consultation/cases/{case.pk}/review/")
    assert review.status_code == 200 and "the town in paragraph 1" in review.content.decode()
    assert services.case_redact_more(actor(world, "theo"), case=case, phrase="recognisable") == 1
    services.case_post(actor(world, "theo"), case=case, group=g, expected_version=case.version)
    assert CaseSnapshot.objects.filter(case=case).count() == 2
    assert "recognisable" not in as_user("tamsin").get(f"/consultation/cases/{case.pk}/").content.decode()


def test_the_author_can_redact_what_the_engine_missed(world: Any) -> None:
    case = accept_all(world, new_case(world, plant(world)))
    assert "pacing" in services.final_text(case)
    assert services.case_redact_more(actor(world, "theo"), case=case, phrase="PACING") == 1
    assert "pacing" not in services.final_text(case) and "[REDACTED]" in services.final_text(case)


def test_the_facilitator_closes_a_case_and_feedback_stops(world: Any) -> None:
    case, _ = posted(world)
    with pytest.raises(NotYours):
        services.case_close(actor(world, "priya"), case=case)
    services.case_close(actor(world, "sam"), case=case)
    with pytest.raises(Refused, match="closed"):
        services.feedback_add(actor(world, "priya"), case=case, body="late")


def test_a_group_holds_at_most_its_size(world: Any) -> None:
    avery = actor(world, "avery")
    g = services.group_create(avery, name="Small", facilitator=world.users["sam"], max_members=2)
    services.member_add(avery, group=g, user=world.users["theo"])
    with pytest.raises(Refused, match="full"):
        services.member_add(avery, group=g, user=world.users["priya"])
    with pytest.raises(Refused, match="organization"):
        services.member_add(
            avery,
            group=services.group_create(avery, name="B", facilitator=world.users["sam"]),
            user=world.users["olive"],
        )


def test_attended_meetings_are_group_consultation_hours(world: Any) -> None:
    import datetime as dt

    from kapstone.consultation.selectors import earned_hours

    g = group(world)
    sam = actor(world, "sam")
    services.meeting_record(
        sam,
        group=g,
        held_on=dt.date(2026, 11, 3),
        minutes=90,
        attendees=[world.users["sam"], world.users["theo"], world.users["tamsin"]],
    )
    with pytest.raises(NotYours):
        services.meeting_record(
            actor(world, "theo"),
            group=g,
            held_on=dt.date(2026, 11, 3),
            minutes=60,
            attendees=[world.users["theo"]],
        )
    with pytest.raises(Refused, match="members"):
        services.meeting_record(
            sam, group=g, held_on=dt.date(2026, 11, 4), minutes=60, attendees=[world.users["toby"]]
        )
    (hours,) = earned_hours(world.users["tamsin"])
    assert (hours.kind, hours.minutes, hours.group_size, hours.supervisor_id) == (
        "group_consultation",
        90,
        3,
        world.users["sam"].pk,
    )
    assert "Rowan" not in hours.label and earned_hours(world.users["priya"]) == []
    assert re.fullmatch(r"\d+", hours.source_id)
