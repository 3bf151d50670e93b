"""Staff pages for a client's intake, choices and consent; the clinic's consent template. Thin:
selectors read, services write."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from kapstone.access.decorators import requires
from kapstone.access.policy import allows
from kapstone.clients import consent_selectors, consent_services, intake_services, selectors
from kapstone.clients.consent.principles import principles_for
from kapstone.clients.hooks import dosing_readiness
from kapstone.clients.intake_forms import (
    LABELS,
    ConsentSignForm,
    ConsentTemplateForm,
    IntakeForm,
    MedicationFormSet,
    PreferencesForm,
    WithdrawForm,
    intake_answers,
    medications_from,
)
from kapstone.clients.models import CarePreferences, CareTeamMember, Client, ConsentRecord, Intake
from kapstone.core.contract import Stale
from kapstone.core.forms import add_service_errors
from kapstone.core.http import AuthenticatedRequest


def _intake_of(client: Client) -> Intake | None:
    return Intake.objects.filter(client=client).prefetch_related("medications").first()


@requires("intake.view")
@require_GET
def intake_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    client = selectors.client_get(request.actor, pk, action="intake.view")
    intake = _intake_of(client)
    return render(
        request,
        "clients/intake/detail.html",
        {
            "client": client,
            "intake": intake,
            "sections": intake_display(intake),
            "medications": list(intake.medications.all()) if intake else [],
            "readiness": dosing_readiness(client),
            "can_edit": allows(request.actor, "intake.edit"),
        },
    )


def _display(intake: Intake, name: str) -> tuple[str, bool]:
    value = getattr(intake, name)
    if value is None or value == "":
        return "Not known yet", True
    if isinstance(value, bool):
        return ("Yes" if value else "No"), False
    getter = getattr(intake, f"get_{name}_display", None)
    return (str(getter()) if getter else str(value)), False


def intake_display(intake: Intake | None) -> list[tuple[str, list[tuple[str, str, bool]]]]:
    """The intake by fieldset: (legend, [(label, value shown, unknown?)])."""
    if intake is None:
        return []
    form = IntakeForm(instance=intake)
    return [
        (fs.legend, [(str(bf.label), *_display(intake, bf.name)) for bf in fs.fields])
        for fs in form.fieldsets
    ]


def _differences(form: IntakeForm, current: Intake) -> list[tuple[str, object, object]]:
    rows = []
    for name, value in form.cleaned_data.items():
        if name in ("version",) or not hasattr(current, name):
            continue
        saved = getattr(current, name)
        if value != saved:
            label = LABELS.get(name) or str(form.fields[name].label or name)
            rows.append(
                (
                    label,
                    "Not known yet" if value in (None, "") else value,
                    "Not known yet" if saved in (None, "") else saved,
                )
            )
    return rows


def _medication_rows(intake: Intake | None) -> list[dict[str, Any]]:
    return [
        {
            "name": m.name,
            "classes": m.classes,
            "dose": m.dose,
            "diazepam_equivalent_mg_per_day": m.diazepam_equivalent_mg_per_day,
        }
        for m in (intake.medications.all() if intake else [])
    ]


def _intake_conflict(form: IntakeForm, exc: Stale) -> dict[str, Any]:
    """A stale save: nothing was saved; what the person typed stays in the form, the saved
    version is shown beside it."""
    current = cast(Intake, exc.current)
    form.add_error(
        None,
        f"{exc} Nothing was saved. What you typed is kept below; the saved version "
        f"(version {current.version}) is shown beside it.",
    )
    return {
        "current": current,
        "medications": list(current.medications.all()),
        "differences": _differences(form, current),
    }


def _intake_errors(form: IntakeForm, formset: Any, exc: ValidationError) -> None:
    med_errors = exc.message_dict.pop("medications", []) if hasattr(exc, "error_dict") else []
    for message in med_errors:
        formset._non_form_errors = formset.non_form_errors() + [message]
    if hasattr(exc, "error_dict") and exc.error_dict:
        add_service_errors(form, ValidationError(exc.message_dict))
    elif not hasattr(exc, "error_dict"):
        add_service_errors(form, exc)


@requires("intake.edit")
@require_http_methods(["GET", "POST"])
def intake_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    client = selectors.client_get(request.actor, pk, action="intake.edit")
    intake = _intake_of(client)
    data = request.POST if request.method == "POST" else None
    form = IntakeForm(
        data, instance=intake or Intake(client=client), initial={"version": intake.version if intake else 0}
    )
    formset = MedicationFormSet(data, initial=_medication_rows(intake), prefix="med")
    conflict: dict[str, Any] | None = None
    if request.method == "POST" and form.is_valid() & formset.is_valid():
        try:
            saved = intake_services.intake_save(
                request.actor,
                client,
                answers=intake_answers(form),
                medications=medications_from(formset),
                expected_version=form.cleaned_data.get("version") or 0,
            )
        except Stale as exc:
            conflict = _intake_conflict(form, exc)
        except ValidationError as exc:
            _intake_errors(form, formset, exc)
        else:
            message = "Intake saved."
            if saved.superseded_clearances:
                message += " The screening facts changed, so medical clearance is required again."
            messages.success(request, message)
            return redirect("intake:detail", pk=client.pk)
    status = 409 if conflict else (400 if request.method == "POST" else 200)
    context = {"client": client, "form": form, "formset": formset, "conflict": conflict}
    return render(request, "clients/intake/form.html", context, status=status)


@requires("intake.edit")
@require_http_methods(["GET", "POST"])
def choices_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    client = selectors.client_get(request.actor, pk, action="intake.edit")
    return _choices(request, client, via="staff", template="clients/intake/choices.html")


def _choices(
    request: AuthenticatedRequest, client: Client, *, via: str, template: str, actor: Any = None
) -> HttpResponse:
    prefs = CarePreferences.objects.filter(client=client).first()
    form = PreferencesForm(
        request.POST if request.method == "POST" else None,
        instance=prefs,
        initial={"version": prefs.version if prefs else 0},
    )
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            intake_services.preferences_save(
                actor or request.actor,
                client,
                choices=intake_services.CareChoices(
                    **{k: form.cleaned_data.get(k) or "" for k in intake_services.PREFERENCE_FIELDS}
                ),
                expected_version=form.cleaned_data.get("version") or 0,
                via=via,
            )
        except Stale as exc:
            conflict = exc.current
            form.add_error(None, f"{exc} Nothing was saved; the saved choices are shown beside yours.")
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Choices saved.")
            if via == "portal":
                return redirect("portal:home")
            return redirect("clients:detail", pk=client.pk)
    status = 409 if conflict else (400 if request.method == "POST" else 200)
    return render(request, template, {"client": client, "form": form, "conflict": conflict}, status=status)


# --- Consent (staff) -------------------------------------------------------------------------------


def team_observer_names(client: Client) -> list[str]:
    """Trainees and supervisors on the care team, who may be named as observers."""
    roles = (CareTeamMember.TeamRole.TRAINEE, CareTeamMember.TeamRole.SUPERVISOR)
    members = CareTeamMember.objects.filter(client=client, team_role__in=roles).select_related("user")
    return sorted({m.user.full_name for m in members})


@requires("consent.view")
@require_GET
def consent_overview(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    client = selectors.client_get(request.actor, pk, action="consent.view")
    template = consent_selectors.current_template(client.organization_id)
    return render(
        request,
        "clients/consent/overview.html",
        {
            "client": client,
            "template": template,
            "consents": consent_selectors.consents_for(client),
            "readiness": dosing_readiness(client),
            "can_manage": allows(request.actor, "consent.manage"),
            "principles": principles_for("consent"),
        },
    )


def _sign_form(request: AuthenticatedRequest, client: Client) -> tuple[ConsentSignForm, Any]:
    template = consent_selectors.current_template(client.organization_id)
    current = consent_selectors.open_consent(client)
    initial: dict[str, Any] = {"template_id": template.doc.id, "template_version": template.doc.version}
    team = team_observer_names(client)
    if current is not None:  # start from the client's present choices
        initial.update(
            {
                k: getattr(current, k)
                for k in (
                    "touch",
                    "touch_scope",
                    "touch_stop_signal",
                    "recording",
                    "observers",
                    "at_home",
                    "chaperone_name",
                    "research",
                )
            }
        )
        initial["observer_team"] = [n for n in current.observer_names if n in team]
        initial["observer_other"] = "\n".join(n for n in current.observer_names if n not in team)
    form = ConsentSignForm(
        request.POST if request.method == "POST" else None, initial=initial, team_names=team
    )
    return form, template


def sign_consent(
    request: AuthenticatedRequest,
    client: Client,
    *,
    channel: str,
    actor: Any,
    template_name: str,
    done: str,
    done_kwargs: dict[str, Any],
) -> HttpResponse:
    form, template = _sign_form(request, client)
    if request.method == "POST" and form.is_valid():
        key = (form.cleaned_data["template_id"], form.cleaned_data["template_version"])
        try:
            answers = form.service_data()
            consent_services.consent_sign(
                actor,
                client,
                **{k: answers[k] for k in consent_services.CONSENT_ANSWERS if k in answers},
                channel=channel,
                template_key=key,
                witnessed_by=request.user if channel == ConsentRecord.Channel.IN_PERSON else None,
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and "observer_names" in exc.error_dict:  # shown by the names box
                exc.error_dict["observer_other"] = exc.error_dict.pop("observer_names")
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Consent signed ({template.label}).")
            return HttpResponseRedirect(reverse(done, kwargs=done_kwargs))
    return render(
        request,
        template_name,
        {
            "client": client,
            "form": form,
            "template": template,
            "sections": form.sections(template.doc),
            "current": consent_selectors.open_consent(client),
            "consent_principles": principles_for("consent"),
        },
        status=400 if request.method == "POST" else 200,
    )


@requires("consent.manage")
@require_http_methods(["GET", "POST"])
def consent_sign_in_person(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    client = selectors.client_get(request.actor, pk, action="consent.manage")
    return sign_consent(
        request,
        client,
        channel=ConsentRecord.Channel.IN_PERSON,
        actor=request.actor,
        template_name="clients/consent/sign.html",
        done="intake:consent",
        done_kwargs={"pk": client.pk},
    )


@requires("consent.view")
@require_GET
def consent_detail(request: AuthenticatedRequest, pk: int, cid: int) -> HttpResponse:
    client = selectors.client_get(request.actor, pk, action="consent.view")
    consent = consent_selectors.consent_get(request.actor, client, cid, action="consent.view")
    return render(
        request,
        "clients/consent/detail.html",
        {
            "client": client,
            "consent": consent,
            "can_manage": allows(request.actor, "consent.manage"),
            "template": consent_selectors.current_template(client.organization_id),
        },
    )


def withdraw_consent(
    request: AuthenticatedRequest,
    client: Client,
    consent: ConsentRecord,
    *,
    channel: str,
    actor: Any,
    template_name: str,
    done: str,
    done_kwargs: dict[str, Any],
) -> HttpResponse:
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            consent_services.consent_withdraw(
                actor, consent, reason=form.cleaned_data["reason"], channel=channel
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Consent withdrawn. No dosing session can start without a new consent.")
            return HttpResponseRedirect(reverse(done, kwargs=done_kwargs))
    return render(
        request,
        template_name,
        {"client": client, "consent": consent, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@requires("consent.manage")
@require_http_methods(["GET", "POST"])
def consent_withdraw(request: AuthenticatedRequest, pk: int, cid: int) -> HttpResponse:
    client = selectors.client_get(request.actor, pk, action="consent.manage")
    consent = consent_selectors.consent_get(request.actor, client, cid, action="consent.manage")
    return withdraw_consent(
        request,
        client,
        consent,
        channel=ConsentRecord.Channel.IN_PERSON,
        actor=request.actor,
        template_name="clients/consent/withdraw.html",
        done="intake:consent",
        done_kwargs={"pk": client.pk},
    )


# --- The clinic's consent template -----------------------------------------------------------------


@requires("consent.template.view")
@require_GET
def consent_template(request: AuthenticatedRequest) -> HttpResponse:
    current = consent_selectors.current_template(request.actor.organization_id)
    return render(
        request,
        "clients/consent/template.html",
        {
            "template": current,
            "versions": consent_selectors.template_versions(request.actor.organization_id),
            "can_edit": allows(request.actor, "consent.template.edit"),
        },
    )


@requires("consent.template.edit")
@require_http_methods(["GET", "POST"])
def consent_template_edit(request: AuthenticatedRequest) -> HttpResponse:
    current = consent_selectors.current_template(request.actor.organization_id)
    form = ConsentTemplateForm(
        request.POST if request.method == "POST" else None, initial={"text": current.doc.text}
    )
    if request.method == "POST" and form.is_valid():
        try:
            row = consent_services.consent_template_save(
                request.actor, form.cleaned_data["text"], note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"Consent template {row.template_id} v{row.version} is now in use. "
                "Clients will be asked to renew their consent.",
            )
            return redirect("intake:consent_template")
    return render(
        request,
        "clients/consent/template_edit.html",
        {"form": form, "template": current},
        status=400 if request.method == "POST" else 200,
    )
