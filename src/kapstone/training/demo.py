"""A small fictional training cohort for the demo organization, for the team's demo seeding to call.

``seed_training_demo(organization)`` imports and publishes the shipped default program (once),
opens "Winter demo cohort (fictional)", enrols every trainee of the organization with its first
supervisor, and gives the first trainee a little history: two lessons done, a failed and a passed
knowledge check, one competency assessment, one journal entry shared with the supervisor.
Idempotent: a second call changes nothing and returns the same cohort. Demo data only.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from kapstone.accounts.models import Membership, Organization, Role, User
from kapstone.core.actor import Actor
from kapstone.training import journal, selectors, services
from kapstone.training.curriculum import Question
from kapstone.training.curriculum.files import installed
from kapstone.training.models import Cohort, Enrollment, ProgramVersion

COHORT_NAME = "Winter demo cohort (fictional)"
PROGRAM_ID = "kap-foundations"


def _first(organization: Organization, role: str) -> list[Membership]:
    return list(
        Membership.objects.filter(organization=organization, role=role, is_active=True)
        .select_related("user")
        .order_by("pk")
    )


@transaction.atomic
def seed_training_demo(organization: Organization) -> Cohort | None:
    """The demo cohort of ``organization`` (made the first time); None if it has no admin or no program."""
    existing = Cohort.objects.filter(organization=organization, name=COHORT_NAME).first()
    if existing is not None:
        return existing
    admins, supervisors, trainees = (
        _first(organization, r) for r in (Role.ORG_ADMIN, Role.SUPERVISOR, Role.TRAINEE)
    )
    shipped = {program.id: (program, files) for program, files in installed()}
    if not admins or PROGRAM_ID not in shipped:
        return None
    lead = Actor(
        user=admins[0].user, organization=organization, roles=frozenset({Role.ORG_ADMIN}), request_id="demo"
    )
    program, files = shipped[PROGRAM_ID]
    version = ProgramVersion.objects.filter(
        program__organization=organization, program__program_id=program.id, version=program.version
    ).first()
    if version is None:
        version = services.program_import(lead, files=files, root=PROGRAM_ID)
    if not version.is_published:
        version = services.version_publish(lead, version=version)
    cohort = services.cohort_create(lead, version=version, name=COHORT_NAME, starts_on=timezone.localdate())
    supervisor = supervisors[0].user if supervisors else None
    enrollments = [
        services.enroll(lead, cohort=cohort, trainee=m.user, supervisor=supervisor) for m in trainees
    ]
    if enrollments:
        _history(organization, enrollments[0], supervisor)
    return cohort


def _right(question: Question) -> list[str]:
    if question.kind in ("single", "multiple"):
        return [str(i) for i in sorted(question.correct)]
    if question.kind == "true_false":
        return ["true" if question.answer else "false"]
    return ["A fictional demo answer."]


def _history(organization: Organization, enrollment: Enrollment, supervisor: User | None) -> None:
    trainee = Actor(
        user=enrollment.trainee, organization=organization, roles=frozenset({Role.TRAINEE}), request_id="demo"
    )
    program = selectors.curriculum_of(enrollment.version)
    first = program.modules[0]
    for lesson in first.lessons[:2]:
        services.lesson_complete(trainee, enrollment=enrollment, lesson_id=lesson.id)
    if first.check is not None:  # a failed attempt (nothing answered) a while ago, then a pass
        back = timezone.now() - dt.timedelta(minutes=first.check.wait_minutes + 5)
        services.quiz_submit(
            trainee, enrollment=enrollment, module_id=first.id, number=1, answers={}, key="demo-1", now=back
        )
        check = first.check
        drawn = services.drawn_for(enrollment, first, 2)
        services.quiz_submit(
            trainee,
            enrollment=enrollment,
            module_id=first.id,
            number=2,
            key="demo-2",
            answers={q: _right(check.question(q)) for q in drawn},
        )
    journal.journal_write(
        trainee,
        title="First week (demo)",
        body="I noticed how much I wanted to fill the silences in the role-play. *Slower.*",
    )
    if supervisor is not None:
        sam = Actor(
            user=supervisor, organization=organization, roles=frozenset({Role.SUPERVISOR}), request_id="demo"
        )
        services.assessment_record(
            sam,
            enrollment=enrollment,
            competency_id="phelps.presence",
            level=2,
            evidence_kind="role_play",
            evidence_ref="Role-play, week 1 (demo)",
            note="Stayed present; interrupted once when the silence grew long.",
        )
        entry = selectors.journal_scoped(trainee).first()
        if entry is not None:
            journal.journal_share(trainee, entry=entry, share=True)
