"""Mentorship pages: overview, mentor profile, request, run the match, accept, meeting log."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapstone.access.decorators import requires
from kapstone.access.policy import allows
from kapstone.community import mentorship_services as svc
from kapstone.community.common import member_ids
from kapstone.community.forms import MeetingForm, MentorProfileForm, MentorshipRequestForm
from kapstone.community.models import MentorProfile, MentorshipRequest
from kapstone.community.vocab import decode_set
from kapstone.core.contract import Refused
from kapstone.core.http import AuthenticatedRequest


@requires("mentorship.view")
@require_GET
def mentorship(request: AuthenticatedRequest) -> HttpResponse:
    user_id, org_id = member_ids(request.actor)
    context = {
        "mentors": svc.mentors_of(org_id).order_by("user__full_name"),
        "pairings": svc.mentorships_of(request.actor)
        .select_related("mentor", "mentee")
        .order_by("-proposed_at"),
        "requests": MentorshipRequest.objects.filter(mentee_id=user_id, organization_id=org_id).order_by(
            "-created_at"
        ),
        "can_match": allows(request.actor, "mentorship.match"),
        "open_requests": MentorshipRequest.objects.filter(organization_id=org_id, status="open").count(),
    }
    return render(request, "community/mentorship.html", context)


@requires("mentorship.view")
@require_http_methods(["GET", "POST"])
def mentor_profile(request: AuthenticatedRequest) -> HttpResponse:
    profile = MentorProfile.objects.filter(user_id=member_ids(request.actor)[0]).first()
    initial = {}
    if profile is not None:
        initial = {
            "capacity": profile.capacity,
            "specialties": profile.specialties,
            "time_zone": profile.time_zone,
            "modalities": decode_set(profile.modalities),
            "routes": decode_set(profile.routes),
            "languages": ", ".join(decode_set(profile.languages)),
            "states": ", ".join(decode_set(profile.states)),
            "availability": profile.availability,
            "active": profile.active,
        }
    form = MentorProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["languages"] = data["languages"].split(",")
        data["states"] = data["states"].split(",")
        try:
            svc.profile_save(request.actor, **data)
        except Refused as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.reason)
        else:
            messages.success(request, "Your mentor profile is saved.")
            return redirect("community:mentorship")
    return render(
        request,
        "community/mentor_profile.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


@requires("mentorship.view")
@require_http_methods(["GET", "POST"])
def mentorship_request(request: AuthenticatedRequest) -> HttpResponse:
    user_id, org_id = member_ids(request.actor)
    mentors = [(p.user_id, p.user.full_name) for p in svc.mentors_of(org_id).exclude(user_id=user_id)]
    form = MentorshipRequestForm(request.POST or None, mentors=mentors)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        prefs = [p for p in (data["first"], data["second"], data["third"]) if p]
        try:
            svc.request_create(
                request.actor,
                wants=data["wants"],
                preferences=prefs,
                modalities=data["modalities"],
                routes=data["routes"],
            )
        except Refused as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.reason)
        else:
            messages.success(request, "Your request is in; you will be matched when the next matching runs.")
            return redirect("community:mentorship")
    return render(
        request,
        "community/mentorship_request.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


@requires("mentorship.match")
@require_POST
def mentorship_match(request: AuthenticatedRequest) -> HttpResponse:
    made = svc.match_run(request.actor)
    messages.success(
        request, f"Matching proposed {len(made)} pairing(s); each mentor now accepts or declines."
    )
    return redirect("community:mentorship")


@requires("mentorship.view")
@require_POST
def mentorship_decide(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    accept = request.POST.get("decision") == "accept"
    try:
        svc.mentorship_decide(request.actor, mentorship_pk=pk, accept=accept)
    except Refused as exc:
        messages.error(request, exc.reason)
    else:
        messages.success(
            request, "Mentorship accepted." if accept else "Declined; the request goes back to the pool."
        )
    return redirect("community:mentorship")


@requires("mentorship.view")
@require_http_methods(["GET", "POST"])
def mentorship_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    pairing = svc.mentorship_get(request.actor, pk)
    form = MeetingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            svc.meeting_log(request.actor, mentorship_pk=pk, **form.cleaned_data)
        except Refused as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.reason)
        else:
            messages.success(request, "Meeting logged; it counts as individual consultation time.")
            return redirect("community:mentorship_detail", pk=pk)
    context = {
        "pairing": pairing,
        "form": form,
        "meetings": pairing.meetings.order_by("-occurred_on", "-pk"),
        "is_mentor": pairing.mentor_id == request.actor.user_id,
    }
    return render(
        request, "community/mentorship_detail.html", context, status=400 if request.method == "POST" else 200
    )
