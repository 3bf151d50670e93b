"""The client's questionnaire, opened from a mailed single-use link (no sign-in needed).

An unknown, used or expired link gets the same plain page and status, showing no data; the attempt
is audited as denied. The page has no staff navigation and works on a phone without JavaScript.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from kapstone.access.decorators import public
from kapstone.core.forms import add_service_errors
from kapstone.core.http import KapstoneRequest
from kapstone.core.localtime import format_date
from kapstone.measures import selectors, services
from kapstone.measures.forms import QuestionnaireForm, answer_pairs


def _closed(request: KapstoneRequest) -> HttpResponse:
    return render(request, "measures/portal/closed.html", status=404)


@public
@require_http_methods(["GET", "POST"])
def questionnaire(request: KapstoneRequest, token: str) -> HttpResponse:
    try:
        link = services.portal_link_open(token, source_ip=request.source_ip, request_id=request.request_id)
    except services.LinkClosed:
        return _closed(request)
    try:
        instrument = services.link_instrument(
            services.portal_actor(link, source_ip=request.source_ip, request_id=request.request_id), link
        )
    except services.LinkClosed:
        return _closed(request)
    _, texts = selectors.clinic_settings(link.organization_id, instrument.id)
    initial = {k: str(v) for k, v in (link.partial_answers or {}).items()}
    form = QuestionnaireForm(instrument, request.POST or None, initial=initial, item_texts=texts)
    if request.method == "POST":
        pairs = answer_pairs(request.POST)
        try:
            if request.POST.get("action") == "save":
                services.portal_answers_save(
                    token, pairs, source_ip=request.source_ip, request_id=request.request_id
                )
                messages.success(
                    request,
                    f"Your answers are saved. Open the same link to carry on before "
                    f"{format_date(link.expires_at)}.",
                )
                return redirect("questionnaire:fill", token=token)
            services.portal_submit(token, pairs, request.source_ip, request_id=request.request_id)
        except services.LinkClosed:
            return _closed(request)
        except ValidationError as exc:
            form.is_valid()
            add_service_errors(form, exc)
        else:
            return redirect("questionnaire:done")
    return render(
        request,
        "measures/portal/questionnaire.html",
        {
            "form": form,
            "instrument": instrument,
            "organization": link.organization,
            "link": link,
        },
    )


@public
@require_GET
def done(request: KapstoneRequest) -> HttpResponse:
    return render(request, "measures/portal/done.html")
