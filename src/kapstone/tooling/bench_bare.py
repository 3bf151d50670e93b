"""Benchmark baselines: bare Django views that return the same data as the hot paths, with none of
our machinery (no access scoping, no audit row, no CSP header, no templates beyond a minimal string).

NOT a production URL configuration. Settings use this module as ROOT_URLCONF only when
``KAPSTONE_BENCH_BARE=1`` and ``KAPSTONE_ENV`` is not production (they refuse to load otherwise), and
this module refuses to import under production settings too. It mounts the normal URL patterns
unchanged plus ``/bench-bare/...``; the normal urlconf (``kapstone.urls``), which the access oracle
walks, never contains these.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from typing import Any, TypeVar, cast

from csp.decorators import csp_exempt
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Count, F, Window
from django.db.models.functions import RowNumber
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import escape
from django.views.decorators.csrf import csrf_exempt

from kapstone import urls as app_urls
from kapstone.accounts.models import User
from kapstone.care.models import VitalReading
from kapstone.clients.models import CareTeamMember, Client
from kapstone.community.directory_selectors import PAGE_SIZE, parse_filters
from kapstone.community.models import Listing
from kapstone.measures import fhir
from kapstone.measures.api import _client_responses, _instrument_exact, response_data
from kapstone.measures.instruments import get_instrument
from kapstone.measures.models import MeasureSchedule, Response, SafetyTask
from kapstone.measures.scoring import score
from kapstone.notes.models import ProgressNote
from kapstone.outcomes.models import ProgramOutcome
from kapstone.outcomes.selectors import program_outcomes_scan
from kapstone.practicum.core import SetReport, check_set
from kapstone.practicum.desk import behind
from kapstone.practicum.models import KIND_LABELS, LedgerEntry, Supervision
from kapstone.practicum.selectors import LINE_FIELDS, SHOWN, enabled_sets, facts_of, lines_of, program_of
from kapstone.practicum.sources import derived_for
from kapstone.training.models import QuizAttempt

if settings.PRODUCTION or not getattr(settings, "KAPSTONE_BENCH_BARE", False):
    raise ImproperlyConfigured(
        "kapstone.tooling.bench_bare is for benchmarks only (KAPSTONE_BENCH_BARE=1, not production)"
    )

KEYS = ("phq9", "gad7", "pcl5")
_View = TypeVar("_View", bound=Callable[..., HttpResponse])


def _exempt(view: _View) -> _View:
    """No Content-Security-Policy header: none of our machinery."""
    return cast(_View, csp_exempt()(view))


def _html(rows: list[str]) -> HttpResponse:
    return HttpResponse("<!doctype html><table>" + "".join(rows) + "</table>")


def _json(data: Any) -> HttpResponse:
    return HttpResponse(json.dumps(data, default=str), content_type="application/json")


@_exempt
def caseload(request: HttpRequest, user_id: int) -> HttpResponse:

    clients = list(
        Client.objects.filter(care_team__user_id=user_id, is_active=True)
        .distinct()
        .order_by("family_name", "given_name", "pk")
        .values_list("pk", "given_name", "family_name")
    )
    ids = [c[0] for c in clients]
    window = Window(RowNumber(), partition_by=[F("client_id"), F("instrument_id")],
                    order_by=[F("administered_at").desc(), F("pk").desc()])  # fmt: skip
    latest: dict[tuple[int, str], list[Any]] = defaultdict(list)
    for row in (
        Response.objects.filter(client_id__in=ids, instrument_id__in=KEYS)
        .annotate(rn=window)
        .filter(rn__lte=2)
        .values_list("client_id", "instrument_id", "total", "band", "administered_at", "rn")
    ):
        latest[(row[0], row[1])].append(row)
    tasks = dict(
        SafetyTask.objects.filter(client_id__in=ids, acknowledged_at__isnull=True)
        .values("client_id").annotate(n=Count("pk")).values_list("client_id", "n")
    )  # fmt: skip
    due = defaultdict(list)
    for client_id, instrument_id in MeasureSchedule.objects.filter(
        client_id__in=ids, active=True, next_due_at__lte=timezone.now()
    ).values_list("client_id", "instrument_id"):
        due[client_id].append(instrument_id)
    rows = []
    for pk, given, family in clients:
        cells = []
        for key in KEYS:
            pair = sorted(latest.get((pk, key), []), key=lambda r: r[5])
            cells.append(
                f"<td>{pair[0][2]} {escape(pair[0][3])} {pair[0][4]:%Y-%m-%d}</td>" if pair else "<td></td>"
            )
        rows.append(f"<tr><td>{escape(given)} {escape(family)}</td>{''.join(cells)}"
                    f"<td>{tasks.get(pk, 0)}</td><td>{' '.join(due.get(pk, []))}</td></tr>")  # fmt: skip
    return _html(rows)


@_exempt
def client_chart(request: HttpRequest, client_id: int) -> HttpResponse:

    points: dict[str, list[Any]] = defaultdict(list)
    for instrument_id, total, band, at in (
        Response.objects.filter(client_id=client_id).order_by("administered_at", "pk")
        .values_list("instrument_id", "total", "band", "administered_at")
    ):  # fmt: skip
        points[instrument_id].append((at.isoformat(), total, band))
    tasks = list(SafetyTask.objects.filter(client_id=client_id).values_list("flag_id", "opened_at")[:200])
    schedules = list(
        MeasureSchedule.objects.filter(client_id=client_id, active=True).values_list("instrument_id")
    )
    return _json({"points": points, "tasks": tasks, "schedules": schedules})


@_exempt
@csrf_exempt
def respond(request: HttpRequest, client_id: int) -> HttpResponse:

    instrument = get_instrument("phq9")
    answers = {k: int(str(v)) for k, v in request.POST.items() if k.startswith("phq9_")}
    result = score(instrument, answers)
    with transaction.atomic():
        client = Client.objects.only("pk", "organization_id").get(pk=client_id)
        Response.objects.create(
            organization_id=client.organization_id, client_id=client.pk, instrument_id=instrument.id,
            instrument_version=instrument.version, answers=answers, result=result.to_dict(),
            total=result.total, band=result.band or "", administered_at=timezone.now(), source="clinician",
        )  # fmt: skip
    return HttpResponse("saved")


@_exempt
@csrf_exempt
def vitals(request: HttpRequest, session_id: int) -> HttpResponse:

    post = request.POST
    numbers = {
        name: int(post[name]) for name in ("systolic", "diastolic", "heart_rate", "spo2", "respiratory_rate")
    }
    VitalReading.objects.create(
        session_id=session_id, phase="post_dose", taken_at=timezone.now(),
        recorded_by_id=int(post.get("recorded_by") or 0), **numbers,
    )  # fmt: skip
    return HttpResponse("saved")


@_exempt
def fhir_observations(request: HttpRequest, client_id: int) -> HttpResponse:

    cache: dict[Any, Any] = {}
    entries = []
    for response in _client_responses(client_id):
        instrument = _instrument_exact(cache, response)
        if instrument is not None:
            entries += [{"resource": r} for r in fhir.observations_for(instrument, response_data(response))]
    return HttpResponse(json.dumps({"resourceType": "Bundle", "type": "searchset", "entry": entries}),
                        content_type=fhir.FHIR_JSON)  # fmt: skip


@_exempt
def outcomes(request: HttpRequest, organization_id: int) -> HttpResponse:

    rows = [
        f"<tr><td>{escape(p)}</td><td>{i}</td><td>{a}</td><td>{b}</td><td>{c}</td><td>{d}</td></tr>"
        for p, i, a, b, c, d in ProgramOutcome.objects.filter(organization_id=organization_id)
        .order_by("protocol_key", "instrument_id")
        .values_list(
            "protocol_key", "instrument_id", "with_baseline", "with_followup", "responders", "remitters"
        )
    ]
    return _html(rows)


@_exempt
def outcomes_scan(request: HttpRequest, organization_id: int) -> HttpResponse:
    """The full recomputation from every response that the aggregate rows replace."""

    rows = [
        f"<tr><td>{escape(p)}</td><td>{i}</td><td>{a}</td><td>{b}</td><td>{c}</td><td>{d}</td></tr>"
        for (p, i), (a, b, c, d) in sorted(program_outcomes_scan(organization_id).items())
    ]
    return _html(rows)


@_exempt
def cosign(request: HttpRequest, user_id: int) -> HttpResponse:

    notes = (
        ProgressNote.objects.filter(
            status="pending_cosign",
            client_id__in=CareTeamMember.objects.filter(user_id=user_id, team_role="supervisor").values(
                "client_id"
            ),
        )
        .order_by("signed_at", "pk")
        .values_list("pk", "client__given_name", "client__family_name", "author__full_name", "signed_at")[
            :100
        ]
    )
    return _html([
        f"<tr><td>{pk}</td><td>{escape(g)} {escape(f)}</td><td>{escape(a)}</td><td>{s:%Y-%m-%d}</td></tr>"
        for pk, g, f, a, s in notes
    ])  # fmt: skip


def _check(trainee: Any, organization_id: int) -> tuple[list[SetReport], int]:
    """Every entry as values and the derived hours, checked against every enabled set (the pure core)."""
    program = program_of(organization_id)
    rows = list(
        LedgerEntry.objects.filter(organization_id=organization_id, trainee=trainee).values(*LINE_FIELDS)
    )
    lines = lines_of(rows, derived_for(trainee, organization_id), organization_id)
    facts = facts_of(trainee.pk, organization_id)
    sets = enabled_sets(program)
    return [check_set(s, lines, settings=program.settings, facts=facts) for s in sets], len(rows)


@_exempt
def ledger(request: HttpRequest, organization_id: int, user_id: int) -> HttpResponse:

    trainee = User.objects.get(pk=user_id)
    reports, count = _check(trainee, organization_id)
    rows = [
        f"<tr><td>{escape(r.title)}</td><td>{escape(v.title)}</td><td>{v.status}</td><td>{escape(v.message)}</td></tr>"
        for r in reports
        for v in r.verdicts
    ]
    for pk, on, kind, minutes, supervisor, given, family, status in (
        LedgerEntry.objects.filter(organization_id=organization_id, trainee_id=user_id)
        .order_by("-occurred_on", "-pk")
        .values_list("pk", "occurred_on", "kind", "minutes", "supervisor__full_name", "client__given_name",
                     "client__family_name", "status")[:SHOWN]
    ):  # fmt: skip
        rows.append(f"<tr><td>{pk}</td><td>{on:%Y-%m-%d}</td><td>{KIND_LABELS.get(kind, kind)}</td>"
                    f"<td>{minutes}</td><td>{escape(supervisor)}</td><td>{escape(given or '')} "
                    f"{escape(family or '')}</td><td>{status}</td></tr>")  # fmt: skip
    return _html([f"<tr><td>{count}</td></tr>", *rows])


@_exempt
def desk(request: HttpRequest, organization_id: int, user_id: int) -> HttpResponse:

    rows = [
        f"<tr><td>{escape(t)}</td><td>{escape(a)}</td><td>{escape(g)} {escape(f)}</td>"
        f"<td>{s:%Y-%m-%d}</td></tr>"
        for t, a, g, f, s in ProgressNote.objects.filter(
            status="pending_cosign",
            client_id__in=CareTeamMember.objects.filter(user_id=user_id, team_role="supervisor").values(
                "client_id"
            ),
        )
        .order_by("signed_at", "pk")
        .values_list(
            "template_id", "author__full_name", "client__given_name", "client__family_name", "signed_at"
        )[:100]
    ]
    rows += [
        f"<tr><td>{pk}</td><td>{escape(name)}</td><td>{on:%Y-%m-%d}</td><td>{kind}</td><td>{minutes}</td></tr>"
        for pk, name, on, kind, minutes in LedgerEntry.objects.filter(
            organization_id=organization_id, supervisor_id=user_id, status="pending"
        )
        .order_by("created_at", "pk")
        .values_list("pk", "trainee__full_name", "occurred_on", "kind", "minutes")[:200]
    ]
    today = timezone.localdate()
    for row in Supervision.objects.filter(
        organization_id=organization_id, supervisor_id=user_id, active=True, ends_on__isnull=False
    ).select_related("trainee"):
        assert row.ends_on is not None
        elapsed = min(
            max((today - row.starts_on).days / max((row.ends_on - row.starts_on).days, 1), 0.0), 1.0
        )
        reports, _ = _check(row.trainee, organization_id)
        reasons = [reason for report in reports for reason in behind(report, elapsed=elapsed)]
        rows.append(
            f"<tr><td>{escape(row.trainee.full_name)}</td><td>{escape('; '.join(reasons[:3]))}</td></tr>"
        )
    rows += [
        f"<tr><td>{escape(name)}</td><td>{escape(module)}</td><td>{number}</td><td>{at}</td></tr>"
        for name, module, number, at in QuizAttempt.objects.filter(
            enrollment__supervisor_id=user_id, status="pending"
        )
        .order_by("submitted_at", "pk")
        .values_list("enrollment__trainee__full_name", "module_id", "number", "submitted_at")[:100]
    ]
    return _html(rows)


@_exempt
def directory(request: HttpRequest) -> HttpResponse:

    filters = parse_filters(request.GET)
    qs = Listing.objects.filter(opted_in=True)
    if filters.state:
        qs = qs.filter(state=filters.state)
    if filters.route:
        qs = qs.filter(routes__contains=f"|{filters.route}|")
    if filters.modality:
        qs = qs.filter(modalities__contains=f"|{filters.modality}|")
    if filters.telehealth is not None:
        qs = qs.filter(telehealth=filters.telehealth)
    if filters.accepting is not None:
        qs = qs.filter(accepting=filters.accepting)
    for word in filters.q.lower().split()[:8]:
        qs = qs.filter(search_text__contains=word)
    start = (filters.page - 1) * PAGE_SIZE
    found = list(qs.order_by("display_name", "pk").values_list(
        "pk", "display_name", "city", "state", "telehealth", "accepting", "routes", "modalities"
    )[start : start + PAGE_SIZE + 1])  # fmt: skip
    return _html([
        f"<tr><td>{pk}</td><td>{escape(name)}</td><td>{escape(city)}, {state}</td><td>{telehealth}</td>"
        f"<td>{accepting}</td><td>{escape(routes)}</td><td>{escape(modalities)}</td></tr>"
        for pk, name, city, state, telehealth, accepting, routes, modalities in found[:PAGE_SIZE]
    ] + [f"<tr><td>next page: {len(found) > PAGE_SIZE}</td></tr>"])  # fmt: skip


urlpatterns = [
    path("bench-bare/caseload/<int:user_id>/", caseload),
    path("bench-bare/client/<int:client_id>/", client_chart),
    path("bench-bare/respond/<int:client_id>/", respond),
    path("bench-bare/vitals/<int:session_id>/", vitals),
    path("bench-bare/fhir/<int:client_id>/", fhir_observations),
    path("bench-bare/outcomes/<int:organization_id>/", outcomes),
    path("bench-bare/outcomes-scan/<int:organization_id>/", outcomes_scan),
    path("bench-bare/cosign/<int:user_id>/", cosign),
    path("bench-bare/ledger/<int:organization_id>/<int:user_id>/", ledger),
    path("bench-bare/desk/<int:organization_id>/<int:user_id>/", desk),
    path("bench-bare/directory/", directory),
    *app_urls.urlpatterns,
]
handler400 = app_urls.handler400
handler403 = app_urls.handler403
handler404 = app_urls.handler404
handler500 = app_urls.handler500
