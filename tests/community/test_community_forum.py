"""Peer support: screening against the caseload, flags that hide at once, moderation, trust."""

from __future__ import annotations

from typing import Any

import pytest
from community_helpers import actor, listing_for
from django.urls import reverse
from tests.conftest import signed_in_client

from kapstone.audit.models import AuditEvent
from kapstone.community import forum_services as svc
from kapstone.community.models import ModerationAction, Post, Space

CALM = "Integration circles helped my clients settle after a dosing session."


def _space(world: Any, kind: str = "organization", members: tuple[str, ...] = ()) -> Space:
    ids = [world.users[m].pk for m in members]
    return svc.space_create(actor(world, "sam"), name="Larkspur peers", kind=kind, member_ids_=ids)


def test_a_member_posts_and_others_read_it(world: Any) -> None:
    post = svc.topic_create(actor(world, "theo"), space_pk=_space(world).pk, title="Circles", body=CALM)
    assert post.status == "published"
    page = signed_in_client(world.users["tamsin"]).get(reverse("community:topic", args=[post.topic_id]))
    assert CALM in page.content.decode()


def test_a_client_name_from_the_authors_caseload_holds_the_post_until_removed(world: Any) -> None:
    space = _space(world)
    post = svc.topic_create(
        actor(world, "theo"), space_pk=space.pk, title="Hard week", body="Rowan had a hard week."
    )
    assert post.status == "held" and post.findings[0]["source"] == "known"
    tamsin_view = signed_in_client(world.users["tamsin"]).get(
        reverse("community:topic", args=[post.topic_id])
    )
    assert "hard week" not in tamsin_view.content.decode()
    confirmed = svc.post_edit(
        actor(world, "theo"), post_pk=post.pk, body=post.body, expected_version=1, confirm_reviewed=True
    )
    assert confirmed.status == "held"  # a known value cannot be confirmed away
    fixed = svc.post_edit(
        actor(world, "theo"), post_pk=post.pk, body="A client had a hard week.", expected_version=2
    )
    assert fixed.status == "published" and fixed.findings == []


def test_a_detector_finding_is_held_until_the_author_confirms_after_review(world: Any) -> None:
    body = "Met someone on 3/4/2025 who works as a pilot."
    post = svc.topic_create(actor(world, "tamsin"), space_pk=_space(world).pk, title="Q", body=body)
    assert post.status == "held"
    published = svc.post_edit(
        actor(world, "tamsin"), post_pk=post.pk, body=body, expected_version=1, confirm_reviewed=True
    )
    assert published.status == "published" and published.reviewed_by_author


def test_flagged_for_client_information_it_disappears_from_everyone_but_author_and_moderators(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django.core import mail

    post = svc.topic_create(actor(world, "theo"), space_pk=_space(world).pk, title="Circles", body=CALM)
    with django_capture_on_commit_callbacks(execute=True):
        svc.post_flag(actor(world, "tamsin"), post_pk=post.pk, reason="client_info")
    assert [m.to for m in mail.outbox] == [["theo@test.example"]] and CALM not in mail.outbox[0].body
    post.refresh_from_db()
    assert (post.status, post.hidden_reason) == ("hidden", "client_info")
    url = reverse("community:topic", args=[post.topic_id])
    for name, sees in (("tamsin", False), ("toby", False), ("theo", True), ("sam", True), ("avery", True)):
        assert (CALM in signed_in_client(world.users[name]).get(url).content.decode()) is sees, name
    assert ModerationAction.objects.get().action == "auto_hide"
    svc.moderate_post(actor(world, "sam"), post_pk=post.pk, action="restore", reason="No client detail")
    assert CALM in signed_in_client(world.users["tamsin"]).get(url).content.decode()
    assert [a.action for a in ModerationAction.objects.order_by("pk")] == ["auto_hide", "restore"]
    with pytest.raises(svc.Refused, match="already flagged"):
        svc.post_flag(actor(world, "tamsin"), post_pk=post.pk, reason="spam")


def test_html_and_script_are_neutralised(world: Any) -> None:
    body = "<script>alert(1)</script> **bold** <img src=x onerror=alert(1)>"
    post = svc.topic_create(actor(world, "theo"), space_pk=_space(world).pk, title="x", body=body)
    assert "<script>" not in post.html and "<img" not in post.html and "<strong>bold</strong>" in post.html


def test_a_new_members_link_is_refused_until_trusted_and_attested_licensees_start_trusted(world: Any) -> None:
    space = _space(world)
    with pytest.raises(svc.Refused, match="New members can post links"):
        svc.topic_create(
            actor(world, "toby"), space_pk=space.pk, title="x", body="See https://example.org/study"
        )
    for n in range(svc.TRUSTED_AFTER_POSTS):
        svc.topic_create(actor(world, "toby"), space_pk=space.pk, title=f"t{n}", body=CALM)
    assert (
        svc.topic_create(
            actor(world, "toby"), space_pk=space.pk, title="x", body="See https://example.org/study"
        ).status
        == "published"
    )
    listing = listing_for(world, "tamsin")
    from kapstone.community.directory_services import listing_attest

    listing_attest(
        actor(world, "avery"),
        listing_pk=listing.pk,
        licence_type="LMFT",
        licence_number="1",
        licence_state="CO",
    )
    assert svc.trust_level(world.users["tamsin"].pk, world.org_a.pk) == 1


def test_cohort_spaces_are_members_only_and_other_organizations_get_404(world: Any) -> None:
    cohort = _space(world, kind="cohort", members=("toby",))
    url = reverse("community:space", args=[cohort.pk])
    assert signed_in_client(world.users["toby"]).get(url).status_code == 200
    assert signed_in_client(world.users["theo"]).get(url).status_code == 404
    assert signed_in_client(world.users["olive"]).get(url).status_code == 404
    assert AuditEvent.objects.filter(action="forum.view", outcome="denied").count() == 2


def test_a_locked_topic_takes_no_replies_and_a_post_page_keeps_the_typed_text(world: Any) -> None:
    post = svc.topic_create(actor(world, "theo"), space_pk=_space(world).pk, title="Circles", body=CALM)
    svc.topic_lock(actor(world, "sam"), topic_pk=post.topic_id, locked=True)
    with pytest.raises(svc.Refused, match="locked"):
        svc.post_reply(actor(world, "tamsin"), topic_pk=post.topic_id, body="me too")
    svc.topic_lock(actor(world, "sam"), topic_pk=post.topic_id, locked=False)
    page = signed_in_client(world.users["toby"]).post(
        reverse("community:topic", args=[post.topic_id]), {"body": "read www.example.org please"}
    )
    assert page.status_code == 400 and "read www.example.org please" in page.content.decode()
    assert Post.objects.count() == 1


def test_attachments_need_trust_and_a_true_type_and_follow_the_posts_visibility(world: Any) -> None:
    from kapstone.community.models import PostAttachment

    pdf = b"%PDF-1.4\n%%EOF\n"
    space = _space(world)
    post = svc.topic_create(actor(world, "toby"), space_pk=space.pk, title="Handout", body=CALM)
    with pytest.raises(svc.Refused, match="New members can attach"):
        svc.attachment_add(actor(world, "toby"), post_pk=post.pk, filename="h.pdf", data=pdf)
    for n in range(svc.TRUSTED_AFTER_POSTS):
        svc.post_reply(actor(world, "toby"), topic_pk=post.topic_id, body=f"{CALM} ({n})")
    with pytest.raises(svc.Refused, match="content is PDF"):
        svc.attachment_add(actor(world, "toby"), post_pk=post.pk, filename="h.png", data=pdf)
    attached = svc.attachment_add(actor(world, "toby"), post_pk=post.pk, filename="My handout.PDF", data=pdf)
    assert (attached.filename, attached.content_type) == ("My-handout.pdf", "application/pdf")
    url = reverse("community:attachment", args=[attached.pk])
    assert signed_in_client(world.users["tamsin"]).get(url).content == pdf
    svc.post_flag(actor(world, "tamsin"), post_pk=post.pk, reason="client_info")
    assert signed_in_client(world.users["tamsin"]).get(url).status_code == 404
    assert signed_in_client(world.users["olive"]).get(url).status_code == 404
    assert signed_in_client(world.users["sam"]).get(url).status_code == 200
    assert PostAttachment.objects.count() == 1


def test_an_active_platform_certificate_starts_a_member_at_trust_level_1(world: Any) -> None:
    import datetime as dt

    from kapstone.community.hooks import (
        CredentialClaim,
        register_credential_source,
        unregister_credential_source,
    )

    status = {"now": "active"}

    def source(user_id: int) -> list[CredentialClaim]:
        if user_id != world.users["toby"].pk:
            return []
        return [
            CredentialClaim("Kapstone KAP certificate", "Larkspur", dt.date(2026, 1, 1), status["now"], "")
        ]

    register_credential_source(source)
    try:
        assert svc.trust_level(world.users["toby"].pk, world.org_a.pk) == 1
        status["now"] = "revoked"
        assert svc.trust_level(world.users["toby"].pk, world.org_a.pk) == 0
    finally:
        unregister_credential_source(source)
