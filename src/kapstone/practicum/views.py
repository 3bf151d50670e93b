"""Practicum pages. Thin: selectors read (scoped, audited, 404 for not yours), services write; a
refused form is shown again with what was typed and the reason."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapstone.access.decorators import requires
from kapstone.access.policy import allows
from kapstone.accounts.models import Organization, User
from kapstone.audit.services import record
from kapstone.clients.selectors import clients_scoped
from kapstone.core.contract import Refused
from kapstone.core.forms import add_service_errors
from kapstone.core.http import AuthenticatedRequest
from kapstone.practicum import desk as desk_reads
from kapstone.practicum import selectors, services
from kapstone.practicum.export import cohort_csv, ledger_pdf
from kapstone.practicum.forms import EntryForm, FactForm, MeetingForm, ReverseForm, ReviewForm


def _page_number(request: AuthenticatedRequest) -> int:
    """``?page=`` of the ledger's entries; anything but a whole number is the first page."""
    raw = request.GET.get("page", "")
    return int(raw) if raw.isascii() and raw.isdigit() else 1


def _page(request: AuthenticatedRequest, trainee: User, *, own: bool) -> HttpResponse:
    view = selectors.ledger(request.actor, trainee, page=_page_number(request))
    facts = [(f, q) for s in view.sets for f, q in s.facts.items()]
    return render(request, "practicum/ledger.html", {
        "view": view, "own": own, "sets": selectors.side_by_side(view), "totals": selectors.kind_totals(view),
        "fact_form": None if own or not facts else FactForm(facts=facts), "reverse_form": ReverseForm(),
        "can_issue": allows(request.actor, "credential.issue"),
    })  # fmt: skip


@requires("practicum.home")
@require_GET
def home(request: AuthenticatedRequest) -> HttpResponse:
    """The navigation's one link: a trainee's ledger, a supervisor's desk, an admin's program page."""
    actor = request.actor
    if allows(actor, "practicum.own"):
        return redirect("practicum:ledger")
    if allows(actor, "practicum.desk"):
        return redirect("practicum:desk")
    return redirect("practicum:program")


@requires("practicum.own")
@require_GET
def my_ledger(request: AuthenticatedRequest) -> HttpResponse:
    return _page(request, request.user, own=True)


@requires("practicum.own")
@require_GET
def my_ledger_pdf(request: AuthenticatedRequest) -> HttpResponse:

    view = selectors.ledger(request.actor, request.user, per_page=selectors.SHOWN)
    name = Organization.objects.get(pk=request.actor.organization_id or -1).name
    response = HttpResponse(ledger_pdf(view, organization_name=name), content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="practicum-ledger.pdf"'
    return response


@requires("practicum.export")
@require_GET
def export_csv(request: AuthenticatedRequest, what: str) -> HttpResponseBase:
    from django.http import Http404, StreamingHttpResponse

    if what not in ("status", "entries"):
        raise Http404
    record(request.actor, "practicum.export", object_type="practicum", detail={"what": what})
    response = StreamingHttpResponse(cohort_csv(request.actor, what), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="practicum-{what}.csv"'
    return response


@requires("practicum.trainee")
@require_GET
def trainee_ledger(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _page(request, selectors.trainee_get(request.actor, pk), own=False)


@requires("practicum.own")
@require_http_methods(["GET", "POST"])
def entry_new(request: AuthenticatedRequest) -> HttpResponse:
    actor = request.actor
    org = actor.organization_id or -1
    supervisors = User.objects.filter(pk__in=selectors.supervisor_ids_of(actor.user_id or -1, org))
    clients = clients_scoped(actor, "client.view").order_by("family_name", "given_name")[:200]
    form = EntryForm(
        request.POST or None, supervisors=[(u.pk, u.full_name or u.email) for u in supervisors],
        topics=sorted(services.known_topics(org)), clients=[(c.pk, c.display_name) for c in clients],
    )  # fmt: skip
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.entry_log(
                actor, kind=data["kind"], occurred_on=data["occurred_on"], minutes=data["minutes"],
                supervisor_id=data["supervisor"], description=data["description"],
                topics=tuple(data["topics"]),
                group_size=data["group_size"], online=form.online_value(), session_kind=data["session_kind"],
                client_id=data["client"], starts_at=data["starts_at"],
                idempotency_key=data["idempotency_key"],
            )  # fmt: skip
        except Refused as exc:
            add_service_errors(form, exc.as_validation_error())
        else:
            messages.success(request, "Logged. It counts once your supervisor verifies it.")
            return redirect("practicum:ledger")
    status = 422 if form.errors else 200
    return render(request, "practicum/entry_form.html", {"form": form}, status=status)


@requires("practicum.own")
@require_POST
def entry_reverse(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    form = ReverseForm(request.POST)
    reason = form.data.get("reason", "") if not form.is_valid() else form.cleaned_data["reason"]
    services.entry_reverse(request.actor, entry_id=pk, reason=str(reason))
    messages.success(request, "A reversing entry was logged; your supervisor verifies it.")
    return redirect("practicum:ledger")


@requires("practicum.verify")
@require_POST
def entry_review(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    form = ReviewForm(request.POST)
    if not form.is_valid():
        raise Refused("Choose verify or return.", field="decision")
    entry = services.entry_review(
        request.actor, entry_id=pk, decision=form.cleaned_data["decision"],
        comment=form.cleaned_data["comment"], version=form.cleaned_data["version"],
    )  # fmt: skip
    messages.success(request, f"Entry {entry.get_status_display().lower()}.")
    if request.POST.get("next") == "desk":
        return redirect("practicum:desk")
    return redirect("practicum:trainee", pk=entry.trainee_id)


@requires("practicum.trainee")
@require_POST
def fact_record(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    services.fact_record(request.actor, trainee_id=pk, fact=request.POST.get("fact", ""),
                         value=request.POST.get("value") == "yes")  # fmt: skip
    messages.success(request, "Recorded.")
    return redirect("practicum:trainee", pk=pk)


@requires("practicum.desk")
@require_GET
def desk(request: AuthenticatedRequest) -> HttpResponse:
    context = {"desk": desk_reads.desk_for(request.actor), "trainees": selectors.my_trainees(request.actor)}
    return render(request, "practicum/desk.html", context)


@requires("practicum.meeting")
@require_http_methods(["GET", "POST"])
def meeting_new(request: AuthenticatedRequest) -> HttpResponse:
    trainees = [(u.pk, u.full_name or u.email) for u in selectors.my_trainees(request.actor)]
    form = MeetingForm(request.POST or None, trainees=trainees)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.meeting_record(
                request.actor, attendee_ids=data["attendees"], occurred_on=data["occurred_on"],
                minutes=data["minutes"], topics=data["topics"], actions=data["actions"],
            )  # fmt: skip
        except Refused as exc:
            add_service_errors(form, exc.as_validation_error())
        else:
            messages.success(request, "Meeting recorded; it counts as consultation hours for each attendee.")
            return redirect("practicum:desk")
    return render(request, "practicum/meeting_form.html", {"form": form}, status=422 if form.errors else 200)
