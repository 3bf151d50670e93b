"""Screening, the prescriber's report and decision, and the clinic's rule set. Thin views."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapstone.access.decorators import requires
from kapstone.access.policy import allows
from kapstone.clients import selectors as client_selectors
from kapstone.clients.consent.principles import principles_for
from kapstone.core.forms import add_service_errors
from kapstone.core.http import AuthenticatedRequest
from kapstone.screening import selectors, services
from kapstone.screening.forms import ClearanceForm, RuleSetForm, ScreeningSettingsForm, SubmitForm
from kapstone.screening.models import ScreeningEvaluation
from kapstone.screening.readiness import dosing_readiness
from kapstone.screening.report import build_report


@requires("screening.view")
@require_GET
def screening_list(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    client = client_selectors.client_get(request.actor, pk, action="screening.view")
    return render(
        request,
        "screening/list.html",
        {
            "client": client,
            "evaluations": selectors.evaluations_for(client),
            "active": selectors.active_ruleset(client.organization_id),
            "can_submit": allows(request.actor, "screening.submit"),
            "readiness": dosing_readiness(client),
        },
    )


@requires("screening.submit")
@require_POST
def screening_run(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    client = client_selectors.client_get(request.actor, pk, action="screening.submit")
    try:
        evaluation = services.screening_run(request.actor, client)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, f"The screening could not run: {message}")
        return redirect("screening:list", pk=client.pk)
    return redirect("screening:evaluation", pk=client.pk, eid=evaluation.pk)


def _report_context(
    request: AuthenticatedRequest, client: Any, evaluation: ScreeningEvaluation
) -> dict[str, Any]:
    clearance = selectors.clearance_of(evaluation)
    awaiting = (
        evaluation.status == ScreeningEvaluation.Status.SUBMITTED
        and evaluation.superseded_at is None
        and clearance is None
    )
    return {
        "client": client,
        "evaluation": evaluation,
        "report": build_report(evaluation),
        "clearance": clearance,
        "awaiting": awaiting,
        "can_submit": allows(request.actor, "screening.submit")
        and evaluation.status == "draft"
        and evaluation.superseded_at is None,
        "can_decide": awaiting and services.is_team_prescriber(request.actor, client),
        "principles": principles_for("clearance"),
    }


@requires("screening.view")
@require_GET
def evaluation_detail(request: AuthenticatedRequest, pk: int, eid: int) -> HttpResponse:
    client = client_selectors.client_get(request.actor, pk, action="screening.view")
    evaluation = selectors.evaluation_get(request.actor, client, eid, action="screening.view")
    context = _report_context(request, client, evaluation)
    context["submit_form"] = SubmitForm()
    return render(request, "screening/report.html", context)


@requires("screening.submit")
@require_POST
def evaluation_submit(request: AuthenticatedRequest, pk: int, eid: int) -> HttpResponse:
    client = client_selectors.client_get(request.actor, pk, action="screening.submit")
    evaluation = selectors.evaluation_get(request.actor, client, eid, action="screening.submit")
    form = SubmitForm(request.POST)
    if form.is_valid():
        try:
            services.screening_submit(request.actor, evaluation, note=form.cleaned_data["note"])
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, "Screening submitted to the prescriber.")
            return redirect("screening:evaluation", pk=client.pk, eid=evaluation.pk)
    context = _report_context(request, client, evaluation)
    context["submit_form"] = form
    return render(request, "screening/report.html", context, status=400)


@requires("clearance.decide")
@require_http_methods(["GET", "POST"])
def clearance_decide(request: AuthenticatedRequest, pk: int, eid: int) -> HttpResponse:
    client = client_selectors.client_get(request.actor, pk, action="clearance.decide")
    evaluation = selectors.evaluation_get(request.actor, client, eid, action="clearance.decide")
    form = ClearanceForm(
        request.POST if request.method == "POST" else None,
        evaluation=evaluation,
        flagged=services.flagged_judgement_rules(evaluation),
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            clearance = services.clearance_decide(request.actor, evaluation, **form.service_data())
        except PermissionError:
            form.add_error(None, "Only the prescriber on this client's care team can decide.")
            status = 403
        except ValidationError as exc:
            add_service_errors(form, exc)
            status = 400
        else:
            messages.success(request, f"Decision recorded: {clearance.get_decision_display()}.")
            return redirect("screening:evaluation", pk=client.pk, eid=evaluation.pk)
    elif request.method == "POST":
        status = 400
    context = _report_context(request, client, evaluation)
    context["form"] = form
    return render(request, "screening/report.html", context, status=status)


# --- The clinic's rule set ---------------------------------------------------------------------------


@requires("ruleset.view")
@require_GET
def ruleset_overview(request: AuthenticatedRequest) -> HttpResponse:
    org_id = request.actor.organization_id
    active = selectors.active_ruleset(org_id)
    overrides = selectors.setting_overrides(org_id)
    in_force = active.ruleset.resolve_settings(
        {k: v for k, v in overrides.items() if k in active.ruleset.settings}
    )
    return render(
        request,
        "screening/ruleset.html",
        {
            "active": active,
            "versions": selectors.ruleset_versions(org_id),
            "overrides": overrides,
            "in_force": in_force,
            "can_edit": allows(request.actor, "ruleset.edit"),
            "clearance_days": selectors.clearance_valid_days(org_id),
            "measure_days": selectors.measure_max_age_days(org_id),
        },
    )


@requires("ruleset.view")
@require_GET
def ruleset_version(request: AuthenticatedRequest, vid: int) -> HttpResponse:
    row = selectors.ruleset_version_get(request.actor, vid)
    return render(request, "screening/ruleset_version.html", {"row": row})


@requires("ruleset.edit")
@require_http_methods(["GET", "POST"])
def ruleset_edit(request: AuthenticatedRequest) -> HttpResponse:
    active = selectors.active_ruleset(request.actor.organization_id)
    form = RuleSetForm(request.POST if request.method == "POST" else None, initial={"toml_text": active.text})
    if request.method == "POST" and form.is_valid():
        try:
            row = services.ruleset_save(
                request.actor, form.cleaned_data["toml_text"], note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, f"Rule set {row.ruleset_id} {row.version} is now in use for new screenings."
            )
            return redirect("screening:ruleset")
    return render(
        request,
        "screening/ruleset_edit.html",
        {"form": form, "active": active},
        status=400 if request.method == "POST" else 200,
    )


@requires("ruleset.edit")
@require_POST
def ruleset_activate(request: AuthenticatedRequest) -> HttpResponse:
    choice = request.POST.get("version", "")
    row = None if choice == "default" else selectors.ruleset_version_get(request.actor, int(choice or 0))
    try:
        services.ruleset_activate(request.actor, row)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, "Rule set activated for new screenings.")
    return redirect("screening:ruleset")


@requires("ruleset.edit")
@require_http_methods(["GET", "POST"])
def ruleset_settings(request: AuthenticatedRequest) -> HttpResponse:
    org_id = request.actor.organization_id
    active = selectors.active_ruleset(org_id)
    stored = selectors.screening_settings(org_id)
    initial: dict[str, Any] = {"version": stored.version if stored else 0}
    if stored is not None:
        initial.update(
            clearance_valid_days=stored.clearance_valid_days, measure_max_age_days=stored.measure_max_age_days
        )
        initial.update({f"setting_{k}": v for k, v in stored.overrides.items()})
    defaults = (
        int(settings.KAPSTONE_CLEARANCE_VALID_DAYS),
        int(settings.KAPSTONE_SCREENING_MEASURE_MAX_AGE_DAYS),
    )
    form = ScreeningSettingsForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        ruleset=active.ruleset,
        default_days=defaults,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.screening_settings_save(
                request.actor,
                overrides=form.overrides(),
                clearance_valid_days=form.cleaned_data["clearance_valid_days"],
                measure_max_age_days=form.cleaned_data["measure_max_age_days"],
                expected_version=form.cleaned_data.get("version") or 0,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Screening settings saved; they apply to new screenings and decisions.")
            return redirect("screening:ruleset")
    return render(
        request,
        "screening/settings.html",
        {"form": form, "active": active},
        status=400 if request.method == "POST" else 200,
    )
