"""Training writes: one transaction each, audited in it. Services take keyword-only arguments and
raise ``Refused`` (the person can fix it), ``Stale`` or ``NotYours`` (kapstone.core.contract).

Curriculum: a version is imported (a draft), edited while a draft, and published as a whole; a
published version never changes — editing one makes a new draft. Cohorts run on a published
version; an enrolment stays on it until the lead moves the trainee, which keeps every completion
and attempt (they map across by lesson and module id). Completion is settled the moment a lesson is
finished or a check passes, and records the version it was earned on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence

from django.utils import timezone

from kapstone.accounts.models import Membership, Role, User
from kapstone.audit.services import record
from kapstone.core.actor import Actor
from kapstone.core.contract import NotYours, Refused
from kapstone.core.models import create_once
from kapstone.training import grading

# Competency assessment lives in kapstone.training.assessment; re-exported for callers of this module.
from kapstone.training.assessment import assessment_record as assessment_record
from kapstone.training.assessment import second_rater_set as second_rater_set
from kapstone.training.curriculum import CurriculumError, Module
from kapstone.training.curriculum import Program as Curriculum
from kapstone.training.curriculum.files import digest, load_program, replace_lesson_body, with_version
from kapstone.training.curriculum.loader import VERSION
from kapstone.training.frameworks import topic_ids
from kapstone.training.guard import Denied, atomic_service
from kapstone.training.models import (
    Attendance,
    Cohort,
    Enrollment,
    LessonCompletion,
    LiveSession,
    ModuleCompletion,
    Program,
    ProgramVersion,
    QuizAttempt,
)
from kapstone.training.selectors import curriculum_of, oid, uid

MAX_FILES_CHARS = 5_000_000


def _lead(actor: Actor) -> None:
    if not actor.has_role(Role.ORG_ADMIN) or actor.organization is None:
        raise Denied(actor, "training.lead")


def _parse(files: Mapping[str, str], root: str) -> object:
    try:
        return load_program(files, root=root)
    except CurriculumError as exc:
        raise Refused(str(exc), field="files", code="curriculum") from exc


# --- Curriculum ---


@atomic_service
def program_import(actor: Actor, *, files: Mapping[str, str], root: str = "") -> ProgramVersion:
    """Import a program's files as a draft version. All checked first: a broken file imports nothing."""
    _lead(actor)
    if sum(len(t) for t in files.values()) > MAX_FILES_CHARS:
        raise Refused("The program's files are larger than 5 million characters.", field="files")
    files = {name: text.replace("\r\n", "\n") for name, text in files.items()}
    program = _parse(files, root or "upload")

    assert isinstance(program, Curriculum)
    row, _ = Program.objects.get_or_create(
        organization_id=oid(actor), program_id=program.id, defaults={"title": program.title}
    )
    if row.versions.filter(version=program.version).exists():
        raise Refused(
            f"{program.id} version {program.version} is already here; give the files a new "
            "version in program.toml.",
            field="files",
            code="version-exists",
        )
    version = ProgramVersion.objects.create(
        program=row,
        version=program.version,
        title=program.title,
        files=dict(files),
        sha256=digest(files),
        created_by_id=uid(actor),
    )
    record(
        actor,
        "training.lead",
        object_type="training_version",
        object_id=version.pk,
        detail={"event": "import", "program": program.id, "version": program.version},
    )
    return version


@atomic_service
def version_publish(actor: Actor, *, version: ProgramVersion) -> ProgramVersion:
    """Publish a draft as a whole. From now on it never changes."""
    _lead(actor)
    locked = ProgramVersion.objects.select_for_update().get(pk=version.pk)
    if locked.is_published:
        raise Refused(f"Version {locked.version} is already published.", code="published")
    _parse(locked.files, locked.program.program_id)
    locked.status, locked.published_at = ProgramVersion.Status.PUBLISHED, timezone.now()
    locked.save(update_fields=["status", "published_at"])
    version.status, version.published_at = locked.status, locked.published_at
    record(
        actor,
        "training.lead",
        object_type="training_version",
        object_id=locked.pk,
        detail={"event": "publish", "version": locked.version, "sha256": locked.sha256},
    )
    return locked


@atomic_service
def lesson_edit(
    actor: Actor, *, version: ProgramVersion, lesson_id: str, body: str, new_version: str = ""
) -> ProgramVersion:
    """Change a lesson's text. A draft changes in place; a published version stays as it is and the
    edit becomes a new draft ``new_version`` based on it."""
    _lead(actor)
    program = curriculum_of(version)
    try:
        _, lesson = program.lesson(lesson_id)
    except LookupError:
        raise Refused(f"There is no lesson {lesson_id!r} in this version.", field="lesson_id") from None
    if not body.strip():
        raise Refused("The lesson needs text.", field="body")
    files = replace_lesson_body(version.files, lesson.path, body)
    if version.is_published:
        label = new_version.strip()
        if not VERSION.match(label):
            raise Refused("Name the new version (for example 2026.12.1).", field="new_version")
        if version.program.versions.filter(version=label).exists():
            raise Refused(f"Version {label} already exists.", field="new_version")
        files = with_version(files, label)
        _parse(files, version.program.program_id)
        draft = ProgramVersion.objects.create(
            program=version.program,
            version=label,
            title=version.title,
            files=files,
            sha256=digest(files),
            based_on=version,
            created_by_id=uid(actor),
        )
    else:
        _parse(files, version.program.program_id)
        ProgramVersion.objects.filter(pk=version.pk, status=ProgramVersion.Status.DRAFT).update(
            files=files, sha256=digest(files)
        )
        draft = ProgramVersion.objects.get(pk=version.pk)
    record(
        actor,
        "training.lead",
        object_type="training_version",
        object_id=draft.pk,
        detail={"event": "lesson_edit", "lesson": lesson_id, "from": version.version},
    )
    return draft


# --- Cohorts and enrolment ---


@atomic_service
def cohort_create(
    actor: Actor,
    *,
    version: ProgramVersion,
    name: str,
    starts_on: dt.date | None = None,
    checks_close_at: dt.datetime | None = None,
) -> Cohort:
    _lead(actor)
    if not version.is_published:
        raise Refused("A cohort runs on a published version; publish this draft first.", field="version")
    if not name.strip():
        raise Refused("Name the cohort.", field="name")
    cohort = Cohort.objects.create(
        organization_id=oid(actor),
        program=version.program,
        version=version,
        name=name.strip()[:200],
        starts_on=starts_on,
        checks_close_at=checks_close_at,
        created_by_id=uid(actor),
    )
    record(
        actor, "training.lead", object_type="training_cohort", object_id=cohort.pk, detail={"event": "create"}
    )
    return cohort


def _member(user: User, cohort: Cohort, role: str) -> bool:
    return Membership.objects.filter(
        user=user, organization_id=cohort.organization_id, role=role, is_active=True
    ).exists()


@atomic_service
def enroll(actor: Actor, *, cohort: Cohort, trainee: User, supervisor: User | None = None) -> Enrollment:
    _lead(actor)
    if not _member(trainee, cohort, Role.TRAINEE):
        raise Refused("Only a trainee of this organization can be enrolled.", field="trainee")
    if supervisor is not None and not _member(supervisor, cohort, Role.SUPERVISOR):
        raise Refused("The supervisor must be a supervisor of this organization.", field="supervisor")
    if cohort.enrollments.filter(trainee=trainee).exists():
        raise Refused(f"{trainee} is already enrolled in {cohort}.", field="trainee")
    enrollment = Enrollment.objects.create(
        cohort=cohort, trainee=trainee, supervisor=supervisor, version=cohort.version
    )
    record(
        actor,
        "training.lead",
        object_type="training_enrollment",
        object_id=enrollment.pk,
        detail={"event": "enroll", "cohort": cohort.pk},
    )
    return enrollment


@atomic_service
def enrollment_move(actor: Actor, *, enrollment: Enrollment, version: ProgramVersion) -> dict[str, list[str]]:
    """Move a trainee to another published version of the same program, explicitly. Completions and
    attempts stay as they were (each keeps the version it was earned on); those whose lesson or
    module id exists in the new version count there. Returns what maps across and what does not."""
    _lead(actor)
    if version.program_id != enrollment.version.program_id or not version.is_published:
        raise Refused("Move a trainee only to a published version of the same program.", field="version")
    new = curriculum_of(version)
    new_lessons = {lesson.id for lesson in new.lessons}
    done = list(enrollment.lessons_done.values_list("lesson_id", flat=True))
    report = {
        "kept": sorted(x for x in done if x in new_lessons),
        "not_in_new_version": sorted(x for x in done if x not in new_lessons),
    }
    old = enrollment.version
    enrollment.version = version
    enrollment.save(update_fields=["version"])
    record(
        actor,
        "training.lead",
        object_type="training_enrollment",
        object_id=enrollment.pk,
        detail={"event": "move", "from": old.version, "to": version.version, **report},
    )
    for module in new.modules:
        _settle(enrollment, module)
    return report


# --- Learning ---


def _own(actor: Actor, enrollment: Enrollment) -> None:
    if enrollment.trainee_id != actor.user_id:
        raise Denied(actor, "training.learn", object_type="training_enrollment", object_id=enrollment.pk)


def _settle(enrollment: Enrollment, module: Module) -> ModuleCompletion | None:
    """Record the module's completion now if every lesson is done and its check passed."""
    if enrollment.modules_done.filter(module_id=module.id).exists():
        return None
    done = set(enrollment.lessons_done.values_list("lesson_id", flat=True))
    if any(lesson.id not in done for lesson in module.lessons):
        return None
    if (
        module.check
        and not enrollment.attempts.filter(module_id=module.id, status=QuizAttempt.Status.PASSED).exists()
    ):
        return None
    completion = ModuleCompletion.objects.create(
        enrollment=enrollment, module_id=module.id, version=enrollment.version
    )
    program = curriculum_of(enrollment.version)
    finished = set(enrollment.modules_done.values_list("module_id", flat=True))
    if enrollment.completed_at is None and all(m.id in finished for m in program.modules):
        enrollment.completed_at, enrollment.completed_version = timezone.now(), enrollment.version
        enrollment.save(update_fields=["completed_at", "completed_version"])
    return completion


@atomic_service
def lesson_complete(actor: Actor, *, enrollment: Enrollment, lesson_id: str) -> LessonCompletion:
    """Mark a lesson done (once: a second mark returns the first)."""
    _own(actor, enrollment)
    try:
        module, lesson = curriculum_of(enrollment.version).lesson(lesson_id)
    except LookupError:
        raise NotYours from None
    existing = enrollment.lessons_done.filter(lesson_id=lesson_id).first()
    if existing is not None:
        return existing
    done = LessonCompletion.objects.create(
        enrollment=enrollment,
        lesson_id=lesson.id,
        module_id=module.id,
        version=enrollment.version,
        minutes=lesson.minutes,
        topics=list(lesson.topics),
    )
    record(
        actor,
        "training.learn",
        object_type="lesson_completion",
        object_id=done.pk,
        detail={"lesson": lesson.id, "version": enrollment.version.version},
    )
    _settle(enrollment, module)
    return done


def attempt_seed(enrollment: Enrollment, module_id: str, number: int) -> int:
    text = f"{enrollment.pk}:{enrollment.version.sha256}:{module_id}:{number}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:7], "big")


def next_attempt(enrollment: Enrollment, module: Module, now: dt.datetime) -> tuple[grading.Eligibility, int]:
    """Whether a new attempt may be made now, and its number."""
    assert module.check is not None
    past = list(enrollment.attempts.filter(module_id=module.id).order_by("number"))
    verdict = grading.eligibility(
        module.check,
        [grading.PastAttempt(a.submitted_at, a.status) for a in past],
        now,
        deadline=enrollment.cohort.checks_close_at,
    )
    return verdict, len(past) + 1


def drawn_for(enrollment: Enrollment, module: Module, number: int) -> tuple[str, ...]:
    assert module.check is not None
    return grading.draw_questions(module.check, attempt_seed(enrollment, module.id, number))


@atomic_service
def quiz_submit(
    actor: Actor,
    *,
    enrollment: Enrollment,
    module_id: str,
    number: int,
    answers: Mapping[str, Sequence[str]],
    key: str,
    now: dt.datetime | None = None,
) -> QuizAttempt:
    """Grade and record one attempt. The same key twice (a double click, a retry) is one attempt."""
    _own(actor, enrollment)
    earlier = QuizAttempt.objects.filter(enrollment=enrollment, idempotency_key=key).first() if key else None
    if earlier is not None:
        return earlier
    now = now or timezone.now()
    try:
        module = curriculum_of(enrollment.version).module(module_id)
    except LookupError:
        raise NotYours from None
    if module.check is None:
        raise NotYours
    verdict, expected = next_attempt(enrollment, module, now)
    if not verdict.allowed:
        raise Refused(verdict.reason, code="not-eligible")
    if number != expected:
        raise Refused(
            "This attempt was already submitted; open the knowledge check again.", code="stale-attempt"
        )
    drawn = drawn_for(enrollment, module, number)
    try:
        result = grading.grade(module.check, drawn, answers)
    except grading.SubmissionRefused as exc:
        raise Refused(str(exc), field=exc.question, code="answers") from exc

    def make() -> QuizAttempt:
        return QuizAttempt.objects.create(
            enrollment=enrollment,
            module_id=module.id,
            version=enrollment.version,
            number=number,
            seed=attempt_seed(enrollment, module.id, number),
            drawn=list(drawn),
            answers={k: list(v) for k, v in answers.items()},
            status=result.status,
            earned=result.earned,
            available=result.available,
            submitted_at=now,
            idempotency_key=key,
        )

    attempt, created = create_once(QuizAttempt, key=key, owner={"enrollment": enrollment}, make=make)
    if created:
        record(
            actor,
            "training.learn",
            object_type="quiz_attempt",
            object_id=attempt.pk,
            detail={"module": module.id, "number": number, "status": attempt.status},
        )
        _settle(enrollment, module)
    return attempt


@atomic_service
def attempt_mark(actor: Actor, *, attempt: QuizAttempt, marks: Mapping[str, bool]) -> QuizAttempt:
    """The supervisor's verdicts on an attempt's short answers; the attempt is then decided."""
    enrollment = attempt.enrollment
    if enrollment.supervisor_id != actor.user_id:
        raise Denied(actor, "training.assess", object_type="quiz_attempt", object_id=attempt.pk)
    if attempt.status != QuizAttempt.Status.PENDING:
        raise Refused("This attempt is already decided.", code="decided")
    module = curriculum_of(attempt.version).module(attempt.module_id)
    assert module.check is not None
    result = grading.grade(module.check, attempt.drawn, attempt.answers, marks={**attempt.marks, **marks})
    attempt.marks = {**attempt.marks, **marks}
    attempt.status, attempt.earned = result.status, result.earned
    attempt.graded_by, attempt.graded_at = actor.user, timezone.now()
    attempt.save(update_fields=["marks", "status", "earned", "graded_by", "graded_at"])
    record(
        actor,
        "training.assess",
        object_type="quiz_attempt",
        object_id=attempt.pk,
        detail={"status": attempt.status},
    )
    _settle(enrollment, curriculum_of(enrollment.version).module(attempt.module_id))
    return attempt


# --- Live teaching ---


@atomic_service
def live_session_create(
    actor: Actor,
    *,
    cohort: Cohort,
    title: str,
    starts_at: dt.datetime,
    minutes: int,
    topics: Sequence[str] = (),
) -> LiveSession:
    _lead(actor)

    if not title.strip() or not 1 <= minutes <= 24 * 60:
        raise Refused("Give the session a title and a length between 1 and 1440 minutes.", field="minutes")
    unknown = sorted(set(topics) - topic_ids())
    if unknown:
        raise Refused(f"Unknown topic ids: {', '.join(unknown)}.", field="topics")
    session = LiveSession.objects.create(
        cohort=cohort,
        title=title.strip()[:200],
        starts_at=starts_at,
        minutes=minutes,
        topics=list(topics),
        created_by_id=uid(actor),
    )
    record(
        actor, "training.lead", object_type="live_session", object_id=session.pk, detail={"event": "create"}
    )
    return session


@atomic_service
def attendance_record(
    actor: Actor, *, session: LiveSession, enrollment: Enrollment, attended: bool
) -> Attendance:
    _lead(actor)
    if enrollment.cohort_id != session.cohort_id:
        raise Refused("That trainee is not in this session's cohort.", field="enrollment")
    row, _ = Attendance.objects.update_or_create(
        session=session, enrollment=enrollment, defaults={"attended": attended, "recorded_by": actor.user}
    )
    record(actor, "training.lead", object_type="attendance", object_id=row.pk, detail={"attended": attended})
    return row
