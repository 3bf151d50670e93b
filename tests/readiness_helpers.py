"""A client made genuinely ready for dosing, through the real services, by the people who would do it.

Used by the care tests and the browser tests (``tests/`` is on ``sys.path`` through its conftest):

    ready = make_ready(world)        # Rowan: intake, screening, Priya's clearance, consent with touch
    withdraw_consent(world)          # the client withdraws it in the portal
    sign_consent(world, touch=False) # the client signs again, without supportive touch

Steps, each through its service:
1. therapist Theo records Rowan's date of birth, a complete intake (racemic ketamine, sublingual:
   what the sublingual KAP series gives) and the baseline PHQ-9 and C-SSRS screener;
2. Theo runs the safety screening and submits it (outcome ``no_flags``, or ``needs_prescriber_review``);
3. prescriber Priya, on Rowan's care team, clears it, attesting every flagged judgement rule;
4. Rowan signs the clinic's current KAP consent in the portal, agreeing to supportive touch with a
   scope and a stop signal, and naming trainee Toby as someone who may be present.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from kapstone.core.actor import Actor

ROLES = {"avery": "org_admin", "theo": "therapist", "tamsin": "therapist", "priya": "prescriber",
         "sam": "supervisor", "toby": "trainee", "olive": "therapist"}  # fmt: skip

# Agreed in the consent; the care tests look for these words in the dosing room.
TOUCH_SCOPE = "hand on the shoulder"
TOUCH_STOP_SIGNAL = "raises a hand"

# A complete intake on which every contraindicated and judgement rule of the default rule set is
# decided (with the baseline measures below): nothing is unknown, so the prescriber may clear it.
INTAKE: dict[str, Any] = {
    "sex_at_birth": "female",
    "pregnant": False,
    "lactating": False,
    "contraception": True,
    "bp_systolic": 122,
    "bp_diastolic": 78,
    "heart_rate": 70,
    "weight_kg": 70,
    "product": "racemic_ketamine",
    "route": "sublingual",
    "hepatic_impairment": "none",
    "allergy_ketamine": False,
    "allergy_esketamine": False,
    "medications_reviewed": True,
    "goals": "Feel less stuck; meet the grief with kindness",
    "presenting_concerns": "Treatment-resistant depression (fictional)",
    "emergency_contact_name": "Ana Fictional (sister)",
    "emergency_contact_phone": "555-0100",
}
MEDICATIONS = [{"name": "sertraline", "classes": ["antidepressant"], "dose": "100 mg daily",
                "diazepam_equivalent_mg_per_day": None}]  # fmt: skip


@dataclass(frozen=True)
class Ready:
    """What made the client ready: the rows the services stored."""

    intake: Any
    evaluation: Any
    clearance: Any
    consent: Any


def staff(world: Any, name: str) -> Actor:
    user = world.users[name]
    org = world.org_b if name == "olive" else world.org_a
    return Actor(user=user, organization=org, roles=frozenset({ROLES[name]}), source_ip="203.0.113.7")


def portal(world: Any, client_name: str = "rowan") -> Actor:
    return Actor(
        user=world.users[f"{client_name}_portal"],
        organization=world.clients[client_name].organization,
        source_ip="198.51.100.9",
    )


def record_intake(world: Any, client_name: str = "rowan", **changes: Any) -> Any:
    """Theo records the date of birth, the intake and the baseline PHQ-9 / C-SSRS screener."""
    from kapstone.clients.intake_services import IntakeAnswers, MedicationEntry, intake_save
    from kapstone.clients.models import HISTORY_FIELDS, Intake
    from kapstone.clients.services import client_update
    from kapstone.measures.services import response_submit

    theo = staff(world, "theo")
    client = world.clients[client_name]
    if client.date_of_birth is None:
        day = timezone.localdate() - dt.timedelta(days=40)  # 41 years old, far from a birthday
        client_update(theo, client, date_of_birth=day.replace(year=day.year - 41, day=min(day.day, 28)),
                      expected_version=client.version)  # fmt: skip
    stored = Intake.objects.filter(client=client).first()
    data = {**dict.fromkeys(HISTORY_FIELDS, False), **INTAKE, **changes}
    saved = intake_save(
        theo,
        client,
        answers=IntakeAnswers(**data),
        medications=[MedicationEntry(**{**m, "classes": tuple(m["classes"])}) for m in MEDICATIONS],
        expected_version=stored.version if stored else 0,
    )
    response_submit(theo, client, "phq9", {f"phq9_{i}": 1 if i < 5 else 0 for i in range(1, 10)})
    response_submit(theo, client, "cssrs_screener", {"cssrs_1": 0, "cssrs_2": 0, "cssrs_6": 0})
    return saved.intake


def submit_screening(world: Any, client_name: str = "rowan") -> Any:
    """Theo runs the screening on the recorded facts and submits it to the prescriber."""
    from kapstone.screening.services import screening_run, screening_submit

    theo = staff(world, "theo")
    evaluation = screening_run(theo, world.clients[client_name])
    assert evaluation.outcome in ("no_flags", "needs_prescriber_review"), evaluation.result
    return screening_submit(theo, evaluation, note="Intake complete; baseline measures this week.")


def clear(world: Any, evaluation: Any, **data: Any) -> Any:
    """Priya clears the submitted screening, attesting each flagged prescriber-judgement rule."""
    from kapstone.screening.services import clearance_decide, flagged_judgement_rules

    payload = {
        "decision": "cleared",
        "note": "No contraindication; BP fine. Cleared for sublingual KAP.",
        "attestations": {r["id"]: "weighed with the client" for r in flagged_judgement_rules(evaluation)},
        **data,
    }
    return clearance_decide(staff(world, "priya"), evaluation, **payload)


def sign_consent(world: Any, client_name: str = "rowan", *, touch: bool = True, in_person: bool = False,
                 **data: Any) -> Any:  # fmt: skip
    """The client signs the clinic's current KAP consent (in the portal, or in person with Theo as
    witness). Signing again replaces the open consent with the client's new choices."""
    from kapstone.clients.consent_selectors import current_template
    from kapstone.clients.consent_services import consent_sign

    client = world.clients[client_name]
    template = current_template(client.organization_id)
    payload: dict[str, Any] = {
        "understood": True,
        "signed_name": f"{client.given_name} {client.family_name}",
        "observers": True,
        "observer_names": [world.users["toby"].full_name],
        **(
            {"touch": True, "touch_scope": TOUCH_SCOPE, "touch_stop_signal": TOUCH_STOP_SIGNAL}
            if touch
            else {}
        ),
        **data,
    }
    if in_person:
        return consent_sign(staff(world, "theo"), client, **payload, channel="in_person",
                            template_key=template.key, witnessed_by=world.users["theo"])  # fmt: skip
    return consent_sign(
        portal(world, client_name), client, **payload, channel="portal", template_key=template.key
    )


def withdraw_consent(world: Any, client_name: str = "rowan") -> Any:
    """The client withdraws their open consent in the portal."""
    from kapstone.clients.consent_selectors import open_consent
    from kapstone.clients.consent_services import consent_withdraw

    consent = open_consent(world.clients[client_name])
    assert consent is not None
    return consent_withdraw(portal(world, client_name), consent, reason="Changed my mind", channel="portal")


def make_ready(world: Any, client_name: str = "rowan", *, touch: bool = True, **intake_changes: Any) -> Ready:
    """Intake, screening, clearance and consent, in that order, as the care team and client do it.
    ``intake_changes`` override the intake (e.g. ``route="intramuscular"`` for an IM course)."""
    from kapstone.screening.readiness import dosing_readiness

    intake = record_intake(world, client_name, **intake_changes)
    evaluation = submit_screening(world, client_name)
    clearance = clear(world, evaluation)
    consent = sign_consent(world, client_name, touch=touch)
    readiness = dosing_readiness(world.clients[client_name])
    assert readiness.ready, readiness.missing
    return Ready(intake, evaluation, clearance, consent)
