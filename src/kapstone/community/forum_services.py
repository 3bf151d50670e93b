"""Peer support: spaces, topics, posts, flags and moderation. One service per action, audited.

Every post is screened before anyone else sees it: the de-identification engine runs over it with
the author's own caseload as the known values (the clients the author may list). A known value
(a client's name, email, phone, birth date) holds the post until the author removes it; anything
else the engine finds holds it until the author confirms, having looked, that it identifies no one.
A post flagged as containing client information is hidden at once from everyone but its author and
the moderators. New members cannot post links until they have a few accepted posts (trust level 1);
a member whose licence their organization attested, or who holds an active platform certificate,
starts at level 1.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from kapstone.access.policy import allows
from kapstone.access.scoping import scoped_get
from kapstone.accounts.models import Membership
from kapstone.audit.services import record
from kapstone.clients.selectors import clients_scoped
from kapstone.community.common import member_ids
from kapstone.community.forum_notify import after_publish, returned_to_author
from kapstone.community.forum_text import has_link, render
from kapstone.community.hooks import active_credentials_of
from kapstone.community.library import check_upload
from kapstone.community.models import Flag, Listing, ModerationAction, Post, PostAttachment, Space, Topic
from kapstone.core.actor import Actor
from kapstone.core.contract import Refused, check_version
from kapstone.deid import Known, KnownPerson, deidentify

TRUSTED_AFTER_POSTS = 3  # accepted posts before links are allowed (Discourse's TL1 idea, simplified)
HIDE_AFTER_FLAGS = 3  # flags of other reasons that hide a post until a moderator looks
MAX_KNOWN_CLIENTS = 5000
IGNORED_CLASSES = frozenset({"url"})  # links are governed by trust levels, not by the screen
S = Post.Status


def is_moderator(actor: Actor) -> bool:
    return allows(actor, "forum.moderate")


def spaces_visible(actor: Actor) -> QuerySet[Space]:
    user_id, org_id = member_ids(actor)
    spaces = Space.objects.filter(organization_id=org_id)
    if is_moderator(actor):
        return spaces
    return spaces.filter(Q(kind=Space.Kind.ORGANIZATION) | Q(members__id=user_id)).distinct()


def space_get(actor: Actor, pk: object) -> Space:
    return scoped_get(
        actor, spaces_visible(actor), pk, action="forum.view", object_type="space", audit_read=False
    )


def topic_get(actor: Actor, pk: object) -> Topic:
    scoped = Topic.objects.filter(space__in=spaces_visible(actor)).select_related("space")
    return scoped_get(actor, scoped, pk, action="forum.view", object_type="topic", audit_read=False)


def posts_visible(actor: Actor, topic: Topic) -> list[Post]:
    """Published posts; the author also sees their held and hidden ones; moderators see all."""
    files = Prefetch("attachments", queryset=PostAttachment.objects.defer("data").order_by("pk"))
    posts = topic.posts.select_related("author").prefetch_related(files).order_by("created_at", "pk")
    if not is_moderator(actor):
        posts = posts.filter(Q(status=S.PUBLISHED) | Q(author_id=actor.user_id))
    return list(posts)


def trust_level(user_id: int, organization_id: int) -> int:
    if Listing.objects.filter(user_id=user_id, licence_attested_at__isnull=False).exists():
        return 1  # a licence the organization admin attested
    if active_credentials_of(user_id):
        return 1  # a platform certificate that is active now
    accepted = Post.objects.filter(
        author_id=user_id, status=S.PUBLISHED, topic__space__organization_id=organization_id
    ).count()
    return 1 if accepted >= TRUSTED_AFTER_POSTS else 0


def _known_caseload(actor: Actor) -> Known:
    people: list[KnownPerson] = []
    values: dict[str, list[str]] = {"email": [], "phone": []}
    dates = []
    fields = ("given_name", "family_name", "preferred_name", "email", "phone", "date_of_birth")
    for given, family, preferred, email, phone, dob in clients_scoped(actor, "client.list").values_list(
        *fields
    )[:MAX_KNOWN_CLIENTS]:
        aliases = tuple(a for a in (given, family, preferred) if a)
        people.append(KnownPerson(f"{given} {family}".strip(), role="client", aliases=aliases))
        values["email"] += [email] if email else []
        values["phone"] += [phone] if phone else []
        dates += [dob] if dob else []
    return Known(
        people=tuple(people), values={k: tuple(v) for k, v in values.items() if v}, dates=tuple(dates)
    )


def screen(actor: Actor, body: str) -> tuple[list[dict[str, Any]], bool, str]:
    """(findings, any known value found, engine version)."""
    result = deidentify(body, _known_caseload(actor), today=timezone.localdate())
    findings = [
        {"class": s.cls, "text": body[s.start : s.end], "why": s.why, "source": s.source}
        for s in result.spans
        if not (s.cls in IGNORED_CLASSES and s.source != "known")
    ]
    findings += [
        {"class": f.kind, "text": body[f.start : f.end], "why": f.why, "source": "flag"} for f in result.flags
    ]
    return findings, any(f["source"] == "known" for f in findings), result.version


def _check_body(actor: Actor, body: str) -> str:
    body = body.strip()
    if not body:
        raise Refused("Write something first.", field="body")
    if len(body) > 20_000:
        raise Refused("A post can be at most 20,000 characters.", field="body")
    user_id, org_id = member_ids(actor)
    if has_link(body) and trust_level(user_id, org_id) < 1:
        raise Refused(
            f"New members can post links after {TRUSTED_AFTER_POSTS} accepted posts; "
            "remove the link for now.",
            field="body",
        )
    return body


def _fill(actor: Actor, post: Post, body: str, *, confirm_reviewed: bool = False) -> None:
    findings, known, version = screen(actor, body)
    post.body, post.html = body, render(body)
    post.findings, post.screen_version = findings, version
    if known or (findings and not confirm_reviewed):  # a known value can never be confirmed away
        post.status, post.reviewed_by_author = S.HELD, False
    else:
        post.status, post.reviewed_by_author = S.PUBLISHED, bool(findings)


def topic_create(actor: Actor, *, space_pk: object, title: str, body: str) -> Post:
    space = space_get(actor, space_pk)
    if not title.strip():
        raise Refused("A topic needs a title.", field="title")
    body = _check_body(actor, body)
    user_id = member_ids(actor)[0]
    with transaction.atomic():
        topic = Topic.objects.create(space=space, author_id=user_id, title=title.strip()[:200])
        topic.subscribers.add(user_id)
        post = Post(topic=topic, author_id=user_id)
        _fill(actor, post, body)
        post.save()
        after_publish(post)
        record(
            actor,
            "forum.post",
            object_type="post",
            object_id=post.pk,
            detail={"status": post.status, "topic": topic.pk},
        )
    return post


def post_reply(actor: Actor, *, topic_pk: object, body: str) -> Post:
    topic = topic_get(actor, topic_pk)
    if topic.locked:
        raise Refused("This topic is locked; no new replies.")
    body = _check_body(actor, body)
    with transaction.atomic():
        post = Post(topic=topic, author_id=member_ids(actor)[0])
        _fill(actor, post, body)
        post.save()
        after_publish(post)
        record(
            actor,
            "forum.post",
            object_type="post",
            object_id=post.pk,
            detail={"status": post.status, "topic": topic.pk},
        )
    return post


def own_post_get(actor: Actor, pk: object) -> Post:
    scoped = Post.objects.filter(author_id=member_ids(actor)[0], topic__space__in=spaces_visible(actor))
    return scoped_get(actor, scoped, pk, action="forum.post", object_type="post", audit_read=False)


def post_edit(
    actor: Actor, *, post_pk: object, body: str, expected_version: int | None, confirm_reviewed: bool = False
) -> Post:
    """The author edits (or, having reviewed the findings, publishes) their post. A post hidden for
    client information stays hidden until a moderator restores it."""
    post = own_post_get(actor, post_pk)
    body = _check_body(actor, body)
    with transaction.atomic():
        post = Post.objects.select_for_update().get(pk=post.pk)
        check_version(current=post.version, submitted=expected_version, record=post)
        hidden = post.status == S.HIDDEN
        _fill(actor, post, body, confirm_reviewed=confirm_reviewed)
        if hidden:
            post.status = S.HIDDEN
        post.version += 1
        post.updated_at = timezone.now()
        post.save()
        after_publish(post)
        record(
            actor,
            "forum.post",
            object_type="post",
            object_id=post.pk,
            detail={"edit": True, "status": post.status},
        )
    return post


def post_flag(actor: Actor, *, post_pk: object, reason: str, note: str = "") -> Flag:
    user_id, org_id = member_ids(actor)
    scoped = Post.objects.filter(topic__space__in=spaces_visible(actor)).filter(
        Q(status=S.PUBLISHED) | Q(author_id=user_id)
    )
    post = scoped_get(actor, scoped, post_pk, action="forum.view", object_type="post", audit_read=False)
    if reason not in Flag.Reason.values:
        raise Refused("Choose why you are flagging the post.", field="reason")
    try:
        with transaction.atomic():
            flag = Flag.objects.create(post=post, flagger_id=user_id, reason=reason, note=note.strip()[:500])
            record(actor, "forum.flag", object_type="post", object_id=post.pk, detail={"reason": reason})
            open_flags = post.flags.filter(resolved_at__isnull=True).count()
            if post.status == S.PUBLISHED and (
                reason == Flag.Reason.CLIENT_INFO or open_flags >= HIDE_AFTER_FLAGS
            ):
                hidden = Post.Hidden.CLIENT_INFO if reason == Flag.Reason.CLIENT_INFO else Post.Hidden.FLAGS
                Post.objects.filter(pk=post.pk).update(
                    status=S.HIDDEN, hidden_reason=hidden, version=post.version + 1
                )
                ModerationAction.objects.create(
                    organization_id=org_id, post=post, action="auto_hide", reason=Flag.Reason(reason).label
                )
                returned_to_author(post, hidden)
    except IntegrityError:
        raise Refused("You already flagged this post.") from None
    return flag


def _moderated_post(actor: Actor, pk: object) -> Post:
    if not is_moderator(actor):
        raise Refused("Only moderators can do that.")
    scoped = Post.objects.filter(topic__space__organization_id=member_ids(actor)[1])
    return scoped_get(actor, scoped, pk, action="forum.moderate", object_type="post", audit_read=False)


def moderate_post(actor: Actor, *, post_pk: object, action: str, reason: str = "") -> Post:
    post = _moderated_post(actor, post_pk)
    if action not in ("hide", "restore"):
        raise Refused("Unknown moderation action.")
    with transaction.atomic():
        if action == "hide":
            post.status, post.hidden_reason = S.HIDDEN, Post.Hidden.MODERATOR
        else:
            post.status, post.hidden_reason = S.PUBLISHED, Post.Hidden.NONE
            post.flags.filter(resolved_at__isnull=True).update(resolved_at=timezone.now())
        post.version += 1
        post.save(update_fields=["status", "hidden_reason", "version"])
        ModerationAction.objects.create(
            organization_id=member_ids(actor)[1],
            post=post,
            moderator_id=actor.user_id,
            action=action,
            reason=reason.strip()[:500],
        )
        record(actor, "forum.moderate", object_type="post", object_id=post.pk, detail={"action": action})
    return post


def topic_lock(actor: Actor, *, topic_pk: object, locked: bool, reason: str = "") -> Topic:
    if not is_moderator(actor):
        raise Refused("Only moderators can do that.")
    scoped = Topic.objects.filter(space__organization_id=member_ids(actor)[1])
    topic = scoped_get(
        actor, scoped, topic_pk, action="forum.moderate", object_type="topic", audit_read=False
    )
    with transaction.atomic():
        Topic.objects.filter(pk=topic.pk).update(locked=locked)
        ModerationAction.objects.create(
            organization_id=member_ids(actor)[1],
            topic=topic,
            moderator_id=actor.user_id,
            action="lock" if locked else "unlock",
            reason=reason.strip()[:500],
        )
        record(actor, "forum.moderate", object_type="topic", object_id=topic.pk, detail={"locked": locked})
    topic.locked = locked
    return topic


def space_create(
    actor: Actor, *, name: str, kind: str, description: str = "", member_ids_: Iterable[int] = ()
) -> Space:
    if not is_moderator(actor):
        raise Refused("Only moderators can open a space.")
    user_id, org_id = member_ids(actor)
    if kind not in Space.Kind.values:
        raise Refused("Choose who the space is for.", field="kind")
    if not name.strip():
        raise Refused("A space needs a name.", field="name")

    members = set(
        Membership.objects.filter(
            organization_id=org_id, is_active=True, user_id__in=list(member_ids_)
        ).values_list("user_id", flat=True)
    )
    with transaction.atomic():
        space = Space.objects.create(
            organization_id=org_id,
            kind=kind,
            name=name.strip(),
            description=description,
            created_by_id=user_id,
        )
        if kind == Space.Kind.COHORT:
            space.members.add(*members, user_id)
        record(actor, "forum.moderate", object_type="space", object_id=space.pk, detail={"kind": kind})
    return space


def moderation_queue(actor: Actor) -> list[Post]:
    org_id = member_ids(actor)[1]
    return list(
        Post.objects.filter(topic__space__organization_id=org_id)
        .filter(Q(status=S.HIDDEN) | Q(flags__resolved_at__isnull=True, flags__isnull=False))
        .distinct()
        .select_related("author", "topic")
        .prefetch_related("flags")
        .order_by("-updated_at", "-pk")[:200]
    )


def moderation_log(actor: Actor) -> list[ModerationAction]:
    org_id = member_ids(actor)[1]
    return list(
        ModerationAction.objects.filter(organization_id=org_id)
        .select_related("moderator", "post", "topic")
        .order_by("-at", "-pk")[:500]
    )


def topic_subscribe(actor: Actor, *, topic_pk: object, follow: bool) -> Topic:
    topic = topic_get(actor, topic_pk)
    user_id = member_ids(actor)[0]
    if follow:
        topic.subscribers.add(user_id)
    else:
        topic.subscribers.remove(user_id)
    record(actor, "forum.view", object_type="topic", object_id=topic.pk, detail={"follow": follow})
    return topic


def attachment_add(actor: Actor, *, post_pk: object, filename: str, data: bytes) -> PostAttachment:
    """Attach a PDF or image to one's own post: trust level 1 and up, checked by content and size."""

    post = own_post_get(actor, post_pk)
    user_id, org_id = member_ids(actor)
    if trust_level(user_id, org_id) < 1:
        raise Refused(
            f"New members can attach files after {TRUSTED_AFTER_POSTS} accepted posts.", field="file"
        )
    kind = check_upload(filename, data)
    stem = re.sub(r"[^A-Za-z0-9]+", "-", filename.rsplit(".", 1)[0]).strip("-")[:60] or "attachment"
    with transaction.atomic():
        attachment = PostAttachment.objects.create(
            post=post,
            filename=stem + kind.extensions[0],
            content_type=kind.content_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            data=data,
        )
        record(
            actor,
            "forum.post",
            object_type="post_attachment",
            object_id=attachment.pk,
            detail={"post": post.pk, "size": len(data)},
        )
    return attachment


def attachment_get(actor: Actor, pk: object) -> PostAttachment:
    """An attachment of a post the actor may read (published, their own, or any for moderators)."""
    posts = Post.objects.filter(topic__space__in=spaces_visible(actor))
    if not is_moderator(actor):
        posts = posts.filter(Q(status=S.PUBLISHED) | Q(author_id=actor.user_id))
    scoped = PostAttachment.objects.filter(post__in=posts)
    return scoped_get(actor, scoped, pk, action="forum.view", object_type="post_attachment")
