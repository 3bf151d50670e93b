"""The trainee's and supervisor's pages: home, lesson, knowledge check, competency profile, journal.

Thin: a selector finds the record (scoped, audited, 404 for not yours), a service writes, a refused
form is shown again with the typed text and the reason (422).
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapstone.access.decorators import requires
from kapstone.access.policy import allows
from kapstone.core.contract import NotYours, Refused, Stale
from kapstone.core.forms import add_service_errors
from kapstone.core.http import AuthenticatedRequest
from kapstone.training import grading, journal, selectors, services
from kapstone.training.chart import Series, levels_chart
from kapstone.training.curriculum import Question
from kapstone.training.forms import CommentForm, JournalEditForm, JournalForm, new_key
from kapstone.training.render import drop_title, render_markdown


@requires("training.home")
@require_GET
def home(request: AuthenticatedRequest) -> HttpResponse:
    actor = request.actor
    mine = [(e, selectors.progress(e)) for e in selectors.my_enrollments(actor)]
    hours = selectors.earned_hours(request.user) if mine else []
    minutes = {
        kind: sum(h.minutes for h in hours if h.kind == kind)
        for kind in ("didactic_self_paced", "didactic_live")
    }
    return render(
        request,
        "training/home.html",
        {
            "mine": mine,
            "self_paced_hours": round(minutes.get("didactic_self_paced", 0) / 60, 1),
            "live_hours": round(minutes.get("didactic_live", 0) / 60, 1),
            "supervised": selectors.supervised_enrollments(actor),
            "second_rated": selectors.second_rated_enrollments(actor),
            "cohorts": list(selectors.cohorts_led(actor).order_by("-created_at")),
            "is_lead": allows(actor, "training.lead"),
        },
    )


@requires("training.learn")
@require_http_methods(["GET", "POST"])
def lesson(request: AuthenticatedRequest, pk: int, lesson_id: str) -> HttpResponse:
    enrollment = selectors.enrollment_get(request.actor, pk, action="training.learn")
    program = selectors.curriculum_of(enrollment.version)
    try:
        module, item = program.lesson(lesson_id)
    except LookupError:
        raise NotYours from None
    if request.method == "POST":
        services.lesson_complete(request.actor, enrollment=enrollment, lesson_id=item.id)
        return redirect("training:lesson", pk=enrollment.pk, lesson_id=item.id)
    order = [x.id for x in program.lessons]
    at = order.index(item.id)
    return render(
        request,
        "training/lesson.html",
        {
            "enrollment": enrollment,
            "program": program,
            "module": module,
            "lesson": item,
            "body": render_markdown(drop_title(item.body, item.title)),
            "sources": [program.source(key) for key in item.sources],
            "done": enrollment.lessons_done.filter(lesson_id=item.id).first(),
            "previous": order[at - 1] if at else None,
            "next": order[at + 1] if at + 1 < len(order) else None,
            "progress": selectors.progress(enrollment),
        },
    )


def _answers(request: AuthenticatedRequest) -> dict[str, list[str]]:
    return {k[2:]: request.POST.getlist(k) for k in request.POST if k.startswith("q-")}


def _item(question: Question, given: list[str]) -> dict[str, object]:
    """A question as the form shows it, with what the person had chosen (kept after a refusal)."""
    options = [(str(i), text, str(i) in given) for i, text in enumerate(question.options)]
    if question.kind == "true_false":
        options = [("true", "True", "true" in given), ("false", "False", "false" in given)]
    return {"q": question, "options": options, "text": given[0] if given else ""}


@requires("training.learn")
@require_http_methods(["GET", "POST"])
def quiz(request: AuthenticatedRequest, pk: int, module_id: str) -> HttpResponse:
    actor = request.actor
    enrollment = selectors.enrollment_get(actor, pk, action="training.learn")
    try:
        module = selectors.curriculum_of(enrollment.version).module(module_id)
    except LookupError:
        raise NotYours from None
    if module.check is None:
        raise NotYours
    error, answers = "", {}
    if request.method == "POST":
        answers = _answers(request)
        try:
            services.quiz_submit(
                actor,
                enrollment=enrollment,
                module_id=module.id,
                answers=answers,
                number=int(request.POST.get("number") or 0),
                key=request.POST.get("key", ""),
            )
            return redirect("training:quiz", pk=enrollment.pk, module_id=module.id)
        except Refused as exc:
            error = exc.reason
    verdict, number = services.next_attempt(enrollment, module, timezone.now())
    attempts = list(
        enrollment.attempts.filter(module_id=module.id).select_related("version").order_by("number")
    )
    last = attempts[-1] if attempts else None
    result = None
    if last is not None:
        check = selectors.curriculum_of(last.version).module(module.id).check
        assert check is not None
        result = grading.grade(check, last.drawn, last.answers, marks=last.marks)
    ids = services.drawn_for(enrollment, module, number)
    drawn = [_item(module.check.question(q), answers.get(q, [])) for q in ids]
    return render(
        request,
        "training/quiz.html",
        {
            "enrollment": enrollment,
            "module": module,
            "check": module.check,
            "verdict": verdict,
            "number": number,
            "drawn": drawn,
            "key": new_key(),
            "attempts": attempts,
            "last": last,
            "result": result,
            "error": error,
            "answers": answers,
            "pass_percent": round(module.check.pass_mark * 100),
        },
        status=422 if error else 200,
    )


@requires("training.profile")
@require_GET
def profile(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    enrollment = selectors.enrollment_get(request.actor, pk, action="training.profile")
    framework, lines = selectors.competency_profile(enrollment)
    chart = levels_chart(
        [Series(line.title, [(a.assessed_at, a.level) for a in line.levels]) for line in lines],
        levels=len(framework.levels),
    )
    return render(
        request,
        "training/profile.html",
        {
            "enrollment": enrollment,
            "framework": framework,
            "lines": lines,
            "chart": chart,
            "can_assess": enrollment.supervisor_id == request.actor.user_id
            and allows(request.actor, "training.assess"),
            "pending": list(enrollment.attempts.filter(status="pending")),
        },
    )


# --- Journal ---


def _lessons_for(request: AuthenticatedRequest) -> list[tuple[str, str]]:
    enrollments = selectors.my_enrollments(request.actor)
    if not enrollments:
        return []
    return [(x.id, x.title) for x in selectors.curriculum_of(enrollments[0].version).lessons]


@requires("training.journal")
@require_http_methods(["GET", "POST"])
def journal_list(request: AuthenticatedRequest) -> HttpResponse:
    actor = request.actor
    may_write = allows(actor, "training.learn")
    form = JournalForm(request.POST or None, lessons=_lessons_for(request))
    if request.method == "POST" and may_write and form.is_valid():
        try:
            data = form.cleaned_data
            entry = journal.journal_write(
                actor,
                title=data["title"],
                body=data["body"],
                written_on=data["written_on"],
                lesson_id=data["lesson_id"],
                session_ref=data["session_ref"],
                confirmed_no_client=data["confirmed_no_client"],
            )
            return redirect("training:journal_entry", pk=entry.pk)
        except Refused as exc:
            add_service_errors(form, exc.as_validation_error())
    entries = selectors.journal_scoped(actor).select_related("author").order_by("-written_on", "-pk")
    return render(
        request,
        "training/journal.html",
        {
            "form": form,
            "may_write": may_write,
            "mine": [e for e in entries if e.author_id == actor.user_id],
            "shared": [e for e in entries if e.author_id != actor.user_id],
        },
        status=422 if request.method == "POST" else 200,
    )


@requires("training.journal")
@require_GET
def journal_entry(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    entry = selectors.journal_get(request.actor, pk)
    return render(
        request,
        "training/journal_entry.html",
        {
            "entry": entry,
            "body": render_markdown(entry.body, shift_headings=1),
            "comments": entry.comments.select_related("author").order_by("created_at"),
            "is_author": entry.author_id == request.actor.user_id,
            "form": CommentForm(),
        },
    )


@requires("training.journal")
@require_POST
def journal_share(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    entry = selectors.journal_get(request.actor, pk)
    journal.journal_share(request.actor, entry=entry, share=request.POST.get("share") == "1")
    if request.htmx:
        return render(request, "training/_share.html", {"entry": entry, "is_author": True})
    return redirect("training:journal_entry", pk=entry.pk)


@requires("training.journal")
@require_POST
def journal_comment(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    entry = selectors.journal_get(request.actor, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        journal.journal_comment(request.actor, entry=entry, body=form.cleaned_data["body"])
    return redirect("training:journal_entry", pk=entry.pk)


@requires("training.learn")
@require_http_methods(["GET", "POST"])
def journal_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The author edits an entry; an edit made from an older copy is refused (409), the text kept."""
    actor = request.actor
    entry = selectors.journal_get(actor, pk)
    if entry.author_id != actor.user_id:
        raise NotYours
    form = JournalEditForm(
        request.POST or None, initial={"title": entry.title, "body": entry.body, "version": entry.version}
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            journal.journal_edit(
                actor,
                entry=entry,
                version=data["version"],
                title=data["title"],
                body=data["body"],
                confirmed_no_client=data["confirmed_no_client"],
            )
            return redirect("training:journal_entry", pk=entry.pk)
        except Refused as exc:
            add_service_errors(form, exc.as_validation_error())
            status = 422
        except Stale as exc:
            form.add_error(None, str(exc))
            entry.refresh_from_db()
            status = 409
    elif request.method == "POST":
        status = 422
    return render(request, "training/journal_edit.html", {"entry": entry, "form": form}, status=status)
