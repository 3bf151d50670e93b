"""Training services against the database: import and publish, enrol, learn, knowledge checks,
versions mid-cohort, assessments, live hours, the earned-hours feed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from training_support import actor, mini_files, published_cohort

from kapstone.audit.models import AuditEvent
from kapstone.core.contract import NotYours, Refused
from kapstone.training import selectors, services
from kapstone.training.models import (
    CompetencyAssessment,
    LessonCompletion,
    ModuleCompletion,
    Program,
    ProgramVersion,
    QuizAttempt,
)

pytestmark = pytest.mark.django_db
RIGHT = {"b-1": ["1"], "b-2": ["true"]}
WRONG = {"b-1": ["0"], "b-2": ["false"]}


def test_a_broken_import_is_refused_with_file_and_line_and_imports_nothing(world: Any) -> None:
    files = mini_files()
    files["02-safety/module.toml"] = files["02-safety/module.toml"].replace('"co.screening"', '"co.nowhere"')
    with pytest.raises(Refused) as caught:
        services.program_import(actor(world, "avery"), files=files, root="mini")
    assert (
        "mini/02-safety/module.toml, line 21" in caught.value.reason and "co.nowhere" in caught.value.reason
    )
    assert not Program.objects.exists() and not ProgramVersion.objects.exists()


def test_only_the_lead_imports_and_a_version_is_imported_once(world: Any) -> None:
    with pytest.raises(NotYours):
        services.program_import(actor(world, "sam"), files=mini_files())
    services.program_import(actor(world, "avery"), files=mini_files())
    with pytest.raises(Refused, match="already here"):
        services.program_import(actor(world, "avery"), files=mini_files())


def test_a_cohort_runs_only_on_a_published_version_which_is_published_once(world: Any) -> None:
    lead = actor(world, "avery")
    draft = services.program_import(lead, files=mini_files())
    with pytest.raises(Refused, match="publish"):
        services.cohort_create(lead, version=draft, name="Too early")
    services.version_publish(lead, version=draft)
    with pytest.raises(Refused, match="already published"):
        services.version_publish(lead, version=draft)


def test_a_lesson_completes_once_with_its_version_and_progress_moves_at_once(world: Any) -> None:
    _, enrollment = published_cohort(world)
    toby = actor(world, "toby")
    before = selectors.progress(enrollment)
    assert before.next_step == ("lesson", "basics", "first") and before.minutes_left == 60
    first = services.lesson_complete(toby, enrollment=enrollment, lesson_id="first")
    again = services.lesson_complete(toby, enrollment=enrollment, lesson_id="first")
    assert first.pk == again.pk and LessonCompletion.objects.count() == 1
    assert first.version_id == enrollment.version_id and first.minutes == 20
    after = selectors.progress(enrollment)
    assert after.next_step == ("lesson", "basics", "second") and after.minutes_left == 40
    with pytest.raises(NotYours):
        services.lesson_complete(actor(world, "sam"), enrollment=enrollment, lesson_id="second")


def _submit(world: Any, enrollment: Any, answers: dict[str, list[str]], *, key: str, now: Any = None) -> Any:
    module = selectors.curriculum_of(enrollment.version).module("basics")
    _, number = services.next_attempt(enrollment, module, now or timezone.now())
    return services.quiz_submit(
        actor(world, "toby"),
        enrollment=enrollment,
        module_id="basics",
        number=number,
        answers=answers,
        key=key,
        now=now,
    )


def test_fail_wait_then_pass_completes_the_module_the_moment_it_happens(world: Any) -> None:
    _, enrollment = published_cohort(world)
    for lesson in ("first", "second"):
        services.lesson_complete(actor(world, "toby"), enrollment=enrollment, lesson_id=lesson)
    t0 = timezone.now()
    failed = _submit(world, enrollment, WRONG, key="k1", now=t0)
    assert failed.status == "failed" and not ModuleCompletion.objects.exists()
    with pytest.raises(Refused, match="next attempt opens"):
        _submit(world, enrollment, RIGHT, key="k2", now=t0 + dt.timedelta(minutes=59))
    passed = _submit(world, enrollment, RIGHT, key="k3", now=t0 + dt.timedelta(minutes=61))
    assert passed.status == "passed" and passed.number == 2
    done = ModuleCompletion.objects.get(enrollment=enrollment, module_id="basics")
    assert done.version_id == enrollment.version_id
    assert selectors.progress(enrollment).next_step == ("lesson", "safety", "third")


def test_a_double_submit_counts_once_and_stray_or_late_answers_are_refused(world: Any) -> None:
    cohort, enrollment = published_cohort(world)
    first = _submit(world, enrollment, WRONG, key="same-key")
    module = selectors.curriculum_of(enrollment.version).module("basics")
    retry = services.quiz_submit(
        actor(world, "toby"),
        enrollment=enrollment,
        module_id="basics",
        number=1,
        answers=WRONG,
        key="same-key",
    )
    assert retry.pk == first.pk and QuizAttempt.objects.count() == 1
    later = timezone.now() + dt.timedelta(hours=2)
    with pytest.raises(Refused, match="not drawn"):
        _submit(world, enrollment, {**RIGHT, "s-1": ["0"]}, key="k4", now=later)
    cohort.checks_close_at = timezone.now()
    cohort.save()
    enrollment.refresh_from_db()
    with pytest.raises(Refused, match="closed"):
        _submit(world, enrollment, RIGHT, key="k5", now=later)
    assert services.next_attempt(enrollment, module, later)[0].allowed is False
    assert QuizAttempt.objects.count() == 1


def test_a_short_answer_waits_for_the_supervisor_and_only_they_mark_it(world: Any) -> None:
    _, enrollment = published_cohort(world)
    attempt = services.quiz_submit(
        actor(world, "toby"),
        enrollment=enrollment,
        module_id="safety",
        number=1,
        answers={"s-1": ["0", "1"], "s-2": ["Check vital signs"]},
        key="s",
    )
    assert attempt.status == "pending"  # 2 of 3 points sure, pass mark 100 %: the short answer decides
    assert selectors.progress(enrollment).modules[1].check_status == "pending"
    with pytest.raises(NotYours):
        services.attempt_mark(actor(world, "theo", "supervisor"), attempt=attempt, marks={"s-2": True})
    marked = services.attempt_mark(actor(world, "sam"), attempt=attempt, marks={"s-2": True})
    assert marked.status == "passed" and marked.graded_by == world.users["sam"]
    with pytest.raises(Refused, match="already decided"):
        services.attempt_mark(actor(world, "sam"), attempt=attempt, marks={"s-2": False})


def test_a_new_version_mid_cohort_leaves_progress_and_completions_as_they_were(world: Any) -> None:
    cohort, enrollment = published_cohort(world)
    toby, lead = actor(world, "toby"), actor(world, "avery")
    services.lesson_complete(toby, enrollment=enrollment, lesson_id="first")
    services.lesson_complete(toby, enrollment=enrollment, lesson_id="second")
    _submit(world, enrollment, RIGHT, key="p")
    before = selectors.progress(enrollment)
    old = enrollment.version
    draft = services.lesson_edit(lead, version=old, lesson_id="second", body="Rewritten.", new_version="1.1")
    assert draft.status == "draft" and draft.based_on_id == old.pk
    old.refresh_from_db()
    assert "Second fictional lesson text." in old.files["01-basics/02-second.md"]
    services.version_publish(lead, version=draft)
    enrollment.refresh_from_db()
    after = selectors.progress(enrollment)
    assert enrollment.version_id == old.pk and cohort.version_id == old.pk
    assert (after.done_lessons, after.minutes_left, after.next_step) == (
        before.done_lessons,
        before.minutes_left,
        before.next_step,
    )
    assert set(LessonCompletion.objects.values_list("version_id", flat=True)) == {old.pk}
    report = services.enrollment_move(lead, enrollment=enrollment, version=draft)
    assert report == {"kept": ["first", "second"], "not_in_new_version": []}
    enrollment.refresh_from_db()
    moved = selectors.progress(enrollment)
    assert enrollment.version_id == draft.pk and moved.done_lessons == {"first", "second"}
    assert set(LessonCompletion.objects.values_list("version_id", flat=True)) == {old.pk}
    assert ModuleCompletion.objects.get(module_id="basics").version_id == old.pk


def test_the_supervisor_assesses_with_evidence_and_anyone_else_gets_an_audited_404(world: Any) -> None:
    _, enrollment = published_cohort(world)
    sam = actor(world, "sam")
    kwargs = {
        "enrollment": enrollment,
        "competency_id": "kap.monitoring",
        "evidence_kind": "role_play",
        "evidence_ref": "Role-play, week 2",
    }
    row = services.assessment_record(sam, level=3, key="a1", **kwargs)
    assert services.assessment_record(sam, level=3, key="a1", **kwargs).pk == row.pk
    for bad in (0, 5):
        with pytest.raises(Refused, match="outside the scale"):
            services.assessment_record(sam, level=bad, **kwargs)
    with pytest.raises(Refused, match="competency"):
        services.assessment_record(sam, level=2, **{**kwargs, "competency_id": "phelps.nope"})
    with pytest.raises(Refused, match="co-signed"):
        services.assessment_record(
            sam, level=2, **{**kwargs, "evidence_kind": "cosigned_session", "evidence_ref": "#999"}
        )
    for name, role in (("theo", "therapist"), ("avery", "org_admin"), ("toby", "trainee")):
        with pytest.raises(NotYours):
            services.assessment_record(actor(world, name, role), level=2, **kwargs)
        assert AuditEvent.objects.filter(
            actor_id=world.users[name].pk, outcome="denied", action="training.assess"
        ).exists()
    with pytest.raises(NotYours):
        selectors.enrollment_get(actor(world, "theo", "supervisor"), enrollment.pk, action="training.assess")
    assert CompetencyAssessment.objects.count() == 1
    _, lines = selectors.competency_profile(enrollment)
    monitoring = next(line for line in lines if line.id == "kap.monitoring")
    assert monitoring.latest is not None and monitoring.latest.level == 3


def test_rater_agreement_per_competency(world: Any) -> None:
    cohort, enrollment = published_cohort(world)
    levels = [(1, 1), (2, 2), (3, 3), (4, 3), (2, 2), (3, 2)]
    for i, (a, b) in enumerate(levels):
        for assessor, level in ((world.users["sam"], a), (world.users["theo"], b)):
            CompetencyAssessment.objects.create(
                enrollment=enrollment,
                framework_id="phelps-kap",
                framework_version="1.0",
                competency_id="phelps.trust",
                level=level,
                evidence_kind="role_play",
                evidence_ref=f"Video {i}",
                assessor=assessor,
            )
    kappa, n = selectors.rater_agreement(cohort)["phelps.trust"]
    assert n == 6 and kappa is not None and 0 < kappa < 1


def test_earned_hours_keep_live_and_self_paced_apart(world: Any) -> None:
    cohort, enrollment = published_cohort(world)
    services.lesson_complete(actor(world, "toby"), enrollment=enrollment, lesson_id="third")
    lead = actor(world, "avery")
    live = services.live_session_create(
        lead,
        cohort=cohort,
        title="Live case seminar",
        starts_at=timezone.now(),
        minutes=90,
        topics=["co.integration"],
    )
    missed = services.live_session_create(
        lead, cohort=cohort, title="Missed", starts_at=timezone.now(), minutes=60
    )
    services.attendance_record(lead, session=live, enrollment=enrollment, attended=True)
    services.attendance_record(lead, session=missed, enrollment=enrollment, attended=False)
    hours = selectors.earned_hours(world.users["toby"])
    assert [(h.kind, h.minutes, h.topics) for h in hours] == [
        ("didactic_self_paced", 30, ("co.screening", "co.health")),
        ("didactic_live", 90, ("co.integration",)),
    ]
    assert hours[0].label == "Lesson: Third lesson" and selectors.earned_hours(world.users["sam"]) == []


def test_enrolment_refuses_non_trainees_and_other_organizations(world: Any) -> None:
    cohort, _ = published_cohort(world)
    lead = actor(world, "avery")
    for name in ("theo", "olive"):
        with pytest.raises(Refused, match="trainee"):
            services.enroll(lead, cohort=cohort, trainee=world.users[name])
    with pytest.raises(NotYours):
        selectors.cohort_get(actor(world, "olive", "org_admin"), cohort.pk)
    with pytest.raises(NotYours):
        selectors.enrollment_get(
            actor(world, "olive", "trainee"), cohort.enrollments.get().pk, action="training.learn"
        )
