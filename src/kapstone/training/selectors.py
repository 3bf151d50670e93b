"""Reads of training records, scoped to the actor. Not yours and not found are the same audited 404.

- A trainee reaches their own enrolments; a supervisor the enrolments they supervise; the program
  lead (the training organization's admin) every enrolment of their organization's cohorts.
- Progress is read from the completion rows written at the moment of each event; nothing here
  computes a completion that was not recorded.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from django.db.models import Q, QuerySet

from kapstone.access.scoping import scoped_get
from kapstone.accounts.models import Role, User
from kapstone.core.actor import Actor
from kapstone.core.contract import NotYours
from kapstone.lib.hours import EarnedHours
from kapstone.training.agreement import cohen_kappa
from kapstone.training.curriculum import Module, Program
from kapstone.training.curriculum.files import load_program
from kapstone.training.frameworks import Framework, load_framework
from kapstone.training.models import (
    Attendance,
    Cohort,
    CompetencyAssessment,
    Enrollment,
    JournalEntry,
    LessonCompletion,
    ModuleCompletion,
    ProgramVersion,
    QuizAttempt,
)


@lru_cache(maxsize=64)
def _parsed(sha256: str, root: str, files_key: tuple[tuple[str, str], ...]) -> Program:
    return load_program(dict(files_key), root=root)


def curriculum_of(version: ProgramVersion) -> Program:
    """The program a stored version holds (parsed once per content hash)."""
    return _parsed(version.sha256, version.program.program_id, tuple(sorted(version.files.items())))


def framework_of(version: ProgramVersion) -> Framework:
    return load_framework(curriculum_of(version).competency_framework)


def uid(actor: Actor) -> int:
    """The acting user's id; an actor without a user reaches nothing."""
    if actor.user_id is None:
        raise NotYours
    return actor.user_id


def oid(actor: Actor) -> int:
    if actor.organization_id is None:
        raise NotYours
    return actor.organization_id


# --- Scoping ------------------------------------------------------------------------------------------


def enrollments_scoped(actor: Actor) -> QuerySet[Enrollment]:
    if actor.user is None or actor.organization is None:
        return Enrollment.objects.none()
    base = Enrollment.objects.filter(cohort__organization_id=oid(actor)).select_related(
        "cohort", "version__program", "trainee", "supervisor"
    )
    reach = Q(trainee=actor.user) if actor.has_role(Role.TRAINEE) else Q(pk__in=[])
    if actor.has_role(Role.SUPERVISOR):
        reach |= Q(supervisor=actor.user)
    if actor.has_role(Role.ORG_ADMIN):
        reach |= Q(pk__isnull=False)
    return base.filter(reach)


def enrollment_get(actor: Actor, pk: object, *, action: str) -> Enrollment:
    """One enrolment the actor may reach for ``action``; the supervisor's reach is only their own
    trainees', the trainee's only their own, whatever other role they hold."""
    scoped = enrollments_scoped(actor)
    if action == "training.learn":
        scoped = scoped.filter(trainee=actor.user)
    elif action == "training.assess":
        scoped = _rated(actor).filter(Q(supervisor=actor.user) | Q(second_rater=actor.user))
    return scoped_get(actor, scoped, pk, action=action, object_type="training_enrollment")


def _rated(actor: Actor) -> QuerySet[Enrollment]:
    """Enrolments of the actor's organization, for a supervisor only (narrowed by the caller)."""
    if actor.user is None or actor.organization is None or not actor.has_role(Role.SUPERVISOR):
        return Enrollment.objects.none()
    return Enrollment.objects.filter(cohort__organization_id=oid(actor)).select_related(
        "cohort", "version__program", "trainee", "supervisor"
    )


def second_rated_enrollments(actor: Actor) -> list[Enrollment]:
    """Enrolments the actor is the named second rater of (they rate; the profile stays the
    supervisor's, the trainee's and the lead's)."""
    return list(_rated(actor).filter(second_rater=actor.user).order_by("trainee__full_name"))


def my_enrollments(actor: Actor) -> list[Enrollment]:
    return list(enrollments_scoped(actor).filter(trainee=actor.user).order_by("-enrolled_at"))


def supervised_enrollments(actor: Actor) -> list[Enrollment]:
    return list(enrollments_scoped(actor).filter(supervisor=actor.user).order_by("trainee__full_name"))


def cohorts_led(actor: Actor) -> QuerySet[Cohort]:
    if not actor.has_role(Role.ORG_ADMIN):
        return Cohort.objects.none()
    return Cohort.objects.filter(organization_id=oid(actor)).select_related("version", "program")


def cohort_get(actor: Actor, pk: object) -> Cohort:
    return scoped_get(actor, cohorts_led(actor), pk, action="training.lead", object_type="training_cohort")


def versions_led(actor: Actor) -> QuerySet[ProgramVersion]:
    if not actor.has_role(Role.ORG_ADMIN):
        return ProgramVersion.objects.none()
    return ProgramVersion.objects.filter(program__organization_id=oid(actor)).select_related("program")


def version_get(actor: Actor, pk: object) -> ProgramVersion:
    return scoped_get(actor, versions_led(actor), pk, action="training.lead", object_type="training_version")


# --- Progress ------------------------------------------------------------------------------------------


@dataclass
class ModuleProgress:
    module: Module
    lessons_done: int
    lessons_total: int
    check_status: str  # "" (no check) | "not started" | passed | failed | pending
    complete: bool
    minutes_left: int


@dataclass
class Progress:
    program: Program
    modules: list[ModuleProgress]
    done_lessons: set[str]
    next_step: tuple[str, str, str] | None  # (kind "lesson"|"check", module id, lesson id or "")
    minutes_left: int
    complete: bool
    versions_of_completions: dict[str, str] = field(default_factory=dict)  # lesson id → version label

    @property
    def modules_complete(self) -> int:
        return sum(1 for m in self.modules if m.complete)


def _check_status(attempts: list[QuizAttempt]) -> str:
    if any(a.status == QuizAttempt.Status.PASSED for a in attempts):
        return "passed"
    if not attempts:
        return "not started"
    return attempts[-1].status


def progress(enrollment: Enrollment) -> Progress:
    """What is done, what is next and the time remaining, on the enrolment's current version."""
    program = curriculum_of(enrollment.version)
    completions = list(enrollment.lessons_done.select_related("version"))
    done = {c.lesson_id for c in completions}
    modules_done = set(enrollment.modules_done.values_list("module_id", flat=True))
    attempts: dict[str, list[QuizAttempt]] = defaultdict(list)
    for attempt in enrollment.attempts.order_by("number"):
        attempts[attempt.module_id].append(attempt)
    rows, next_step = [], None
    for module in program.modules:
        left = [lesson for lesson in module.lessons if lesson.id not in done]
        status = _check_status(attempts[module.id]) if module.check else ""
        rows.append(ModuleProgress(module, len(module.lessons) - len(left), len(module.lessons), status,
                                   module.id in modules_done, sum(x.minutes for x in left)))  # fmt: skip
        if next_step is None and left:
            next_step = ("lesson", module.id, left[0].id)
        elif next_step is None and module.check and status != "passed":
            next_step = ("check", module.id, "")
    minutes_left = sum(row.minutes_left for row in rows)
    return Progress(program, rows, done, next_step, minutes_left, enrollment.completed_at is not None,
                    {c.lesson_id: c.version.version for c in completions})  # fmt: skip


@dataclass
class GridRow:
    enrollment: Enrollment
    cells: list[str]  # per module: "done" | "started" | "" (not started)
    modules_complete: int
    behind: bool


def cohort_grid(cohort: Cohort) -> tuple[list[Module], list[GridRow]]:
    """Trainee × module for the lead; "behind" = fewer modules complete than the cohort's median."""
    program = curriculum_of(cohort.version)
    enrollments = list(
        cohort.enrollments.select_related("trainee", "version", "supervisor", "second_rater").order_by(
            "trainee__full_name"
        )
    )
    done = defaultdict(set)
    for e_id, m_id in ModuleCompletion.objects.filter(enrollment__cohort=cohort).values_list(
        "enrollment_id", "module_id"
    ):
        done[e_id].add(m_id)
    started = defaultdict(set)
    for e_id, m_id in LessonCompletion.objects.filter(enrollment__cohort=cohort).values_list(
        "enrollment_id", "module_id"
    ):
        started[e_id].add(m_id)
    counts = sorted(len(done[e.pk]) for e in enrollments)
    median = counts[len(counts) // 2] if counts else 0
    rows = []
    for enrollment in enrollments:
        cells = [
            "done" if m.id in done[enrollment.pk] else "started" if m.id in started[enrollment.pk] else ""
            for m in program.modules
        ]
        n = len(done[enrollment.pk])
        rows.append(GridRow(enrollment, cells, n, n < median))
    return list(program.modules), rows


# --- Competencies ---------------------------------------------------------------------------------------


@dataclass
class CompetencyLine:
    id: str
    title: str
    latest: CompetencyAssessment | None  # the supervisor's latest rating: the trainee's level
    history: list[CompetencyAssessment]  # every rating, second ratings (calibration) included

    @property
    def levels(self) -> list[CompetencyAssessment]:
        """The ratings that set the trainee's level (no second ratings)."""
        return [a for a in self.history if not a.second_rating]


def competency_profile(enrollment: Enrollment) -> tuple[Framework, list[CompetencyLine]]:
    framework = framework_of(enrollment.version)
    by_competency: dict[str, list[CompetencyAssessment]] = defaultdict(list)
    for row in enrollment.assessments.select_related("assessor").order_by("assessed_at", "pk"):
        by_competency[row.competency_id].append(row)
    lines = []
    for c in framework.competencies:
        levels = [a for a in by_competency[c.id] if not a.second_rating]
        lines.append(CompetencyLine(c.id, c.title, levels[-1] if levels else None, by_competency[c.id]))
    return framework, lines


def rater_agreement(cohort: Cohort) -> dict[str, tuple[float | None, int]]:
    """Cohen's κ per competency across the program: pairs of different raters of the same evidence
    (the supervisor's latest rating first, then the second rater's latest)."""
    rows = CompetencyAssessment.objects.filter(enrollment__cohort__program=cohort.program).values_list(
        "enrollment_id", "competency_id", "evidence_kind", "evidence_ref", "second_rating", "assessor_id",
        "level", "pk",
    )  # fmt: skip
    by_evidence: dict[tuple[int, str, str, str], dict[tuple[bool, int], int]] = defaultdict(dict)
    for e_id, comp, kind, ref, second, assessor, level, _pk in sorted(rows, key=lambda r: r[-1]):
        by_evidence[(e_id, comp, kind, ref.strip().lower())][(second, assessor)] = level  # latest per rater
    pairs: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for (_e, comp, _k, _r), raters in by_evidence.items():
        levels = [raters[a] for a in sorted(raters)]
        if len(levels) >= 2:
            pairs[comp].append((levels[0], levels[1]))
    return {comp: (cohen_kappa(p), len(p)) for comp, p in pairs.items()}


# --- Journal ---------------------------------------------------------------------------------------------


def journal_scoped(actor: Actor) -> QuerySet[JournalEntry]:
    """Entries the actor wrote, and entries shared with them now. Nobody else, the admin included."""
    if actor.user is None or actor.organization is None:
        return JournalEntry.objects.none()
    return JournalEntry.objects.filter(organization_id=oid(actor)).filter(
        Q(author=actor.user) | Q(shared_with=actor.user)
    )


def journal_get(actor: Actor, pk: object) -> JournalEntry:
    return scoped_get(actor, journal_scoped(actor).select_related("author"), pk, action="training.journal",
                      object_type="journal_entry")  # fmt: skip


# --- Hours the practicum ledger reads ---------------------------------------------------------------------


def earned_hours(user: User) -> list[EarnedHours]:
    """Lesson completions (self-paced, with the lesson's minutes and topics) and attended live
    sessions (live), as the practicum ledger reads them; kept apart by kind."""
    found: list[EarnedHours] = []
    completions = LessonCompletion.objects.filter(enrollment__trainee=user).select_related("version__program")
    for c in completions.order_by("completed_at", "pk"):
        try:
            title = curriculum_of(c.version).lesson(c.lesson_id)[1].title
        except LookupError:
            title = c.lesson_id
        found.append(EarnedHours("training.lesson", str(c.pk), "didactic_self_paced", c.minutes,
                                 _day(c.completed_at), f"Lesson: {title}", tuple(c.topics)))  # fmt: skip
    attended = Attendance.objects.filter(enrollment__trainee=user, attended=True).select_related("session")
    for a in attended.order_by("session__starts_at", "pk"):
        s = a.session
        found.append(EarnedHours("training.live_session", str(a.pk), "didactic_live", s.minutes,
                                 _day(s.starts_at), f"Live session: {s.title}", tuple(s.topics),
                                 supervisor_id=a.recorded_by_id))  # fmt: skip
    return found


def _day(moment: dt.datetime) -> dt.date:
    return moment.date()
