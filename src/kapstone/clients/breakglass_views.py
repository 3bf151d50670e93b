"""Emergency access pages: a clinician's search and reason form; the admin's review list and page."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from kapstone.access.decorators import requires
from kapstone.audit.services import record
from kapstone.clients import breakglass
from kapstone.core.actor import BREAK_GLASS_UNTIL
from kapstone.core.contract import Refused
from kapstone.core.http import AuthenticatedRequest


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Why do you need this record now?",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        strip=False,  # kept verbatim
        help_text="Required. The care team and the organization's admin read it; it stays with the record.",
    )


class ReviewForm(forms.Form):
    comment = forms.CharField(
        label="Review comment",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="Required: what you checked, and whether the access was justified.",
    )


@requires("breakglass.invoke")
@require_GET
def breakglass_search(request: AuthenticatedRequest) -> HttpResponse:
    """Find a client of one's own organization by name or record number."""
    query = request.GET.get("q", "").strip()[:100]
    found = breakglass.find_clients(request.actor, query=query) if query else []
    minutes = settings.KAPSTONE_BREAK_GLASS_MINUTES
    return render(request, "clients/breakglass.html", {"q": query, "found": found, "minutes": minutes})


@requires("breakglass.invoke")
@require_http_methods(["GET", "POST"])
def breakglass_client(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Give the reason; on success the record opens for the configured time."""
    action = breakglass.GRANT if request.method == "POST" else breakglass.SEARCH
    client = breakglass.client_for_grant(request.actor, pk, action=action)
    form = ReasonForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            grant = breakglass.break_glass_grant(
                request.actor, client=client, reason=form.cleaned_data["reason"]
            )
        except Refused as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.reason)
        else:
            until = float(request.session.get(BREAK_GLASS_UNTIL, 0))
            request.session[BREAK_GLASS_UNTIL] = max(until, grant.expires_at.timestamp())
            messages.warning(request, "Emergency access is open. The care team and the admin were told.")
            return redirect("clients:detail", pk=client.pk)
    if request.method == "POST":
        status = 422
    context = {
        "client": client,
        "form": form,
        "minutes": settings.KAPSTONE_BREAK_GLASS_MINUTES,
        "on_team": breakglass.on_care_team(request.actor, client),
    }
    return render(request, "clients/breakglass_client.html", context, status=status)


@requires("breakglass.review")
@require_GET
def breakglass_review(request: AuthenticatedRequest) -> HttpResponse:
    """The admin's list: grants waiting for review (oldest first), then the last ones reviewed."""
    waiting = list(breakglass.grants_to_review(request.actor)[:200])
    done = breakglass.recent_reviewed(request.actor)
    record(request.actor, breakglass.REVIEW_VIEW, object_type="break_glass",
           detail={"waiting": len(waiting), "reviewed_shown": len(done)})  # fmt: skip
    return render(request, "clients/breakglass_review.html", {"waiting": waiting, "done": done})


@requires("breakglass.review")
@require_http_methods(["GET", "POST"])
def breakglass_grant(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """One grant: who, when, why, what they opened; the admin marks it reviewed with a comment."""
    grant = breakglass.grant_get(request.actor, pk)
    form = ReviewForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            breakglass.grant_review(request.actor, grant=grant, comment=form.cleaned_data["comment"])
        except Refused as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.reason)
        else:
            messages.success(request, "Marked reviewed.")
            return redirect("clients:breakglass_review")
    if request.method == "POST":
        status = 422
    context = {"grant": grant, "uses": breakglass.uses_of(grant), "form": form}
    return render(request, "clients/breakglass_grant.html", context, status=status)
