"""The program outcomes page: response and remission rates per protocol and instrument."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kapstone.access.decorators import requires
from kapstone.core.http import AuthenticatedRequest
from kapstone.outcomes import selectors


@requires("outcomes.program")
@require_GET
def program(request: AuthenticatedRequest) -> HttpResponse:
    rows = selectors.program_outcomes(request.actor)
    return render(request, "outcomes/program.html", {"rows": rows, "min_cell": selectors.min_cell()})
