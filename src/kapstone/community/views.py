"""The community hub."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kapstone.access.decorators import requires
from kapstone.access.policy import allows
from kapstone.core.http import AuthenticatedRequest


@requires("community.view")
@require_GET
def home(request: AuthenticatedRequest) -> HttpResponse:
    actor = request.actor
    can = {
        action.replace(".", "_"): allows(actor, action)
        for action in (
            "directory.attest",
            "referral.view",
            "forum.view",
            "workshop.view",
            "mentorship.view",
            "library.view",
        )
    }
    return render(request, "community/home.html", {"can": can})
