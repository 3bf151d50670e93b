"""Printable records: a dosing session's record and a course summary, as PDF."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from kapstone.access.decorators import requires
from kapstone.care import pdf, selectors
from kapstone.care.models import CareSession, Course
from kapstone.core.http import AuthenticatedRequest


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@requires("care.print")
@require_GET
def session_pdf(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    session = selectors.session_get(request.actor, pk, action="care.print")
    if session.kind != CareSession.Kind.DOSING or session.started_at is None:
        raise Http404
    board = selectors.dosing_board(session)
    return _pdf(pdf.dosing_record(board), f"dosing-session-{session.pk}.pdf")


@requires("care.print")
@require_GET
def course_pdf(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    course: Course = selectors.course_get(request.actor, pk, action="care.print")
    overview = selectors.course_overview(course)
    return _pdf(pdf.course_summary(overview), f"course-{course.pk}.pdf")
