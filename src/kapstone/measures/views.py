"""Staff pages for measurement. Thin: a selector reads, a service writes, a template shows."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from kapstone.access.decorators import one_transaction, requires, signed_in
from kapstone.access.policy import allows
from kapstone.audit.services import record
from kapstone.clients.models import Client
from kapstone.clients.selectors import client_get, clients_scoped
from kapstone.core.actor import Actor
from kapstone.core.forms import add_service_errors
from kapstone.core.http import AuthenticatedRequest
from kapstone.measures import presentation, selectors, services
from kapstone.measures.forms import (
    AcknowledgeForm,
    InstrumentSettingsForm,
    QuestionnaireForm,
    ScheduleForm,
    SendLinkForm,
    answer_pairs,
)
from kapstone.measures.instruments import (
    UnknownInstrumentError,
    get_instrument,
    get_instrument_or_newest,
    newest_instruments,
)
from kapstone.measures.models import Source


@requires("outcomes.caseload")
@require_GET
def caseload(request: AuthenticatedRequest) -> HttpResponse:
    data = selectors.caseload(request.actor)
    return render(request, "measures/caseload.html", {"caseload": data})


@requires("measure.view")
@require_GET
def client_measures(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    actor = request.actor
    client = client_get(actor, pk, action="measure.view")
    data = selectors.client_measures(actor, client)
    return render(
        request,
        "measures/client.html",
        {
            "client": client,
            "data": data,
            "panels": presentation.history_panels(data),
            "can_record": allows(actor, "measure.record"),
            "can_assign": allows(actor, "measure.assign"),
            "can_acknowledge": allows(actor, "safety.acknowledge"),
        },
    )


@requires("measure.record")
@require_GET
def record_choose(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    client = client_get(request.actor, pk, action="measure.record")
    return render(
        request, "measures/record_choose.html", {"client": client, "instruments": newest_instruments()}
    )


@requires("measure.record")
@require_http_methods(["GET", "POST"])
@one_transaction
def record_form(request: AuthenticatedRequest, pk: int, instrument_id: str) -> HttpResponse:
    """The questionnaire form. A post finds the client once in the actor's scope (the write's one
    authorization) and leaves the read's audit row to the write's: the stored response's row, or the
    refusal's; a form shown again without either records the read as a page does."""
    actor = request.actor
    posted = request.method == "POST"
    client = _client_to_record(actor, pk) if posted else client_get(actor, pk, action="measure.record")
    try:
        instrument = get_instrument(instrument_id)
    except UnknownInstrumentError:
        raise Http404 from None
    options, texts = selectors.clinic_settings(client.organization_id, instrument.id)
    form = QuestionnaireForm(instrument, request.POST or None, item_texts=texts, with_administered_at=True)
    safety_tasks = []
    audited = not posted  # the GET's client_get recorded the read
    if posted and form.is_valid():
        try:
            response = services.response_submit_in_scope(
                actor,
                client,
                instrument.id,
                answer_pairs(request.POST),
                source=Source.CLINICIAN,
                administered_at=form.cleaned_data.get("administered_at"),
                options=options,
            )
        except services.IncompleteResponse as exc:
            safety_tasks = exc.safety_tasks
            add_service_errors(form, exc)
            audited = True  # the refusal's audit row names the client
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{instrument.short_title} saved.")
            return redirect("measures:response", pk=response.pk)
    if not audited:
        record(actor, "measure.record", object_type="client", object_id=client.pk, client_id=client.pk)
    return render(
        request,
        "measures/record_form.html",
        {
            "client": client,
            "instrument": instrument,
            "form": form,
            "safety_tasks": safety_tasks,
        },
    )


def _client_to_record(actor: Actor, pk: int) -> Client:
    """The client a questionnaire is posted for, in the actor's scope, not yet audited as a read; a
    missing and a forbidden client give the same Http404, the refusal audited (by ``client_get``)."""
    try:
        return clients_scoped(actor, "measure.record").get(pk=pk)
    except Client.DoesNotExist:
        return client_get(actor, pk, action="measure.record")  # records the denial, raises Http404


@requires("measure.view")
@require_GET
def response_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    response = selectors.response_get(request.actor, pk)
    try:
        instrument = get_instrument_or_newest(response.instrument_id, response.instrument_version)
    except UnknownInstrumentError:
        instrument = None
    _, texts = selectors.clinic_settings(response.organization_id, response.instrument_id)
    return render(
        request,
        "measures/response.html",
        {
            "response": response,
            "client": response.client,
            "instrument": instrument,
            "answers": presentation.answer_rows(instrument, response, texts),
            "safety_tasks": response.safety_tasks.select_related("acknowledged_by").order_by("opened_at"),
        },
    )


@requires("safety.acknowledge")
@require_http_methods(["GET", "POST"])
def safety_task(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    task = selectors.safety_task_get(request.actor, pk)
    form = AcknowledgeForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and task.is_open:
        try:
            services.safety_acknowledge(
                request.actor,
                task,
                form.cleaned_data["action_taken"],
                safety_plan=form.cleaned_data["safety_plan"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Safety task acknowledged; your action is recorded.")
            return redirect("measures:client", pk=task.client_id)
    return render(request, "measures/safety_task.html", {"task": task, "client": task.client, "form": form})


@requires("measure.assign")
@require_http_methods(["GET", "POST"])
def send_link(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    actor = request.actor
    client = client_get(actor, pk, action="measure.assign")
    form = SendLinkForm(request.POST or None, initial={"instrument": request.GET.get("instrument", "")})
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            link, token = services.portal_link_create(actor, client, form.cleaned_data["instrument"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            # The link is shown this once (never stored): to hand a tablet to the client in clinic.
            created = {"link": link, "url": services.link_url(token), "mailed": bool(link.mail_key)}
    return render(request, "measures/send_link.html", {"client": client, "form": form, "created": created})


@requires("measure.assign")
@require_http_methods(["GET", "POST"])
def schedules(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    actor = request.actor
    client = client_get(actor, pk, action="measure.assign")
    stop = request.POST.get("stop") if request.method == "POST" else None
    form = ScheduleForm(None if stop else (request.POST or None))
    if stop:
        if not stop.isdigit():
            raise Http404
        services.schedule_stop(actor, selectors.schedule_get(actor, client, int(stop)))
        messages.success(request, "Schedule stopped.")
        return redirect("measures:schedules", pk=client.pk)
    if request.method == "POST" and form.is_valid():
        try:
            services.schedule_create(
                actor,
                client,
                form.cleaned_data["instrument"],
                kind=form.cleaned_data["kind"],
                interval_days=form.cleaned_data.get("interval_days"),
                first_due_at=form.cleaned_data.get("first_due_at"),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Schedule added.")
            return redirect("measures:schedules", pk=client.pk)
    current = client.measure_schedules.filter(active=True).order_by("instrument_id", "kind")
    return render(request, "measures/schedules.html", {"client": client, "form": form, "schedules": current})


@signed_in
@require_GET
def instruments(request: AuthenticatedRequest) -> HttpResponse:
    """The installed definitions with their sources and licences (no client data)."""
    return render(
        request,
        "measures/instruments.html",
        {
            "instruments": newest_instruments(),
            "can_configure": allows(request.actor, "instrument.configure"),
        },
    )


@requires("instrument.configure")
@require_http_methods(["GET", "POST"])
def instrument_settings(request: AuthenticatedRequest, instrument_id: str) -> HttpResponse:
    actor = request.actor
    try:
        instrument = get_instrument(instrument_id)
    except UnknownInstrumentError:
        raise Http404 from None
    current = selectors.instrument_settings_get(actor.organization_id, instrument.id)
    initial = InstrumentSettingsForm.initial_for(
        instrument,
        current.options if current else {},
        current.item_text if current else {},
        current.version if current else 1,
    )
    form = InstrumentSettingsForm(instrument, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.instrument_settings_update(
                actor,
                instrument.id,
                options=form.options(),
                item_text=form.item_texts(),
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{instrument.short_title} settings saved.")
            return redirect("measures:instrument_settings", instrument_id=instrument.id)
    return render(request, "measures/instrument_settings.html", {"instrument": instrument, "form": form})
