"""Peer-support pages: spaces, topics, posts, flags, the moderator queue and its log."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapstone.access.decorators import requires
from kapstone.accounts.models import Membership
from kapstone.community import forum_services as svc
from kapstone.community.common import member_ids
from kapstone.community.forms import FlagForm, PostEditForm, PostForm, SpaceForm, TopicForm
from kapstone.community.library import max_bytes
from kapstone.community.models import Post
from kapstone.core.contract import Refused
from kapstone.core.http import AuthenticatedRequest


def _people(request: AuthenticatedRequest) -> list[tuple[int, str]]:
    org_id = member_ids(request.actor)[1]
    rows = (
        Membership.objects.filter(organization_id=org_id, is_active=True)
        .select_related("user")
        .order_by("user__full_name")
    )
    return sorted({(m.user_id, m.user.full_name) for m in rows}, key=lambda p: p[1])


@requires("forum.view")
@require_http_methods(["GET", "POST"])
def spaces(request: AuthenticatedRequest) -> HttpResponse:
    moderator = svc.is_moderator(request.actor)
    form = SpaceForm(request.POST or None, people=_people(request)) if moderator else None
    if request.method == "POST" and form is not None and form.is_valid():
        data = form.cleaned_data
        try:
            space = svc.space_create(
                request.actor,
                name=data["name"],
                kind=data["kind"],
                description=data["description"],
                member_ids_=[int(m) for m in data["members"]],
            )
        except Refused as exc:
            form.add_error(None, exc.reason)
        else:
            return redirect("community:space", pk=space.pk)
    return render(
        request,
        "community/spaces.html",
        {"spaces": svc.spaces_visible(request.actor).order_by("name"), "form": form, "moderator": moderator},
    )


@requires("forum.view")
@require_http_methods(["GET", "POST"])
def space(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    the_space = svc.space_get(request.actor, pk)
    form = TopicForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            post = svc.topic_create(request.actor, space_pk=pk, **form.cleaned_data)
        except Refused as exc:
            form.add_error("body" if exc.field == "body" else None, exc.reason)
        else:
            return _after_write(request, post)
    topics = the_space.topics.order_by("-created_at")[:200]
    status = 400 if request.method == "POST" else 200
    return render(
        request, "community/space.html", {"space": the_space, "topics": topics, "form": form}, status=status
    )


def _after_write(request: AuthenticatedRequest, post: Post) -> HttpResponse:
    if post.status == svc.S.HELD:
        messages.warning(request, "Your post is held for your review: something in it may identify a client.")
        return redirect("community:post_edit", pk=post.pk)
    return redirect("community:topic", pk=post.topic_id)


@requires("forum.view")
@require_http_methods(["GET", "POST"])
def topic(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    the_topic = svc.topic_get(request.actor, pk)
    form = PostForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            post = svc.post_reply(request.actor, topic_pk=pk, body=form.cleaned_data["body"])
        except Refused as exc:
            form.add_error("body" if exc.field == "body" else None, exc.reason)
        else:
            return _after_write(request, post)
    context = {
        "topic": the_topic,
        "posts": svc.posts_visible(request.actor, the_topic),
        "form": form,
        "flag_form": FlagForm(),
        "moderator": svc.is_moderator(request.actor),
        "following": the_topic.subscribers.filter(pk=request.user.pk).exists(),
    }
    return render(request, "community/topic.html", context, status=400 if request.method == "POST" else 200)


@requires("forum.post")
@require_http_methods(["GET", "POST"])
def post_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    post = svc.own_post_get(request.actor, pk)
    form = PostEditForm(request.POST or None, initial={"body": post.body, "version": post.version})
    if request.method == "POST" and form.is_valid():
        try:
            post = svc.post_edit(
                request.actor,
                post_pk=pk,
                body=form.cleaned_data["body"],
                expected_version=form.cleaned_data["version"],
                confirm_reviewed=form.cleaned_data["confirm_reviewed"],
            )
        except Refused as exc:
            form.add_error("body" if exc.field == "body" else None, exc.reason)
        else:
            if post.status == svc.S.PUBLISHED:
                messages.success(request, "Published.")
                return redirect("community:topic", pk=post.topic_id)
            return redirect("community:post_edit", pk=post.pk)
    return render(
        request,
        "community/post_edit.html",
        {"post": post, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@requires("forum.view")
@require_POST
def post_flag(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    form = FlagForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose why you are flagging the post.")
        return redirect("community:spaces")
    try:
        flag = svc.post_flag(request.actor, post_pk=pk, **form.cleaned_data)
    except Refused as exc:
        messages.error(request, exc.reason)
        return redirect("community:spaces")
    messages.success(request, "Thank you. The moderators will look at it.")
    return redirect("community:topic", pk=flag.post.topic_id)


@requires("forum.moderate")
@require_GET
def moderation(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "community/moderation.html",
        {"queue": svc.moderation_queue(request.actor), "log": svc.moderation_log(request.actor)[:50]},
    )


@requires("forum.moderate")
@require_POST
def moderate(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    action = request.POST.get("action", "")
    try:
        svc.moderate_post(request.actor, post_pk=pk, action=action, reason=request.POST.get("reason", ""))
    except Refused as exc:
        messages.error(request, exc.reason)
    else:
        messages.success(request, "Post restored." if action == "restore" else "Post hidden.")
    return redirect("community:moderation")


@requires("forum.moderate")
@require_POST
def topic_lock(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    locked = request.POST.get("locked") == "1"
    svc.topic_lock(request.actor, topic_pk=pk, locked=locked, reason=request.POST.get("reason", ""))
    messages.success(request, "Topic locked." if locked else "Topic unlocked.")
    return redirect("community:topic", pk=pk)


@requires("forum.view")
@require_POST
def topic_subscribe(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    follow = request.POST.get("follow") == "1"
    svc.topic_subscribe(request.actor, topic_pk=pk, follow=follow)
    messages.success(
        request, "You follow this topic; new posts come in your digest." if follow else "Unfollowed."
    )
    return redirect("community:topic", pk=pk)


@requires("forum.post")
@require_POST
def attachment_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "Choose a file to attach.")
        return redirect("community:post_edit", pk=pk)

    try:
        svc.attachment_add(
            request.actor, post_pk=pk, filename=upload.name or "", data=upload.read(max_bytes() + 1)
        )
    except Refused as exc:
        messages.error(request, exc.reason)
    else:
        messages.success(request, "File attached.")
    return redirect("community:post_edit", pk=pk)


@requires("forum.view")
@require_GET
def attachment(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    found = svc.attachment_get(request.actor, pk)
    response = HttpResponse(bytes(found.data), content_type=found.content_type)
    response["Content-Disposition"] = f'attachment; filename="{found.filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
