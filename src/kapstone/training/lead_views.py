"""The program lead's pages (curriculum, cohorts, live sessions) and the supervisor's assessment form."""

from __future__ import annotations

import io
import zipfile

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapstone.access.decorators import requires
from kapstone.access.scoping import scoped_get
from kapstone.accounts.models import Membership, Role, User
from kapstone.core.contract import NotYours, Refused
from kapstone.core.forms import add_service_errors
from kapstone.core.http import AuthenticatedRequest
from kapstone.training import selectors, services
from kapstone.training.curriculum.files import CONTENT
from kapstone.training.curriculum.loader import read_folder
from kapstone.training.forms import (
    AssessmentForm,
    CohortForm,
    EnrollForm,
    ImportForm,
    LessonEditForm,
    LiveSessionForm,
    SecondRaterForm,
    SecondRatingForm,
)
from kapstone.training.frameworks import Framework, topics
from kapstone.training.models import Attendance, Cohort, Enrollment, LiveSession, QuizAttempt


def _shipped() -> list[tuple[str, str]]:
    if not CONTENT.is_dir():
        return []
    return [(p.name, p.name) for p in sorted(CONTENT.iterdir()) if (p / "program.toml").is_file()]


def _unzip(upload: object) -> dict[str, str]:
    try:
        with zipfile.ZipFile(io.BytesIO(upload.read())) as archive:  # type: ignore[attr-defined]
            names = [
                n for n in archive.namelist() if n.endswith((".toml", ".md")) and not n.startswith("__MACOSX")
            ]
            if sum(archive.getinfo(n).file_size for n in names) > services.MAX_FILES_CHARS:
                raise Refused("The program's files unpack to more than 5 MB.", field="archive")
            files = {n: archive.read(n).decode("utf-8") for n in names}
    except (zipfile.BadZipFile, UnicodeDecodeError, KeyError) as exc:
        raise Refused(f"The .zip cannot be read: {exc}", field="archive") from exc
    top = next(
        (n[: -len("program.toml")] for n in files if n.endswith("program.toml") and n.count("/") <= 1), None
    )
    if top is None:
        raise Refused("The .zip has no program.toml at its top.", field="archive")
    return {n[len(top) :]: t for n, t in files.items() if n.startswith(top)}


@requires("training.lead")
@require_http_methods(["GET", "POST"])
def programs(request: AuthenticatedRequest) -> HttpResponse:
    actor = request.actor
    form = ImportForm(request.POST or None, request.FILES or None, shipped=_shipped())
    if request.method == "POST" and form.is_valid():
        try:
            name = form.cleaned_data["shipped"]
            files = read_folder(CONTENT / name) if name else _unzip(form.cleaned_data["archive"])
            version = services.program_import(actor, files=files, root=name or "upload")
            return redirect("training:version", pk=version.pk)
        except Refused as exc:
            add_service_errors(form, exc.as_validation_error())
    versions = selectors.versions_led(actor).order_by("program__title", "-created_at")
    return render(
        request,
        "training/programs.html",
        {"form": form, "versions": versions},
        status=422 if request.method == "POST" else 200,
    )


@requires("training.lead")
@require_GET
def version(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    row = selectors.version_get(request.actor, pk)
    return render(
        request,
        "training/version.html",
        {
            "version": row,
            "program": selectors.curriculum_of(row),
            "cohort_form": CohortForm(),
            "cohorts": row.cohorts.order_by("-created_at"),
        },
    )


@requires("training.lead")
@require_POST
def version_publish(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    row = selectors.version_get(request.actor, pk)
    services.version_publish(request.actor, version=row)
    messages.success(request, f"Version {row.version} is published. It will not change from now on.")
    return redirect("training:version", pk=row.pk)


@requires("training.lead")
@require_GET
def version_export(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    row = selectors.version_get(request.actor, pk)
    buffer = io.BytesIO()
    folder = row.program.program_id
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in sorted(row.files.items()):
            archive.writestr(f"{folder}/{name}", text)
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{folder}-{row.version}.zip"'
    return response


@requires("training.lead")
@require_http_methods(["GET", "POST"])
def lesson_edit(request: AuthenticatedRequest, pk: int, lesson_id: str) -> HttpResponse:
    row = selectors.version_get(request.actor, pk)
    try:
        _, item = selectors.curriculum_of(row).lesson(lesson_id)
    except LookupError:
        raise NotYours from None
    form = LessonEditForm(request.POST or None, initial={"body": item.body})
    if request.method == "POST" and form.is_valid():
        try:
            draft = services.lesson_edit(
                request.actor,
                version=row,
                lesson_id=item.id,
                body=form.cleaned_data["body"],
                new_version=form.cleaned_data["new_version"],
            )
            messages.success(request, f"Saved in draft version {draft.version}.")
            return redirect("training:version", pk=draft.pk)
        except Refused as exc:
            add_service_errors(form, exc.as_validation_error())
    return render(
        request,
        "training/lesson_edit.html",
        {"version": row, "lesson": item, "form": form},
        status=422 if request.method == "POST" else 200,
    )


@requires("training.lead")
@require_POST
def cohort_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    row = selectors.version_get(request.actor, pk)
    form = CohortForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        cohort = services.cohort_create(
            request.actor,
            version=row,
            name=data["name"],
            starts_on=data["starts_on"],
            checks_close_at=data["checks_close_at"],
        )
        return redirect("training:cohort", pk=cohort.pk)
    return render(
        request,
        "training/version.html",
        {
            "version": row,
            "program": selectors.curriculum_of(row),
            "cohort_form": form,
            "cohorts": row.cohorts.all(),
        },
        status=422,
    )


def _people(request: AuthenticatedRequest, role: str) -> list[tuple[int, str]]:
    rows = Membership.objects.filter(organization_id=selectors.oid(request.actor), role=role, is_active=True)
    return [(m.user_id, str(m.user)) for m in rows.select_related("user").order_by("user__full_name")]


def _enroll_form(request: AuthenticatedRequest, data: object = None) -> EnrollForm:
    return EnrollForm(
        data, trainees=_people(request, Role.TRAINEE), supervisors=_people(request, Role.SUPERVISOR)
    )


@requires("training.lead")
@require_GET
def cohort(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    row = selectors.cohort_get(request.actor, pk)
    modules, grid = selectors.cohort_grid(row)
    framework = selectors.framework_of(row.version)
    agreement = [(c, *selectors.rater_agreement(row).get(c.id, (None, 0))) for c in framework.competencies]
    return render(
        request,
        "training/cohort.html",
        {
            "cohort": row,
            "modules": modules,
            "grid": grid,
            "enroll_form": _enroll_form(request),
            "session_form": LiveSessionForm(topics=[(t.id, t.title) for t in topics()]),
            "sessions": row.live_sessions.order_by("starts_at"),
            "agreement": agreement,
            "second_rater_form": _second_rater_form(request, row),
        },
    )


@requires("training.lead")
@require_POST
def cohort_enroll(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    row = selectors.cohort_get(request.actor, pk)
    form = _enroll_form(request, request.POST)
    if form.is_valid():
        people = User.objects.in_bulk([form.cleaned_data["trainee"], form.cleaned_data["supervisor"] or 0])
        try:
            services.enroll(
                request.actor,
                cohort=row,
                trainee=people[form.cleaned_data["trainee"]],
                supervisor=people.get(form.cleaned_data["supervisor"] or 0),
            )
            messages.success(request, "Enrolled.")
        except Refused as exc:
            messages.error(request, exc.reason)
    return redirect("training:cohort", pk=row.pk)


def _second_rater_form(request: AuthenticatedRequest, cohort: Cohort, data: object = None) -> SecondRaterForm:
    enrollments = cohort.enrollments.select_related("trainee").order_by("trainee__full_name")
    choices = [(e.pk, str(e.trainee)) for e in enrollments]
    return SecondRaterForm(data, enrollments=choices, raters=_people(request, Role.SUPERVISOR))


@requires("training.lead")
@require_POST
def cohort_second_rater(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Name (or remove) a trainee's second rater: another supervisor who rates the same evidence."""
    row = selectors.cohort_get(request.actor, pk)
    form = _second_rater_form(request, row, request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a trainee of this cohort and a supervisor.")
        return redirect("training:cohort", pk=row.pk)
    enrollment = row.enrollments.select_related("cohort", "trainee").get(pk=form.cleaned_data["enrollment"])
    rater = User.objects.filter(pk=form.cleaned_data["rater"] or 0).first()
    try:
        services.second_rater_set(request.actor, enrollment=enrollment, rater=rater)
    except Refused as exc:
        messages.error(request, exc.reason)
    else:
        who = f"{rater} is now the second rater of {enrollment.trainee}" if rater else "Second rater removed"
        messages.success(request, f"{who}.")
    return redirect("training:cohort", pk=row.pk)


@requires("training.lead")
@require_POST
def live_session_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    row = selectors.cohort_get(request.actor, pk)
    form = LiveSessionForm(request.POST, topics=[(t.id, t.title) for t in topics()])
    if form.is_valid():
        data = form.cleaned_data
        session = services.live_session_create(
            request.actor,
            cohort=row,
            title=data["title"],
            starts_at=data["starts_at"],
            minutes=data["minutes"],
            topics=data["topics"],
        )
        return redirect("training:attendance", pk=session.pk)
    messages.error(request, "The live session needs a title, a start and a length.")
    return redirect("training:cohort", pk=row.pk)


@requires("training.lead")
@require_http_methods(["GET", "POST"])
def attendance(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    cohorts = selectors.cohorts_led(request.actor)
    session = scoped_get(
        request.actor,
        LiveSession.objects.filter(cohort__in=cohorts),
        pk,
        action="training.lead",
        object_type="live_session",
    )
    enrollments = list(session.cohort.enrollments.select_related("trainee").order_by("trainee__full_name"))
    if request.method == "POST":
        present = set(request.POST.getlist("present"))
        for e in enrollments:
            services.attendance_record(
                request.actor, session=session, enrollment=e, attended=str(e.pk) in present
            )
        messages.success(request, "Attendance saved.")
        return redirect("training:attendance", pk=session.pk)
    marked = dict(Attendance.objects.filter(session=session).values_list("enrollment_id", "attended"))
    return render(
        request,
        "training/attendance.html",
        {"session": session, "rows": [(e, marked.get(e.pk)) for e in enrollments]},
    )


def _assessment_form(
    request: AuthenticatedRequest, enrollment: Enrollment, framework: Framework, *, second: bool
) -> AssessmentForm | SecondRatingForm:
    levels = [(x.level, f"{x.level} · {x.name}") for x in framework.scale]
    if not second:
        competencies = [(c.id, c.title) for c in framework.competencies]
        return AssessmentForm(request.POST or None, competencies=competencies, levels=levels)
    titles = {c.id: c.title for c in framework.competencies}
    rated = enrollment.assessments.filter(second_rating=False).order_by("-assessed_at", "-pk")
    evidence = [(a.pk, f"{titles.get(a.competency_id, a.competency_id)} — {a.get_evidence_kind_display()}: "
                 f"{a.evidence_ref} ({a.assessed_at:%Y-%m-%d})") for a in rated]  # fmt: skip
    return SecondRatingForm(request.POST or None, evidence=evidence, levels=levels)


@requires("training.assess")
@require_http_methods(["GET", "POST"])
def assess(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The supervisor rates with evidence; the named second rater rates evidence the supervisor rated."""
    actor = request.actor
    enrollment = selectors.enrollment_get(actor, pk, action="training.assess")
    framework = selectors.framework_of(enrollment.version)
    second = enrollment.supervisor_id != actor.user_id
    form = _assessment_form(request, enrollment, framework, second=second)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        evidence = {k: data[k] for k in ("competency_id", "evidence_kind", "evidence_ref") if k in data}
        try:
            services.assessment_record(actor, enrollment=enrollment, level=data["level"],
                                       same_as=data.get("same_as"), note=data["note"], key=data["key"],
                                       **evidence)  # fmt: skip
            if second:
                messages.success(request, "Second rating saved. The lead sees it in the rater agreement.")
                return redirect("training:home")
            messages.success(request, "Assessment saved.")
            return redirect("training:profile", pk=enrollment.pk)
        except Refused as exc:
            add_service_errors(form, exc.as_validation_error())
    return render(
        request,
        "training/assess.html",
        {"enrollment": enrollment, "framework": framework, "form": form, "second": second},
        status=422 if request.method == "POST" else 200,
    )


@requires("training.assess")
@require_http_methods(["GET", "POST"])
def attempt_mark(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The supervisor grades the short answers of their trainee's attempt; it is then decided."""
    actor = request.actor
    supervised = selectors.enrollments_scoped(actor).filter(supervisor=actor.user)
    attempt = scoped_get(
        actor,
        QuizAttempt.objects.filter(enrollment__in=supervised, status="pending"),
        pk,
        action="training.assess",
        object_type="quiz_attempt",
    )
    check = selectors.curriculum_of(attempt.version).module(attempt.module_id).check
    assert check is not None
    shorts = [check.question(q) for q in attempt.drawn if check.question(q).kind == "short_answer"]
    shorts = [q for q in shorts if "".join(attempt.answers.get(q.id, [])).strip()]
    error = ""
    if request.method == "POST":
        marks = {q.id: request.POST[f"mark-{q.id}"] == "1" for q in shorts if f"mark-{q.id}" in request.POST}
        if len(marks) == len(shorts):
            services.attempt_mark(actor, attempt=attempt, marks=marks)
            messages.success(request, "Graded.")
            return redirect("training:profile", pk=attempt.enrollment_id)
        error = "Grade every short answer."
    items = [(q, "\n".join(attempt.answers.get(q.id, []))) for q in shorts]
    return render(
        request,
        "training/attempt_mark.html",
        {"attempt": attempt, "items": items, "error": error},
        status=422 if error else 200,
    )


@requires("training.lead")
@require_POST
def cohort_move(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Move one trainee of the cohort to another published version, keeping what maps across."""
    row = selectors.cohort_get(request.actor, pk)
    enrollment = row.enrollments.filter(pk=_int(request.POST.get("enrollment"))).first()
    target = selectors.versions_led(request.actor).filter(pk=_int(request.POST.get("version"))).first()
    if enrollment is None or target is None:
        messages.error(request, "Choose a trainee of this cohort and a version.")
        return redirect("training:cohort", pk=row.pk)
    try:
        report = services.enrollment_move(request.actor, enrollment=enrollment, version=target)
    except Refused as exc:
        messages.error(request, exc.reason)
    else:
        lost = report["not_in_new_version"]
        messages.success(
            request,
            f"Moved {enrollment.trainee} to {target.version}: {len(report['kept'])} "
            f"completed lesson(s) carried across"
            + (f"; not in the new version: {', '.join(lost)}" if lost else "."),
        )
    return redirect("training:cohort", pk=row.pk)


def _int(value: object) -> int:
    text = str(value or "")
    return int(text) if text.isdigit() and len(text) < 12 else 0
