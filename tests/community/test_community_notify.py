"""Mentions, follows and digests of the peer-support spaces; the periodic command."""

from __future__ import annotations

import datetime as dt
from typing import Any

from community_helpers import actor
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from tests.conftest import signed_in_client

from kapstone.community import forum_services as svc
from kapstone.community.forum_notify import digest_send


def _space(world: Any, kind: str = "organization", members: tuple[str, ...] = ()) -> Any:
    ids = [world.users[m].pk for m in members]
    return svc.space_create(actor(world, "sam"), name="Peers", kind=kind, member_ids_=ids)


def test_a_mention_subscribes_and_mails_the_person_once_published(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    space = _space(world)
    with django_capture_on_commit_callbacks(execute=True):
        post = svc.topic_create(
            actor(world, "theo"),
            space_pk=space.pk,
            title="Circles",
            body="What do you think, @Sam Test and @tamsin test?",
        )
    assert sorted(m.to[0] for m in mail.outbox) == ["sam@test.example", "tamsin@test.example"]
    assert set(post.topic.subscribers.values_list("email", flat=True)) == {
        "theo@test.example",
        "sam@test.example",
        "tamsin@test.example",
    }
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # held: mentions nobody yet
        svc.post_reply(actor(world, "theo"), topic_pk=post.topic_id, body="@Toby Test Rowan asked about it")
    assert mail.outbox == []


def test_a_cohort_mention_only_reaches_members(world: Any, django_capture_on_commit_callbacks: Any) -> None:
    cohort = _space(world, kind="cohort", members=("toby", "theo"))
    with django_capture_on_commit_callbacks(execute=True):
        svc.topic_create(
            actor(world, "theo"), space_pk=cohort.pk, title="Q", body="@Tamsin Test @Toby Test hello"
        )
    assert [m.to for m in mail.outbox] == [["toby@test.example"]]


def test_the_digest_lists_followed_topics_with_new_posts_once(world: Any) -> None:
    space = _space(world)
    post = svc.topic_create(actor(world, "theo"), space_pk=space.pk, title="Circles", body="Hello peers.")
    tamsin = signed_in_client(world.users["tamsin"])
    tamsin.post(reverse("community:topic_subscribe", args=[post.topic_id]), {"follow": "1"})
    svc.post_reply(actor(world, "toby"), topic_pk=post.topic_id, body="Thanks, this helps.")
    later = timezone.now() + dt.timedelta(minutes=1)
    # Theo follows his topic and Toby's reply is news to him; Toby (following by replying) has Theo's post.
    assert digest_send(later) == 3
    assert {m.to[0] for m in mail.outbox} == {"theo@test.example", "tamsin@test.example", "toby@test.example"}
    assert all("Circles" in m.body and "Thanks" not in m.body for m in mail.outbox)
    assert digest_send(later + dt.timedelta(minutes=1)) == 0
    tamsin.post(reverse("community:topic_subscribe", args=[post.topic_id]), {"follow": "0"})
    assert not post.topic.subscribers.filter(pk=world.users["tamsin"].pk).exists()


def test_the_tick_command_settles_holds_reminds_and_digests(world: Any) -> None:
    from io import StringIO

    out = StringIO()
    call_command("community_tick", "--digests", stdout=out)
    assert out.getvalue().strip() == "holds expired: 0; workshops reminded: 0; digests sent: 0"
