"""Access-oracle rows of the training app (kapstone.training) and the public guide.

A cohort of Larkspur (org A) on the fictional fixture program: Avery (admin) leads it, Toby (trainee)
is enrolled with Sam as supervisor. Lessons and checks are Toby's alone; the profile is Toby's, his
supervisor's and the lead's; assessing is his supervisor's; a journal entry is its author's. Olive
(another organization) gets 404 everywhere; the guide is public.
"""

from __future__ import annotations

from typing import Any

from tests.oracle_kit import Row, only

LEAD, TRAINEE, SUPERVISOR = ("avery",), ("toby",), ("sam",)


def _cohort(w: Any) -> tuple[Any, Any]:
    from pathlib import Path

    from kapstone.core.actor import Actor
    from kapstone.training import services
    from kapstone.training.curriculum import read_folder

    lead = Actor(user=w.users["avery"], organization=w.org_a, roles=frozenset({"org_admin"}))
    files = read_folder(Path(__file__).resolve().parent.parent / "training" / "fixtures" / "mini")
    version = services.version_publish(lead, version=services.program_import(lead, files=files, root="mini"))
    cohort = services.cohort_create(lead, version=version, name="Oracle cohort")
    enrollment = services.enroll(lead, cohort=cohort, trainee=w.users["toby"], supervisor=w.users["sam"])
    return cohort, enrollment


def enrollment(w: Any) -> dict[str, Any]:
    return {"pk": _cohort(w)[1].pk}


def lesson(w: Any) -> dict[str, Any]:
    return {**enrollment(w), "lesson_id": "first"}


def check(w: Any) -> dict[str, Any]:
    return {**enrollment(w), "module_id": "basics"}


def cohort(w: Any) -> dict[str, Any]:
    return {"pk": _cohort(w)[0].pk}


def version(w: Any) -> dict[str, Any]:
    return {"pk": _cohort(w)[0].version_id}


def version_lesson(w: Any) -> dict[str, Any]:
    return {**version(w), "lesson_id": "second"}


def session(w: Any) -> dict[str, Any]:
    import datetime as dt

    from kapstone.core.actor import Actor
    from kapstone.training import services

    lead = Actor(user=w.users["avery"], organization=w.org_a, roles=frozenset({"org_admin"}))
    live = services.live_session_create(
        lead,
        cohort=_cohort(w)[0],
        title="Seminar",
        starts_at=dt.datetime(2026, 12, 1, 17, tzinfo=dt.UTC),
        minutes=60,
    )
    return {"pk": live.pk}


def entry(w: Any) -> dict[str, Any]:  # Toby's, not shared
    from kapstone.core.actor import Actor
    from kapstone.training.journal import journal_write

    toby = Actor(user=w.users["toby"], organization=w.org_a, roles=frozenset({"trainee"}))
    return {"pk": journal_write(toby, title="Week one", body="What I noticed.").pk}


def pending_attempt(w: Any) -> dict[str, Any]:  # Toby's, with a short answer for Sam to grade
    from kapstone.core.actor import Actor
    from kapstone.training import services

    toby = Actor(user=w.users["toby"], organization=w.org_a, roles=frozenset({"trainee"}))
    attempt = services.quiz_submit(
        toby,
        enrollment=_cohort(w)[1],
        module_id="safety",
        number=1,
        answers={"s-1": ["0", "1"], "s-2": ["Vital signs"]},
        key="oracle",
    )
    return {"pk": attempt.pk}


ROWS: dict[str, Row] = {
    "training:home": Row(only(("avery", "sam", "toby"))),
    "training:lesson": Row(only(TRAINEE), kwargs=lesson),
    "training:quiz": Row(only(TRAINEE), kwargs=check),
    "training:profile": Row(only(("avery", "sam", "toby")), kwargs=enrollment),
    "training:assess": Row(only(SUPERVISOR), kwargs=enrollment),
    "training:attempt_mark": Row(only(SUPERVISOR), kwargs=pending_attempt),
    "training:journal": Row(only(("sam", "toby"))),
    "training:journal_entry": Row(only(TRAINEE), kwargs=entry),
    "training:journal_edit": Row(only(TRAINEE), kwargs=entry),
    "training:journal_share": Row(only(("sam", "toby"), ok=405), kwargs=entry),  # POST only
    "training:journal_comment": Row(only(("sam", "toby"), ok=405), kwargs=entry),
    "training:programs": Row(only(LEAD)),
    "training:version": Row(only(LEAD), kwargs=version),
    "training:version_publish": Row(only(LEAD, ok=405), kwargs=version),
    "training:version_export": Row(only(LEAD), kwargs=version),
    "training:lesson_edit": Row(only(LEAD), kwargs=version_lesson),
    "training:cohort_create": Row(only(LEAD, ok=405), kwargs=version),
    "training:cohort": Row(only(LEAD), kwargs=cohort),
    "training:cohort_enroll": Row(only(LEAD, ok=405), kwargs=cohort),
    "training:cohort_move": Row(only(LEAD, ok=405), kwargs=cohort),
    "training:cohort_second_rater": Row(only(LEAD, ok=405), kwargs=cohort),  # POST only
    "training:live_session_create": Row(only(LEAD, ok=405), kwargs=cohort),
    "training:attendance": Row(only(LEAD), kwargs=session),
    # The beginner's guide: public, the same page for everyone.
    "guide:guide": Row({"*": 200}),
}
