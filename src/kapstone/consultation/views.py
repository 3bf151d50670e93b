"""Pages of case consultation. Thin: a selector reads (scoped, audited, 404 for not yours), a service
writes. Every text a person typed is shown escaped: nothing a member writes runs in another's browser.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapstone.access.decorators import requires
from kapstone.access.policy import allows
from kapstone.clients.selectors import client_get, clients_scoped
from kapstone.consultation import selectors, services
from kapstone.consultation.forms import (
    CaseNewForm,
    FeedbackForm,
    FlagForm,
    PostForm,
    RedactMoreForm,
    decision_choices,
)
from kapstone.consultation.models import Case, Proposal
from kapstone.core.contract import Refused
from kapstone.core.forms import add_service_errors
from kapstone.core.http import AuthenticatedRequest
from kapstone.notes.selectors import note_list


@requires("consultation.view")
@require_GET
def home(request: AuthenticatedRequest) -> HttpResponse:
    actor = request.actor
    clients = list(
        clients_scoped(actor, "consultation.case.create")
        .filter(is_active=True)
        .order_by("family_name", "given_name")[:200]
    )
    return render(
        request,
        "consultation/home.html",
        {
            "groups": list(selectors.groups_of(actor).order_by("name")),
            "cases": selectors.my_cases(actor),
            "clients": clients,
            "can_manage": allows(actor, "consultation.group.manage"),
        },
    )


@requires("consultation.case.create")
@require_http_methods(["GET", "POST"])
def case_new(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    actor = request.actor
    client = client_get(actor, pk, action="consultation.case.create")
    notes = [n for n in note_list(actor, client) if n.is_signed]
    choices = [(n.pk, f"{n.template_id.upper()} note, signed {n.signed_at:%Y-%m-%d}") for n in notes]
    form = CaseNewForm(request.POST or None, note_choices=choices)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.case_create(
                actor,
                client=client,
                summary=form.cleaned_data["summary"],
                note_ids=form.cleaned_data["notes"],
            )
        except Refused as exc:
            add_service_errors(form, exc.as_validation_error())
        else:
            return redirect("consultation:case_review", pk=case.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "consultation/case_new.html", {"client": client, "form": form}, status=status)


def _segments(case: Case, proposals: list[Proposal]) -> list[tuple[str, Proposal | None]]:
    """The source cut at each proposal, for the side-by-side view (rendered escaped)."""
    out: list[tuple[str, Proposal | None]] = []
    at = 0
    for p in sorted(proposals, key=lambda p: (p.start, p.end)):
        if p.start < at:
            continue
        out += [(case.source_text[at : p.start], None), (case.source_text[p.start : p.end], p)]
        at = p.end
    out.append((case.source_text[at:], None))
    return out


def _review_page(request: AuthenticatedRequest, case: Case, status: int = 200, **extra: Any) -> HttpResponse:
    proposals = list(case.proposals.all())
    rows = [(p, decision_choices(p), case.source_text[p.start : p.end]) for p in proposals]
    groups = list(selectors.groups_of(request.actor).filter(members__user_id=request.user.pk).distinct())
    context = {
        "case": case,
        "rows": rows,
        "segments": _segments(case, proposals),
        "preview": services.final_text(case),
        "undecided": sum(1 for p in proposals if not p.decision),
        "post_form": PostForm(initial={"version": case.version}, groups=groups),
        "redact_form": RedactMoreForm(),
        **extra,
    }
    return render(request, "consultation/case_review.html", context, status=status)


@requires("consultation.case.create")
@require_http_methods(["GET", "POST"])
def case_review(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    case = selectors.case_for_author(request.actor, pk)
    if request.method == "GET":
        return _review_page(request, case)
    decisions = {
        p.pk: services.Decision(
            request.POST.get(f"d{p.pk}", ""),
            request.POST.get(f"r{p.pk}", ""),
            request.POST.get(f"why{p.pk}", ""),
        )
        for p in case.proposals.all()
    }
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = -1
    try:
        services.case_review(request.actor, case=case, decisions=decisions, expected_version=version)
    except Refused as exc:
        return _review_page(request, case, status=422, error=exc.reason, typed=request.POST)
    messages.success(request, "Decisions saved.")
    return redirect("consultation:case_review", pk=case.pk)


@requires("consultation.case.create")
@require_POST
def case_redact(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    case = selectors.case_for_author(request.actor, pk)
    try:
        added = services.case_redact_more(request.actor, case=case, phrase=request.POST.get("phrase", ""))
    except Refused as exc:
        return _review_page(request, case, status=422, error=exc.reason)
    messages.success(request, f"{added} more place(s) redacted.")
    return redirect("consultation:case_review", pk=case.pk)


@requires("consultation.case.create")
@require_POST
def case_post(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    actor = request.actor
    case = selectors.case_for_author(actor, pk, action="consultation.case.post")
    groups = list(selectors.groups_of(actor))
    form = PostForm(request.POST, groups=groups)
    if not form.is_valid():
        return _review_page(request, case, status=422, error="Choose a group you belong to.")
    group = next(g for g in groups if g.pk == form.cleaned_data["group"])
    try:
        services.case_post(actor, case=case, group=group, expected_version=form.cleaned_data["version"])
    except Refused as exc:
        return _review_page(request, case, status=422, error=exc.reason)
    messages.success(request, f"Posted to {group.name}.")
    return redirect("consultation:case", pk=case.pk)


@requires("consultation.view")
@require_GET
def case_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    actor = request.actor
    case = selectors.case_get(actor, pk)
    if case.status not in {Case.Status.POSTED, Case.Status.CLOSED}:
        return redirect("consultation:case_review", pk=case.pk)  # only its author reaches a draft
    is_member = case.group is not None and actor.user_id in selectors.member_ids(case.group)
    return render(
        request,
        "consultation/case_detail.html",
        {
            "case": case,
            "snapshot": selectors.latest_snapshot(case),
            "thread": selectors.thread(case),
            "feedback_form": FeedbackForm(),
            "flag_form": FlagForm(),
            "can_feedback": is_member
            and case.status == Case.Status.POSTED
            and allows(actor, "consultation.feedback"),
            "can_close": case.group is not None
            and case.group.facilitator_id == actor.user_id
            and case.status == Case.Status.POSTED,
        },
    )


@requires("consultation.feedback")
@require_POST
def case_feedback(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    case = selectors.case_for_member_action(request.actor, pk, action="consultation.feedback")
    try:
        services.feedback_add(request.actor, case=case, body=request.POST.get("body", ""))
    except Refused as exc:
        messages.error(request, exc.reason)
    return redirect("consultation:case", pk=case.pk)


@requires("consultation.feedback")
@require_POST
def case_flag(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    case = selectors.case_for_member_action(request.actor, pk, action="consultation.feedback")
    try:
        services.case_flag(request.actor, case=case, reason=request.POST.get("reason", ""))
    except Refused as exc:
        messages.error(request, exc.reason)
        return redirect("consultation:case", pk=case.pk)
    messages.success(request, "Thank you. The case is hidden and back with its author.")
    return redirect("consultation:group", pk=case.group_id)


@requires("consultation.feedback")
@require_POST
def case_close(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    case = selectors.case_for_member_action(request.actor, pk, action="consultation.feedback")
    services.case_close(request.actor, case=case)
    return redirect("consultation:case", pk=case.pk)
