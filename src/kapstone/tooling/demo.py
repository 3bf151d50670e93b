"""The demo organization: obviously fictional people, for trying Kapstone and for tests.

Idempotent: running it again changes nothing that exists and prints the sign-ins.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

import pyotp
from django.db import models, transaction
from django.utils import timezone

from kapstone.accounts.models import Membership, Organization, Role, TOTPDevice, User
from kapstone.audit.services import record
from kapstone.care import services as care
from kapstone.care.models import (
    Alert,
    CareSession,
    Course,
    DosingDetail,
    PreparationDetail,
    ProtocolVersion,
    Rating,
    VitalReading,
)
from kapstone.clients.consent_selectors import current_template
from kapstone.clients.consent_services import consent_sign
from kapstone.clients.intake_services import IntakeAnswers, MedicationEntry, intake_save
from kapstone.clients.models import HISTORY_FIELDS, CareTeamMember, Client, ConsentRecord, Intake
from kapstone.clients.services import client_update
from kapstone.community.demo import demo_listings
from kapstone.core.actor import SYSTEM, Actor
from kapstone.credentials.demo import seed_certificates
from kapstone.credentials.models import Credential
from kapstone.measures.scoring import default_registry
from kapstone.measures.services import response_submit
from kapstone.notes.services import draft_create, note_sign
from kapstone.screening import services as screening
from kapstone.screening.client_facts import facts_and_sources
from kapstone.screening.models import Clearance, ScreeningEvaluation
from kapstone.screening.services import (
    clearance_decide,
    flagged_judgement_rules,
    screening_run,
    screening_submit,
)
from kapstone.training.demo import seed_training_demo

if TYPE_CHECKING:
    from kapstone.care.models import Course

DEMO_SLUG = "larkspur-demo"
# Printed on purpose: the demo is fictional, and `kapstone demo` is refused in production.
DEMO_PASSWORD = "larkspur-demo-only-2026"  # noqa: S105
DEMO_DOMAIN = "larkspur.example"  # RFC 2606: .example never reaches a real mailbox


@dataclass(frozen=True)
class DemoPerson:
    key: str
    full_name: str
    role: str


STAFF = (
    DemoPerson("admin", "Avery Admin (demo)", Role.ORG_ADMIN),
    DemoPerson("therapist", "Theo Therapist (demo)", Role.THERAPIST),
    DemoPerson("therapist2", "Tamsin Otherfield (demo)", Role.THERAPIST),
    DemoPerson("prescriber", "Priya Prescriber (demo)", Role.PRESCRIBER),
    DemoPerson("supervisor", "Sam Supervisor (demo)", Role.SUPERVISOR),
    DemoPerson("trainee", "Toby Trainee (demo)", Role.TRAINEE),
)
# Who is on a client's care team, by demo person, with their role on that team.
FULL_TEAM = {key: key for key in ("therapist", "prescriber", "trainee", "supervisor")}
# (given, family, pronouns, care team keys with their team roles)
CLIENTS = (
    ("Rowan", "Fictional", "they/them", FULL_TEAM),
    ("Sky", "Placeholder", "she/her", FULL_TEAM),
    ("Quinn", "Madeup", "he/him", {"therapist": "therapist", "prescriber": "prescriber"}),
    ("Harper", "Notreal", "she/her", {"therapist2": "therapist", "prescriber": "prescriber"}),
    ("Morgan", "Sampleton", "they/them", {"therapist2": "therapist"}),
    ("Marlowe", "Notreal", "she/her", {"therapist": "therapist", "prescriber": "prescriber"}),
)  # fmt: skip
PORTAL_CLIENT = ("client", "Rowan Fictional (demo client)")


def email_for(key: str) -> str:
    return f"{key}@{DEMO_DOMAIN}"


@dataclass(frozen=True)
class DemoSignIn:
    email: str
    role: str
    totp_secret: str | None


def load_demo() -> list[DemoSignIn]:
    with transaction.atomic():
        org, created = Organization.objects.get_or_create(
            slug=DEMO_SLUG,
            defaults={
                "name": "Larkspur Demo Clinic & Training Program",
                "kind": Organization.Kind.BOTH,
                "is_demo": True,
            },
        )
        people: dict[str, User] = {}
        sign_ins: list[DemoSignIn] = []
        for person in STAFF:
            user = User.objects.filter(email=email_for(person.key)).first()
            if user is None:
                user = User.objects.create_user(
                    email_for(person.key), DEMO_PASSWORD, full_name=person.full_name
                )
            Membership.objects.get_or_create(user=user, organization=org, role=person.role)
            device, _ = TOTPDevice.objects.get_or_create(
                user=user, defaults={"secret": pyotp.random_base32(), "confirmed_at": timezone.now()}
            )
            people[person.key] = user
            sign_ins.append(DemoSignIn(user.email, str(Role(person.role).label), device.secret))
        portal = User.objects.filter(email=email_for(PORTAL_CLIENT[0])).first()
        if portal is None:
            portal = User.objects.create_user(
                email_for(PORTAL_CLIENT[0]), DEMO_PASSWORD, full_name=PORTAL_CLIENT[1], kind=User.Kind.CLIENT
            )
        sign_ins.append(DemoSignIn(portal.email, "Client (portal)", None))
        for index, (given, family, pronouns, team) in enumerate(CLIENTS):
            client, _ = Client.objects.get_or_create(
                organization=org,
                given_name=given,
                family_name=family,
                defaults={
                    "pronouns": pronouns,
                    "email": f"{given.lower()}.{family.lower()}@{DEMO_DOMAIN}",
                    "portal_user": portal if index == 0 else None,
                },
            )
            for key, team_role in team.items():
                # A trainee's supervisor for this client is the demo supervisor when on the team.
                supervisor = people["supervisor"] if key == "trainee" and "supervisor" in team else None
                CareTeamMember.objects.get_or_create(
                    client=client, user=people[key], team_role=team_role, defaults={"supervisor": supervisor}
                )
        if created:
            record(SYSTEM, "demo.load", object_type="organization", object_id=org.pk)
            _demo_measures(org, people)
            _demo_course(org, people, portal)
            _demo_completed_course(org, people)
            # Training and community: a cohort on the default curriculum, a valid and a revoked
            # certificate, and directory listings, one of them verified by the valid certificate.
            seed_training_demo(org)
            seed_certificates(org, people, password=DEMO_PASSWORD, domain=DEMO_DOMAIN)
            held = Credential.objects.filter(organization=org, holder=people["trainee"]).first()
            demo_listings(org, owner=people["trainee"], certificate_title=held.title if held else "")
    return sign_ins


# Fictional weekly PHQ-9 and GAD-7 totals, spread over the items, the last one a week ago. Rowan's
# follow Rowan's course (issue #11): the KAP course starts four days ago and the first dose is today,
# so every score before it is the untreated baseline, moderately severe and flat; the fall comes
# after dosing, from the after-dosing questionnaires the course schedules (due now). Sky and Quinn
# have no course: Sky improves a little in ordinary therapy, Quinn not at all (every kind of trend).
# Marlowe's, dated by a completed course, are with that course below.
DEMO_TRAJECTORIES = {
    "Rowan": ((18, 13), (17, 13), (18, 12), (19, 13), (18, 13), (18, 12)),
    "Sky": ((14, 11), (14, 10), (12, 10), (11, 9), (11, 8), (10, 8)),
    "Quinn": ((9, 7), (10, 8), (9, 8), (11, 9), (10, 9), (11, 10)),
}


def _spread(total: int, item_ids: list[str]) -> dict[str, int]:
    """Answers 0-3 summing to ``total``, filled item by item; never a suicidality answer (item 9)."""
    answers = dict.fromkeys(item_ids, 0)
    remaining = total
    for item_id in item_ids:
        if item_id == "phq9_9":
            continue
        answers[item_id] = min(3, remaining)
        remaining -= answers[item_id]
    return answers


def _scored_items() -> tuple[list[str], list[str], dict[str, int]]:
    """PHQ-9 and GAD-7 scored item ids, and the PHQ-9 difficulty item (answered 1)."""

    registry = default_registry()
    phq9, gad7 = registry.get("phq9"), registry.get("gad7")
    extra = {item.id: 1 for item in phq9.items if not item.scored}
    return [i.id for i in phq9.items if i.scored], [i.id for i in gad7.items if i.scored], extra


def _submit_scores(
    actor: Actor, client: Client, phq: int, gad: int, when: datetime, *, item9: int = 0
) -> None:
    """A PHQ-9 and a GAD-7 with these totals, administered at ``when`` (the measures service's own
    path for a questionnaire filled in on paper and entered later)."""

    phq9_items, gad7_items, extra = _scored_items()
    answers = {**_spread(phq, phq9_items), **extra}
    if item9:
        answers["phq9_9"] = item9
    response_submit(actor, client, "phq9", answers, administered_at=when)
    response_submit(actor, client, "gad7", _spread(gad, gad7_items), administered_at=when)


def _demo_measures(org: Organization, people: dict[str, User]) -> None:
    therapist = Actor(user=people["therapist"], organization=org, roles=frozenset({Role.THERAPIST}),
                      request_id="demo")  # fmt: skip
    now = timezone.now()
    for client in Client.objects.filter(organization=org, given_name__in=DEMO_TRAJECTORIES):
        weeks = DEMO_TRAJECTORIES[client.given_name]
        for index, (phq, gad) in enumerate(weeks):
            when = now - timedelta(weeks=len(weeks) - index)
            # Quinn's last PHQ-9 opens a safety task, so the demo shows the care team's panel.
            item9 = 1 if client.given_name == "Quinn" and index == len(weeks) - 1 else 0
            _submit_scores(therapist, client, phq, gad, when, item9=item9)


# --- Rowan's KAP course -----------------------------------------------------------------------------
#
# Every record goes through the service a person would use, as that person: Theo records, Priya
# clears, Rowan signs in the portal, Toby (trainee) records a reading and writes a note. The services
# time-stamp most steps "now" (only measure, dose, vitals, rating and intervention times may be
# given), and a discharge is allowed only once the protocol's observation time has passed since the
# dose. So the story is set with ``_retime`` after each service stored its row:
#   * the steps before the dosing day (intake ... the second preparation) are moved to their days;
#   * the dosing session is today, in the last hours: its go (started_at) and pre-dose baseline are moved to
#     before the dose, which is recorded with its real time like every reading; the discharge, the
#     integration check-in and the notes happen "now".
# ``recorded_at`` columns and the audit log keep the time the demo was loaded: when it was entered.

DEMO_INTAKE: dict[str, Any] = {
    "sex_at_birth": "female", "pregnant": False, "lactating": False, "contraception": True,
    "bp_systolic": 122, "bp_diastolic": 78, "heart_rate": 70, "weight_kg": 70,
    "product": "racemic_ketamine", "route": "sublingual", "hepatic_impairment": "none",
    "allergy_ketamine": False, "allergy_esketamine": False, "medications_reviewed": True,
    "goals": "Feel less stuck; meet the grief with kindness (fictional)",
    "presenting_concerns": "Treatment-resistant depression after a bereavement (fictional)",
    "emergency_contact_name": "Ana Fictional (sister)", "emergency_contact_phone": "555-0100",
}  # fmt: skip
DEMO_TOUCH_SCOPE = "A hand on my shoulder or forearm, never my face"
DEMO_TOUCH_STOP = "I raise my right hand"
DEMO_PREPARATION: dict[str, Any] = {
    "intentions": "To meet the grief with kindness; to let my body rest.",
    "fears": "Losing control; feeling sick.",
    "what_if_plan": "If it gets hard, I breathe out slowly and ask Theo to remind me where I am.",
    "music": "Quiet piano, no words",
    "touch_agreement": DEMO_TOUCH_SCOPE, "touch_stop_signal": DEMO_TOUCH_STOP,
    "transport_plan": "My sister Ana drives me home and stays the evening.",
    "fasting_instructions_given": True, "medication_hold_instructions_given": True,
}  # fmt: skip
# Minutes after the dose: (who records, systolic, diastolic, heart rate, SpO2, respiratory rate).
# 184 crosses the sublingual protocol's 180 mmHg systolic alert. The protocol's schedule: the
# 40-minute reading (taken at 60, before the next is due) and a pre-discharge reading (at 120).
DEMO_VITALS = {
    15: ("therapist", 132, 84, 76, 98, 14), 30: ("therapist", 184, 98, 90, 97, 14),
    60: ("trainee", 146, 88, 80, 98, 14), 120: ("therapist", 126, 80, 72, 98, 14),
}  # fmt: skip
# Minutes after the dose: (MOAA/S, dissociation scale, score, emotional state).
DEMO_RATINGS = {25: (5, "cadss6", 12, "tearful"), 90: (5, "cadss6", 3, "peaceful")}
DEMO_INTEGRATION: dict[str, Any] = {
    "narrative": "I met the part of me that has been holding the grief. I cried, and it was all right.",
    "themes": "grief, self-compassion",
    "insights": "The numbness was protecting me.",
    "commitments": "Write to my brother this week; walk every morning.",
    "modalities": ["ifs", "act"],
    "safety_check": "No thoughts of self-harm; Ana stays tonight.",
    "measures_due": ["phq9", "gad7"],
    "next_dose_plan": "Second dosing session next week.",
    "prescriber_feedback": "Well tolerated at 150 mg; one BP peak of 184/98 settled within 5 min. "
    "Consider 200 mg.",
}
DEMO_NOTES = {
    "therapist": {
        "data": "Dosing session 1 (sublingual RDT 150 mg; see the session record). Tearful at 25 min, "
        "held with supportive touch as agreed. BP peak 184/98 at 30 min, 168/92 on recheck.",
        "assessment": "Well tolerated; emotionally open; no risk indicators. The grief work is moving.",
        "plan": "Integration check-in done today; PHQ-9 and GAD-7 due; second dosing session next week.",
    },
    "trainee": {
        "data": "Observed dosing session 1 as trainee; recorded the 60-minute vitals (146/88, HR 80).",
        "assessment": "Settled after the BP peak; calm and engaged in the integration check-in.",
        "plan": "Bring to supervision with Sam: the pacing of supportive touch.",
    },
}


def _staff_actor(org: Organization, people: dict[str, User], key: str) -> Actor:
    role = {person.key: person.role for person in STAFF}[key]
    return Actor(user=people[key], organization=org, roles=frozenset({role}), request_id="demo")


def _story_day(now: datetime, days_ago: int, hour: int, minute: int = 0) -> datetime:
    """``days_ago`` days before ``now`` at this local time of day."""
    moment = timezone.localtime(now - timedelta(days=days_ago))
    return moment.replace(hour=hour, minute=minute, second=0, microsecond=0)


def _retime(model: type[models.Model], pk: int, **times: datetime) -> None:
    """Set one stored row's clinical times (the story's), after its service wrote it 'now'."""
    model._default_manager.filter(pk=pk).update(**times)


def _go(dose_at: datetime, food_at: datetime, *, weight_kg: int, **vitals: int) -> care.PreDoseChecks:
    """The story's pre-dose checklist: fasted, reviewed, attested, calm; the given vitals."""
    return care.PreDoseChecks(
        planned_dose_at=dose_at,
        last_food_at=food_at,
        last_liquid_at=dose_at - timedelta(hours=3),
        vitals=care.vitals_from({**vitals, "spo2": 98, "respiratory_rate": 14}),
        moaas=5,
        medications_reviewed=True,
        attested=frozenset({"escort_present"}),
        mood_result="no_risk",
        weight_kg=weight_kg,
        current_state=dict.fromkeys(care.CURRENT_STATE_FIELDS, False),
    )


def _discharged(course: Course, left_with: str) -> care.DischargeSummary:
    """Every item of the protocol's discharge checklist met; after-care given."""
    items = frozenset(item.id for item in care.protocol_of(course).discharge.items)
    return care.DischargeSummary(items_done=items, left_with=left_with, aftercare_given=True)


def _demo_course(org: Organization, people: dict[str, User], portal: User) -> None:
    """Rowan, ready for dosing and one dosing session into a sublingual KAP course (see above)."""

    act = partial(_staff_actor, org, people)
    theo = act("therapist")
    rowan = Client.objects.get(organization=org, given_name="Rowan", family_name="Fictional")
    now = timezone.now()
    day = partial(_story_day, now)

    rowan_portal = Actor(user=portal, organization=org, request_id="demo")
    _demo_ready(
        org, rowan, theo, act("prescriber"), rowan_portal, day, DEMO_INTAKE, trainee=people["trainee"]
    )

    # Four days ago Theo starts the course and books two preparation sessions: that day and two days ago.
    care.protocols_install_shipped(act("admin"), org)
    protocol = ProtocolVersion.objects.get(organization=org, protocol_id="sublingual_kap_series")
    course = care.course_start(
        theo,
        rowan,
        protocol,
        indication="Treatment-resistant depression (fictional)",
        goals=str(DEMO_INTAKE["goals"]),
        prescriber=people["prescriber"],
    )
    _retime(Course, course.pk, started_at=day(4, 9, 30))
    for days_ago, topics in ((4, ["effects", "risks", "set_setting"]), (2, ["session_flow", "after"])):
        prep = care.session_schedule(theo, course, CareSession.Kind.PREPARATION, day(days_ago, 10))
        prepared = care.PreparationInput(**{**DEMO_PREPARATION, "psychoeducation": topics})
        care.preparation_record(theo, prep, entry=prepared, expected_version=prep.version, complete=True)
        start, end = day(days_ago, 10), day(days_ago, 10, 50)
        _retime(CareSession, prep.pk, created_at=day(4, 9, 35), started_at=start, ended_at=end)
        _retime(PreparationDetail, prep.preparation.pk, updated_at=end)

    # The first dosing session, today: the go 140 minutes ago, the dose 135 minutes ago.
    go_at, dose_at = now - timedelta(minutes=140), now - timedelta(minutes=135)
    dosing = care.session_schedule(theo, course, CareSession.Kind.DOSING, now - timedelta(minutes=150))
    go = care.dosing_start(theo, dosing, checks=_go(dose_at, dose_at - timedelta(hours=7), weight_kg=70,
        systolic=124, diastolic=78, heart_rate=72), expected_version=dosing.version)  # fmt: skip
    assert go.started, go.result.rationale
    _retime(CareSession, dosing.pk, created_at=day(2, 11), started_at=go_at)
    VitalReading.objects.filter(session=dosing).update(taken_at=go_at)  # the pre-dose baseline
    Rating.objects.filter(session=dosing).update(taken_at=go_at)
    detail = DosingDetail.objects.get(session=dosing)  # as dosing_start stored it
    detail.readiness["checked_at"] = go_at.isoformat()  # readiness is checked at the go
    detail.save(update_fields=["readiness"])
    dosing.refresh_from_db()
    care.dose_record(theo, dosing, amount_mg=150, unit="mg", route="sublingual", tier="psycholytic",
                     given_at=dose_at, lot="DEMO-RDT-0001", idempotency_key="demo-dose-1")  # fmt: skip
    for minutes, (who, sbp, dbp, hr, spo2, rr) in DEMO_VITALS.items():
        taken = dose_at + timedelta(minutes=minutes)
        values = {"systolic": sbp, "diastolic": dbp, "heart_rate": hr, "spo2": spo2, "respiratory_rate": rr}
        reading, key = care.vitals_from(values), f"demo-vitals-{minutes}"
        _, alerts, _ = care.vitals_record(
            actor=act(who), session=dosing, reading=reading, taken_at=taken, idempotency_key=key
        )
        for alert in alerts:
            action = "Rechecked at 5 min: 168/92. Priya (prescriber) informed; BP every 5 min until < 160."
            care.alert_acknowledge(theo, alert, action)
            _retime(Alert, alert.pk, raised_at=taken, acknowledged_at=taken + timedelta(minutes=5))
    for minutes, (moaas, scale, score, state) in DEMO_RATINGS.items():
        care.rating_record(theo, dosing, moaas=moaas, dissociation_scale=scale, dissociation_score=score,
                           emotional_state=state, taken_at=dose_at + timedelta(minutes=minutes),
                           idempotency_key=f"demo-rating-{minutes}")  # fmt: skip
    care.intervention_record(theo, dosing, kind="supportive_touch", at=dose_at + timedelta(minutes=27),
                             description="Hand on the right shoulder while tearful, as agreed.",
                             idempotency_key="demo-touch-1")  # fmt: skip
    dosing.refresh_from_db()
    care.discharge(theo, dosing, summary=_discharged(course, "Ana Fictional (sister)"),
                   expected_version=dosing.version)  # fmt: skip

    # A short integration check-in at the clinic before Rowan goes home with Ana (the protocol asks
    # for one within 72 h); then the notes: Theo's, signed, and trainee Toby's, awaiting Sam's co-sign.
    integration = care.session_schedule(
        theo, course, CareSession.Kind.INTEGRATION, timezone.now(), follows=dosing
    )
    care.session_start(theo, integration)
    entry, version = care.IntegrationInput(**DEMO_INTEGRATION), integration.version
    care.integration_record(theo, integration, entry=entry, expected_version=version, complete=True)
    for key in ("therapist", "trainee"):
        note = draft_create(act(key), rowan, "dap", session=dosing, sections=DEMO_NOTES[key])
        note_sign(act(key), note, expected_version=note.version)


def _demo_ready(
    org: Organization,
    rowan: Client,
    theo: Actor,
    priya: Actor,
    signer: Actor,
    day: Callable[..., datetime],
    intake_answers: dict[str, Any],
    *,
    trainee: User,
) -> None:
    """Six days ago (on ``day``'s calendar) Theo records the client's intake and a C-SSRS screener and
    sends the safety screening to Priya (last week's PHQ-9 is the latest); she clears it the next day,
    and that evening the client signs the KAP consent (in the portal when ``signer`` is the client's
    portal account, else in person before Theo), agreeing to supportive touch and naming trainee Toby
    as present."""

    birthday = timezone.localdate() - timedelta(days=60)  # 41, and no birthday since the screening
    born = birthday.replace(year=birthday.year - 41, day=min(birthday.day, 28))
    client_update(theo, rowan, date_of_birth=born, expected_version=rowan.version)
    medication = MedicationEntry(name="sertraline", classes=("antidepressant",), dose="100 mg daily")
    answers = IntakeAnswers(**{**dict.fromkeys(HISTORY_FIELDS, False), **intake_answers})
    intake = intake_save(theo, rowan, answers=answers, medications=[medication], expected_version=0).intake
    _retime(Intake, intake.pk, created_at=day(6, 10), updated_at=day(6, 10, 25))
    cssrs = {"cssrs_1": 0, "cssrs_2": 0, "cssrs_6": 0}
    response_submit(theo, rowan, "cssrs_screener", cssrs, administered_at=day(6, 10, 30))
    evaluation = screening_submit(
        theo, screening_run(theo, rowan), note="Intake complete; PHQ-9 last week, C-SSRS today."
    )
    _retime(ScreeningEvaluation, evaluation.pk, created_at=day(6, 10, 40), submitted_at=day(6, 10, 45))
    attested = {
        rule["id"]: f"Weighed with {rowan.given_name}." for rule in flagged_judgement_rules(evaluation)
    }
    clearance = clearance_decide(
        priya,
        evaluation,
        decision="cleared",
        note="No contraindication; resting BP fine. Cleared for sublingual KAP.",
        attestations=attested,
    )
    decided = day(5, 13, 15)
    expires = decided + timedelta(days=clearance.valid_days or 0)
    _retime(Clearance, clearance.pk, decided_at=decided, expires_at=expires)
    template = current_template(org.pk).key
    portal = signer.user is not None and signer.user.pk == rowan.portal_user_id
    channel, witness = ("portal", None) if portal else ("in_person", theo.user)
    signed = consent_sign(signer, rowan, channel=channel, template_key=template, witnessed_by=witness,
                          understood=True, signed_name=f"{rowan.given_name} {rowan.family_name}",
                          touch=True, touch_scope=DEMO_TOUCH_SCOPE, touch_stop_signal=DEMO_TOUCH_STOP,
                          observers=True, observer_names=[trainee.full_name])  # fmt: skip
    _retime(ConsentRecord, signed.pk, signed_at=day(5, 19, 5))


# --- Marlowe's completed course ---------------------------------------------------------------------
#
# What KAP outcome monitoring looks like after a course: a flat, moderately severe weekly PHQ-9 and
# GAD-7 baseline, six sublingual dosing sessions at least the protocol's 72 h apart (40 to 12 days
# ago), each with an integration session the next day, and the fall after dosing. Every step goes
# through its service as it happened: the care services' clock (``care.services._common.clock``) is
# set to the story's moment (``_StoryClock``), so the go, dose, readings, discharge (2 h observed, a
# reading in the last 30 min) and integration are checked at the times they carry; the screening
# reads its facts as of its day. Other rows are ``_retime``d as for Rowan (audit log: loading time).

# (days ago, PHQ-9, GAD-7), at 09:00: four weeks of baseline, then weekly after dosing starts.
COMPLETED_SCORES = (
    (63, 18, 14), (56, 19, 15), (49, 18, 14), (42, 18, 14),
    (35, 15, 12), (28, 12, 10), (21, 10, 8), (14, 8, 7), (7, 7, 6),
)  # fmt: skip
# (days ago, mg): 150 mg twice, then 200 mg, all in the psycholytic tier; the go at 10:00.
COMPLETED_DOSES = ((40, 150), (36, 150), (32, 200), (26, 200), (19, 200), (12, 200))
# Minutes after the dose: systolic, diastolic, heart rate, SpO2, respiratory rate.
COMPLETED_VITALS = {20: (128, 80, 74, 98, 14), 40: (138, 86, 78, 98, 14), 80: (130, 82, 74, 98, 14),
                    120: (122, 78, 70, 99, 14)}  # fmt: skip
COMPLETED_INTAKE = {
    **DEMO_INTAKE,
    "weight_kg": 64, "goals": "Get up in the morning without dread; return to painting (fictional)",
    "presenting_concerns": "Recurrent depression, two antidepressants tried (fictional)",
    "emergency_contact_name": "Jun Notreal (partner)", "emergency_contact_phone": "555-0101",
}  # fmt: skip
COMPLETED_ESCORT = "Jun Notreal (partner)"


@dataclass
class _StoryClock:
    """The care services' clock while the demo enters a past course: the story's current moment."""

    at: datetime

    def __call__(self) -> datetime:
        return self.at


def _demo_completed_course(org: Organization, people: dict[str, User]) -> None:
    """Marlowe: intake, clearance and consent seven weeks ago, a completed six-dose sublingual course."""
    from unittest import mock

    act = partial(_staff_actor, org, people)
    theo, marlowe = act("therapist"), Client.objects.get(organization=org, given_name="Marlowe")
    now = timezone.now()
    day = partial(_story_day, now)
    for days_ago, phq, gad in COMPLETED_SCORES:
        _submit_scores(theo, marlowe, phq, gad, day(days_ago, 9))
    # Intake 50 days ago, cleared 49 days ago, consent signed in person that evening: _demo_ready's
    # calendar, which counts from six days ago, moved 44 days back.
    ready_day = partial(_story_day, now - timedelta(days=44))
    # The screening reads the client's measure facts as of its own moment (seven weeks ago, not now).
    screened = partial(facts_and_sources, at=ready_day(6, 10, 40))
    with mock.patch.object(screening, "facts_and_sources", screened):
        prescriber, trainee = act("prescriber"), people["trainee"]
        _demo_ready(org, marlowe, theo, prescriber, theo, ready_day, COMPLETED_INTAKE, trainee=trainee)
    protocol = ProtocolVersion.objects.get(organization=org, protocol_id="sublingual_kap_series")
    clock = _StoryClock(day(47, 9, 30))
    with mock.patch("kapstone.care.services._common.clock", clock):
        indication, goals = "Recurrent depression (fictional)", str(COMPLETED_INTAKE["goals"])
        course = care.course_start(theo, marlowe, protocol, indication=indication, goals=goals,
                                   prescriber=people["prescriber"])  # fmt: skip
        _retime(Course, course.pk, started_at=clock.at)
        for days_ago, topics in ((47, ["effects", "risks", "set_setting"]), (44, ["session_flow", "after"])):
            prep = care.session_schedule(theo, course, "preparation", day(days_ago, 10))
            data = {**DEMO_PREPARATION, "psychoeducation": topics,
                    "transport_plan": f"{COMPLETED_ESCORT} drives me home."}  # fmt: skip
            clock.at = day(days_ago, 10)
            care.session_start(theo, prep)
            clock.at = day(days_ago, 10, 50)
            care.preparation_record(theo, prep, entry=care.PreparationInput(**data),
                                    expected_version=prep.version, complete=True)  # fmt: skip
        for number, (days_ago, mg) in enumerate(COMPLETED_DOSES, start=1):
            _past_dosing(theo, course, clock, day(days_ago, 10), number=number, mg=mg)
        clock.at = day(COMPLETED_DOSES[-1][0] - 1, 16)
        end = "Six dosing sessions completed; PHQ-9 from 18 at baseline to 8 (fictional)."
        care.course_update(theo, course, status="completed", end_reason=end, expected_version=course.version)


def _past_dosing(
    theo: Actor, course: Course, clock: _StoryClock, go_at: datetime, *, number: int, mg: int
) -> None:
    """One dosing session of Marlowe's course, from the go to the discharge, and the next day's
    integration session, each step at its own time (run with ``clock`` as the care services' clock)."""

    dose_at = go_at + timedelta(minutes=5)
    dosing = care.session_schedule(theo, course, CareSession.Kind.DOSING, go_at)
    clock.at = go_at
    go = care.dosing_start(theo, dosing, checks=_go(dose_at, dose_at - timedelta(hours=6), weight_kg=64,
        systolic=120, diastolic=76, heart_rate=70), expected_version=dosing.version)  # fmt: skip
    assert go.started, go.result.rationale
    clock.at = dose_at
    care.dose_record(theo, dosing, amount_mg=mg, unit="mg", route="sublingual", tier="psycholytic",
                     given_at=dose_at, lot=f"DEMO-RDT-10{number:02d}",
                     idempotency_key=f"demo-marlowe-dose-{number}")  # fmt: skip
    for minutes, (sbp, dbp, hr, spo2, rr) in COMPLETED_VITALS.items():
        clock.at = dose_at + timedelta(minutes=minutes)
        values = {"systolic": sbp, "diastolic": dbp, "heart_rate": hr, "spo2": spo2, "respiratory_rate": rr}
        care.vitals_record(actor=theo, session=dosing, reading=care.vitals_from(values), taken_at=clock.at,
                           idempotency_key=f"demo-marlowe-vitals-{number}-{minutes}")  # fmt: skip
    clock.at = dose_at + timedelta(minutes=130)
    care.discharge(
        theo, dosing, summary=_discharged(course, COMPLETED_ESCORT), expected_version=dosing.version
    )
    clock.at = go_at + timedelta(days=1, hours=5)
    integration = care.session_schedule(theo, course, CareSession.Kind.INTEGRATION, clock.at, follows=dosing)
    care.session_start(theo, integration)
    clock.at += timedelta(minutes=50)
    last, version = number == len(COMPLETED_DOSES), integration.version
    entry = care.IntegrationInput(
        narrative=f"Dosing session {number}: I could look at the dread without being it (fictional).",
        themes="dread, creativity", insights="The mornings are a habit, not a verdict.",
        commitments="Paint for ten minutes before breakfast.", modalities=["act"],
        safety_check="No thoughts of self-harm; Jun is home tonight.", measures_due=["phq9", "gad7"],
        next_dose_plan="Course complete: monthly check-ins." if last else "Next dosing session as booked.",
        prescriber_feedback=f"{mg} mg well tolerated; vitals within range throughout.",
    )  # fmt: skip
    care.integration_record(theo, integration, entry=entry, expected_version=version, complete=True)


def current_code(email: str) -> str | None:
    """The current TOTP code of a demo staff account (demo organization only), for trying the demo."""
    device = TOTPDevice.objects.filter(
        user__email=email.lower(), user__memberships__organization__slug=DEMO_SLUG
    ).first()
    return pyotp.TOTP(device.secret).now() if device else None
