"""Mentions, subscriptions and digests of the peer-support spaces. Mail goes out on commit.

A mention is ``@`` followed by a member's full name (``@Sam Test``), matched against the members who
can see the space; the person mentioned is subscribed to the topic and mailed once the post is
published (a held post mentions nobody yet). Digests list, per person, the topics they follow that
have new published posts since their last digest: titles and links only, never post text.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import partial

from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from kapstone.accounts.models import Membership, User
from kapstone.community.models import DigestMark, Post, Space, Topic


def _members_who_see(space: Space) -> list[User]:
    if space.kind == Space.Kind.COHORT:
        return list(space.members.all())
    ids = Membership.objects.filter(organization_id=space.organization_id, is_active=True).values("user_id")
    return list(User.objects.filter(pk__in=ids))


def mentioned(post: Post) -> list[User]:
    """Members named after an ``@`` in the post, who can see its space (not the author)."""
    if "@" not in post.body:
        return []
    people = [u for u in _members_who_see(post.topic.space) if u.pk != post.author_id and u.full_name]
    found = []
    for user in sorted(people, key=lambda u: -len(u.full_name)):
        if re.search(r"(?<![\w@])@" + re.escape(user.full_name) + r"(?!\w)", post.body, flags=re.IGNORECASE):
            found.append(user)
    return sorted(found, key=lambda u: u.pk)


def after_publish(post: Post) -> list[User]:
    """Subscribe the author and everyone mentioned; mail the mentioned on commit."""
    if post.status != Post.Status.PUBLISHED:
        return []
    topic = post.topic
    people = mentioned(post)
    topic.subscribers.add(post.author_id, *[u.pk for u in people])
    url = reverse("community:topic", args=[topic.pk])
    for user in people:
        transaction.on_commit(partial(
            send_mail, f"You were mentioned in “{topic.title}”",
            f"{post.author.full_name} mentioned you in a peer-support topic: {url}\n", None, [user.email],
        ))  # fmt: skip
    return people


def digest_send(now: dt.datetime | None = None, *, first_window: dt.timedelta = dt.timedelta(days=1)) -> int:
    """Mail each subscriber the followed topics with new posts since their last digest; returns mails sent."""
    now = now or timezone.now()
    sent = 0
    marks = dict(DigestMark.objects.values_list("user_id", "sent_at"))
    subscribers = User.objects.filter(pk__in=Topic.subscribers.through.objects.values("user_id")).distinct()
    for user in subscribers:
        since = marks.get(user.pk, now - first_window)
        new_posts = Post.objects.filter(
            status=Post.Status.PUBLISHED, created_at__gt=since, created_at__lte=now
        )
        topics = (
            Topic.objects.filter(subscribers=user, pk__in=new_posts.exclude(author=user).values("topic_id"))
            .exclude(Q(space__kind=Space.Kind.COHORT) & ~Q(space__members=user))
            .distinct()
            .order_by("title")
        )
        titles = [f"- {t.title}: {reverse('community:topic', args=[t.pk])}" for t in topics]
        if titles:
            send_mail("New posts in the topics you follow", "\n".join(titles) + "\n", None, [user.email])
            sent += 1
        DigestMark.objects.update_or_create(user=user, defaults={"sent_at": now})
    return sent


def returned_to_author(post: Post, reason: str) -> None:
    """Tell the author their post was hidden and is back with them to edit (on commit; no post text)."""
    url = reverse("community:post_edit", args=[post.pk])
    label = Post.Hidden(reason).label
    transaction.on_commit(partial(
        send_mail, "Your post was hidden and returned to you",
        f"Your post in “{post.topic.title}” is hidden ({label.lower()}). Only you and the moderators see "
        f"it now. Please review and edit it: {url}\n", None, [post.author.email],
    ))  # fmt: skip
