"""Intake and care-preference writes: one transaction each, audited inside it, stale edits refused.

When an intake change alters the screening facts, every open clearance and undecided screening of
the client is superseded in the same transaction: medical clearance is re-required. What the facts
are, and what superseding means, screening says through ``kapstone.clients.hooks.intake_facts``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from kapstone.access.policy import Scope, scope_for
from kapstone.access.scoping import deny
from kapstone.audit.services import record
from kapstone.clients.hooks import intake_facts
from kapstone.clients.models import CarePreferences, Client, Intake, IntakeMedication
from kapstone.core.actor import Actor
from kapstone.core.contract import Stale

# Every Intake field a form may write (not the bookkeeping ones).
INTAKE_FIELDS: tuple[str, ...] = tuple(
    f.name
    for f in Intake._meta.concrete_fields
    if f.name not in {"id", "client", "version", "created_at", "updated_at", "updated_by"}
)
PREFERENCE_FIELDS = ("music", "touch_preference", "people_present", "staff_gender_preference", "other")


def _intake_stale(current: Intake, submitted: int) -> Stale:
    """Someone saved the intake since the editor opened it; nothing was written. ``current`` is the
    stored intake (its medications with it)."""
    return Stale(
        current_version=current.version,
        submitted_version=submitted,
        current=current,
        message="This intake was changed by someone else since you opened it.",
    )


def _preferences_stale(current: CarePreferences, submitted: int) -> Stale:
    return Stale(
        current_version=current.version,
        submitted_version=submitted,
        current=current,
        message="These choices were changed since you opened them.",
    )


@dataclass(frozen=True)
class IntakeSaved:
    intake: Intake
    facts_changed: list[str]
    superseded_clearances: int
    superseded_screenings: int


@dataclass(frozen=True)
class IntakeAnswers:
    """The whole intake as the editor saves it, typed; one attribute per ``INTAKE_FIELDS`` name.
    Blank text, ``None`` (not known yet) and no weight are the defaults."""

    sex_at_birth: str = ""
    gender_identity: str = ""
    preferred_language: str = ""
    address: str = ""
    emergency_contact_name: str = ""
    emergency_contact_relationship: str = ""
    emergency_contact_phone: str = ""
    support_person_name: str = ""
    support_person_relationship: str = ""
    support_person_phone: str = ""
    existing_therapist: str = ""
    referral_source: str = ""
    presenting_concerns: str = ""
    goals: str = ""
    diagnosis: str = ""
    psychosis: bool | None = None
    schizophrenia_spectrum: bool | None = None
    mania: bool | None = None
    current_psychotic_symptoms: bool | None = None
    current_manic_symptoms: bool | None = None
    family_history_psychosis: bool | None = None
    substance_use_disorder: bool | None = None
    ketamine_misuse: bool | None = None
    substance_use_notes: str = ""
    prior_psychedelic_use: bool | None = None
    prior_psychedelic_notes: str = ""
    psychiatric_notes: str = ""
    cardiovascular_disease: bool | None = None
    aneurysmal_vascular_disease: bool | None = None
    arteriovenous_malformation: bool | None = None
    intracerebral_hemorrhage: bool | None = None
    cerebrovascular_event: bool | None = None
    hypertensive_encephalopathy: bool | None = None
    raised_intracranial_pressure: bool | None = None
    raised_intraocular_pressure: bool | None = None
    open_eye_injury: bool | None = None
    seizure: bool | None = None
    sleep_apnoea: bool | None = None
    cystitis_or_urological_symptoms: bool | None = None
    uncontrolled_hyperthyroidism: bool | None = None
    traumatic_brain_injury: bool | None = None
    neurocognitive_disorder: bool | None = None
    hepatic_impairment: str = ""
    medical_notes: str = ""
    pregnant: bool | None = None
    lactating: bool | None = None
    contraception: bool | None = None
    allergy_ketamine: bool | None = None
    allergy_esketamine: bool | None = None
    other_allergies: str = ""
    medications_reviewed: bool = False
    bp_systolic: int | None = None
    bp_diastolic: int | None = None
    heart_rate: int | None = None
    weight_kg: Decimal | float | None = None
    vitals_taken_at: datetime | None = None
    product: str = ""
    route: str = ""


@dataclass(frozen=True)
class MedicationEntry:
    """One row of the intake's medication list. ``classes`` are screening's medication classes."""

    name: str
    classes: tuple[str, ...] = ()
    dose: str = ""
    diazepam_equivalent_mg_per_day: Decimal | float | None = None


def _check_medications(medications: Sequence[MedicationEntry]) -> None:
    errors: list[str] = []
    for i, med in enumerate(medications, start=1):
        name = med.name.strip()
        classes = list(med.classes)
        label = name or f"medication {i}"
        if not name:
            errors.append(f"Medication {i}: enter its name.")
        if not classes:
            errors.append(f"{label}: choose at least one class (use 'other' when none fits).")
        unknown = [c for c in classes if c not in intake_facts().medication_classes]
        if unknown:
            errors.append(f"{label}: unknown class {', '.join(unknown)}.")
        dose = med.diazepam_equivalent_mg_per_day
        if dose is not None and "benzodiazepine" not in classes:
            errors.append(f"{label}: a diazepam-equivalent dose is only for a benzodiazepine.")
        if dose is not None and dose < 0:
            errors.append(f"{label}: the diazepam-equivalent dose cannot be negative.")
    if errors:
        raise ValidationError({"medications": errors})


def _intake_facts(doc: Mapping[str, object]) -> dict[str, object]:
    return {k: v for k, v in doc.items() if k != "age_years"}


def intake_save(
    actor: Actor,
    client: Client,
    *,
    answers: IntakeAnswers,
    medications: Sequence[MedicationEntry],
    expected_version: int,
) -> IntakeSaved:
    """Write the intake read at ``expected_version`` (0 = none yet) and its medication list."""
    if scope_for(actor, "intake.edit") is Scope.NONE:
        raise deny(actor, "intake.edit", object_type="intake", client_id=client.pk)
    stored = Intake.objects.filter(client=client).first()
    if (stored.version if stored else 0) != expected_version:
        assert stored is not None
        raise _intake_stale(stored, expected_version)
    facts = intake_facts()
    before = _intake_facts(facts.document(stored, client)) if stored else {}
    candidate = Intake.objects.get(pk=stored.pk) if stored else Intake(client=client)
    for name in INTAKE_FIELDS:
        setattr(candidate, name, getattr(answers, name))
    # Screening reads a medication list as mappings (stored rows and entries alike).
    meds = [{**asdict(m), "classes": list(m.classes)} for m in medications]
    errors: dict[str, list[str]] = {}
    checks: tuple[Callable[[], object], ...] = (
        candidate.clean_fields,
        lambda: _check_medications(medications),
        lambda: facts.validate(candidate, meds),
    )
    for check in checks:
        try:
            check()
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, []).extend(m for m in messages if m not in errors.get(field, []))
    if errors:
        raise ValidationError(errors)
    after = _intake_facts(facts.document(candidate, client, medications=meds))
    changed = facts.changed(before, after)
    now = timezone.now()
    try:
        with transaction.atomic():
            values = {name: getattr(candidate, name) for name in INTAKE_FIELDS}
            if stored is None:
                intake = Intake.objects.create(
                    client=client, version=1, created_at=now, updated_at=now, updated_by=actor.user, **values
                )
            else:
                updated = Intake.objects.filter(pk=stored.pk, version=expected_version).update(
                    version=expected_version + 1, updated_at=now, updated_by=actor.user, **values
                )
                if not updated:
                    raise _intake_stale(Intake.objects.get(pk=stored.pk), expected_version)
                intake = Intake.objects.get(pk=stored.pk)
                intake.medications.all().delete()
            IntakeMedication.objects.bulk_create(
                IntakeMedication(
                    intake=intake,
                    position=i,
                    name=m["name"],
                    classes=list(m["classes"]),
                    dose=m["dose"],
                    diazepam_equivalent_mg_per_day=m["diazepam_equivalent_mg_per_day"],
                )
                for i, m in enumerate(meds)
            )
            clearances, screenings = (0, 0)
            if changed:
                clearances, screenings = facts.supersede(actor, client, changed)
            record(
                actor,
                "intake.edit",
                object_type="intake",
                object_id=intake.pk,
                client_id=client.pk,
                detail={"version": intake.version, "facts_changed": changed, "medications": len(meds)},
            )
    except IntegrityError as exc:  # two first saves at once: the other one won
        current = Intake.objects.filter(client=client).first()
        if current is None:
            raise
        raise _intake_stale(current, expected_version) from exc
    return IntakeSaved(intake, changed, clearances, screenings)


@dataclass(frozen=True)
class CareChoices:
    """The client's choices for their sessions (free text each; blank: no preference given)."""

    music: str = ""
    touch_preference: str = ""
    people_present: str = ""
    staff_gender_preference: str = ""
    other: str = ""


def preferences_save(
    actor: Actor, client: Client, *, choices: CareChoices, expected_version: int, via: str
) -> CarePreferences:
    """The client's choices for their sessions; written by staff (intake.edit) or the client (portal)."""
    if via == "portal":
        if actor.user is None or client.portal_user_id != actor.user.pk:
            raise deny(actor, "preferences.edit", object_type="preferences", client_id=client.pk)
    elif scope_for(actor, "intake.edit") is Scope.NONE:
        raise deny(actor, "intake.edit", object_type="preferences", client_id=client.pk)
    stored = CarePreferences.objects.filter(client=client).first()
    if (stored.version if stored else 0) != expected_version:
        assert stored is not None
        raise _preferences_stale(stored, expected_version)
    values = {k: str(getattr(choices, k) or "").strip() for k in PREFERENCE_FIELDS}
    candidate = CarePreferences(client=client, **values)
    candidate.full_clean(exclude=["client", "updated_by"], validate_unique=False)
    now = timezone.now()
    with transaction.atomic():
        if stored is None:
            try:
                prefs = CarePreferences.objects.create(
                    client=client, version=1, updated_at=now, updated_by=actor.user, updated_via=via, **values
                )
            except IntegrityError as exc:
                raise _preferences_stale(
                    CarePreferences.objects.get(client=client), expected_version
                ) from exc
        else:
            if not CarePreferences.objects.filter(pk=stored.pk, version=expected_version).update(
                version=expected_version + 1, updated_at=now, updated_by=actor.user, updated_via=via, **values
            ):
                raise _preferences_stale(CarePreferences.objects.get(pk=stored.pk), expected_version)
            prefs = CarePreferences.objects.get(pk=stored.pk)
        changed = sorted(k for k in PREFERENCE_FIELDS if stored is None or getattr(stored, k) != values[k])
        record(
            actor,
            "preferences.edit",
            object_type="preferences",
            object_id=prefs.pk,
            client_id=client.pk,
            detail={"fields": changed, "via": via},
        )
    return prefs
