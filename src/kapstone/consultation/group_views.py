"""Pages of consultation groups: the group (members), a new group and its members (the org admin),
and a meeting's attendance (the facilitator)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapstone.access.decorators import requires
from kapstone.access.policy import allows
from kapstone.accounts.models import User
from kapstone.consultation import selectors, services
from kapstone.consultation.forms import GroupForm, MeetingForm, MemberAddForm
from kapstone.consultation.models import ConsultationGroup
from kapstone.core.contract import NotYours, Refused
from kapstone.core.forms import add_service_errors
from kapstone.core.http import AuthenticatedRequest


def _people(request: AuthenticatedRequest) -> list[tuple[int, str]]:
    org_id = request.actor.organization_id if request.actor.organization_id is not None else -1
    users = User.objects.filter(memberships__organization_id=org_id).distinct()
    return [(u.pk, u.full_name or u.email) for u in users.order_by("full_name", "pk")]


def _group_page(
    request: AuthenticatedRequest,
    group: ConsultationGroup,
    status: int = 200,
    meeting_form: MeetingForm | None = None,
) -> HttpResponse:
    members = selectors.member_users(group)
    people = [(u.pk, u.full_name or u.email) for u in members]
    return render(
        request,
        "consultation/group.html",
        {
            "group": group,
            "members": members,
            "cases": selectors.group_cases(group),
            "meetings": selectors.group_meetings(group),
            "is_facilitator": group.facilitator_id == request.actor.user_id,
            "can_manage": allows(request.actor, "consultation.group.manage"),
            "member_form": MemberAddForm(people=_people(request)),
            "meeting_form": meeting_form or MeetingForm(people=people),
        },
        status=status,
    )


@requires("consultation.view")
@require_GET
def group_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _group_page(request, selectors.group_get(request.actor, pk))


@requires("consultation.group.manage")
@require_http_methods(["GET", "POST"])
def group_new(request: AuthenticatedRequest) -> HttpResponse:
    people = _people(request)
    form = GroupForm(request.POST or None, people=people)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        facilitator = User.objects.get(pk=data["facilitator"])
        try:
            group = services.group_create(
                request.actor,
                name=data["name"],
                facilitator=facilitator,
                max_members=data["max_members"],
                minutes_per_case=data["minutes_per_case"],
                schedule=data["schedule"],
            )
        except Refused as exc:
            add_service_errors(form, exc.as_validation_error())
        else:
            return redirect("consultation:group", pk=group.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "consultation/group_new.html", {"form": form}, status=status)


@requires("consultation.group.manage")
@require_POST
def member_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    group = selectors.group_get(request.actor, pk)
    form = MemberAddForm(request.POST, people=_people(request))
    if not form.is_valid():
        messages.error(request, "Choose a member of this organization.")
        return redirect("consultation:group", pk=group.pk)
    try:
        services.member_add(request.actor, group=group, user=User.objects.get(pk=form.cleaned_data["user"]))
    except Refused as exc:
        messages.error(request, exc.reason)
    return redirect("consultation:group", pk=group.pk)


@requires("consultation.view")
@require_POST
def meeting_new(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    group = selectors.group_get(request.actor, pk)
    if group.facilitator_id != request.actor.user_id:
        raise NotYours
    members = selectors.member_users(group)
    form = MeetingForm(request.POST, people=[(u.pk, u.full_name or u.email) for u in members])
    if form.is_valid():
        chosen = [u for u in members if u.pk in set(form.cleaned_data["attendees"])]
        try:
            services.meeting_record(
                request.actor,
                group=group,
                held_on=form.cleaned_data["held_on"],
                minutes=form.cleaned_data["minutes"],
                attendees=chosen,
            )
        except Refused as exc:
            add_service_errors(form, exc.as_validation_error())
        else:
            messages.success(request, "Meeting recorded.")
            return redirect("consultation:group", pk=group.pk)
    return _group_page(request, group, status=400, meeting_form=form)
