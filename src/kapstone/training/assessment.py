"""Competency assessment: the supervisor rates their trainee with evidence; a second rater the
program lead names rates the same evidence, for calibration (Cohen's κ per competency on the lead's
cohort page). The trainee's level is the supervisor's ratings only; a second rating is marked so.

Anyone else gets the same 404 as a missing enrolment, and the denial is audited.
"""

from __future__ import annotations

from kapstone.accounts.models import Membership, Role, User
from kapstone.audit.services import record
from kapstone.core.actor import Actor
from kapstone.core.contract import Refused
from kapstone.core.models import create_once
from kapstone.notes.models import ProgressNote
from kapstone.training.guard import Denied, atomic_service
from kapstone.training.models import CompetencyAssessment, Enrollment
from kapstone.training.selectors import framework_of, oid, uid


@atomic_service
def second_rater_set(actor: Actor, *, enrollment: Enrollment, rater: User | None) -> Enrollment:
    """The program lead names (or, with ``None``, removes) the enrolment's second rater: another
    supervisor of the cohort's organization than the trainee's own supervisor."""
    if not actor.has_role(Role.ORG_ADMIN) or enrollment.cohort.organization_id != oid(actor):
        raise Denied(actor, "training.lead", object_type="training_enrollment", object_id=enrollment.pk)
    locked = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    if rater is not None:
        is_supervisor = Membership.objects.filter(
            user=rater, organization_id=locked.cohort.organization_id, role=Role.SUPERVISOR, is_active=True
        ).exists()
        if not is_supervisor:
            raise Refused("The second rater must be a supervisor of this organization.", field="rater")
        if rater.pk in (locked.supervisor_id, locked.trainee_id):
            raise Refused(
                "The second rater must be someone other than the trainee and their supervisor.",
                field="rater",
            )
    before = locked.second_rater_id
    locked.second_rater = rater
    locked.save(update_fields=["second_rater"])
    enrollment.second_rater = rater
    record(
        actor,
        "training.lead",
        object_type="training_enrollment",
        object_id=locked.pk,
        detail={"event": "second_rater", "from": before, "to": rater.pk if rater else None},
    )
    return locked


def _evidence_of(enrollment: Enrollment, same_as: int | None) -> CompetencyAssessment:
    """The supervisor's assessment whose evidence (and competency) a second rater rates."""
    row = (
        CompetencyAssessment.objects.filter(enrollment=enrollment, second_rating=False, pk=same_as).first()
        if same_as
        else None
    )
    if row is None:
        raise Refused("Choose an assessment of the supervisor's whose evidence you rate.", field="same_as")
    return row


@atomic_service
def assessment_record(
    actor: Actor,
    *,
    enrollment: Enrollment,
    level: int,
    competency_id: str = "",
    evidence_kind: str = "",
    evidence_ref: str = "",
    same_as: int | None = None,
    note: str = "",
    key: str = "",
) -> CompetencyAssessment:
    """Rate the trainee on one competency, with the evidence a second rater could look at.

    The supervisor names the competency and evidence. The second rater names ``same_as``, one of the
    supervisor's assessments of this enrolment, and rates its competency on its evidence; their row
    is a second rating, which never sets the trainee's level.
    """
    user_id = uid(actor)
    is_second = enrollment.second_rater_id == user_id and enrollment.supervisor_id != user_id
    if not actor.has_role(Role.SUPERVISOR) or not (enrollment.supervisor_id == user_id or is_second):
        raise Denied(actor, "training.assess", object_type="training_enrollment", object_id=enrollment.pk)
    if is_second:
        first = _evidence_of(enrollment, same_as)
        competency_id, evidence_kind = first.competency_id, first.evidence_kind
        evidence_ref = first.evidence_ref
    framework = framework_of(enrollment.version)
    if competency_id not in framework.ids:
        raise Refused("Choose a competency of the program's framework.", field="competency_id")
    try:
        framework.check_level(level)
    except ValueError as exc:
        raise Refused(f"The level {exc}.".replace("The level level", "The level"), field="level") from exc
    if evidence_kind not in CompetencyAssessment.Evidence.values:
        raise Refused("Choose the kind of evidence.", field="evidence_kind")
    evidence_ref = evidence_ref.strip()
    if not evidence_ref or len(evidence_ref) > 200:
        raise Refused(
            "Say what the evidence is (up to 200 characters), so a second rater can find it.",
            field="evidence_ref",
        )
    if evidence_kind == CompetencyAssessment.Evidence.COSIGNED_SESSION and not is_second:
        evidence_ref = _cosigned_note_ref(enrollment, evidence_ref)

    def make() -> CompetencyAssessment:
        return CompetencyAssessment.objects.create(
            enrollment=enrollment,
            framework_id=framework.id,
            framework_version=framework.version,
            competency_id=competency_id,
            level=level,
            evidence_kind=evidence_kind,
            evidence_ref=evidence_ref,
            note=note.strip()[:5000],
            assessor_id=user_id,
            second_rating=is_second,
            idempotency_key=key,
        )

    row, created = create_once(CompetencyAssessment, key=key, owner={"assessor": actor.user}, make=make)
    if created:
        record(
            actor,
            "training.assess",
            object_type="competency_assessment",
            object_id=row.pk,
            detail={
                "competency": competency_id,
                "level": level,
                "evidence": evidence_kind,
                "second_rating": is_second,
            },  # fmt: skip
        )
    return row


def _cosigned_note_ref(enrollment: Enrollment, ref: str) -> str:
    """A co-signed session is named by its note number; stored de-identified (no client name)."""

    number = ref.lstrip("#").strip()
    note = ProgressNote.objects.filter(
        pk=int(number) if number.isdigit() else -1, author=enrollment.trainee, cosigned_by__isnull=False
    ).first()
    if note is None or note.cosigned_at is None:
        raise Refused(
            "Give the number of a session note of this trainee that has been co-signed.", field="evidence_ref"
        )
    return f"Co-signed note #{note.pk} ({note.cosigned_at:%Y-%m-%d})"
