"""Helpers for the intake / screening / clearance / consent tests: actors, a complete intake and
measure results, run through the real services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from kapstone.clients.models import HISTORY_FIELDS
from kapstone.core.actor import Actor

ROLES = {
    "avery": "org_admin",
    "theo": "therapist",
    "tamsin": "therapist",
    "priya": "prescriber",
    "sam": "supervisor",
    "toby": "trainee",
    "olive": "therapist",
}

# A complete intake on which every contraindicated and judgement rule of the default rule set is
# decided and clear (with PHQ-9 item 9 = 0 and C-SSRS "none" from measures).
COMPLETE: dict[str, Any] = {
    "sex_at_birth": "female",
    "pregnant": False,
    "lactating": False,
    "contraception": True,
    "bp_systolic": 120,
    "bp_diastolic": 78,
    "heart_rate": 70,
    "weight_kg": 68.5,
    "product": "esketamine",
    "route": "intranasal",
    "hepatic_impairment": "none",
    "allergy_ketamine": False,
    "allergy_esketamine": False,
    "medications_reviewed": True,
    "goals": "Feel less stuck",
    "presenting_concerns": "Treatment-resistant depression",
    "emergency_contact_name": "Sky Fictional",
    "emergency_contact_phone": "555-0100",
    **dict.fromkeys(HISTORY_FIELDS, False),
}
SERTRALINE = {
    "name": "sertraline",
    "classes": ["antidepressant"],
    "dose": "100 mg daily",
    "diazepam_equivalent_mg_per_day": None,
}


def actor(world: Any, name: str, org: Any = None) -> Actor:
    org = org or (world.org_b if name == "olive" else world.org_a)
    return Actor(
        user=world.users[name], organization=org, roles=frozenset({ROLES[name]}), source_ip="203.0.113.7"
    )


def portal_actor(world: Any, client_name: str = "rowan") -> Actor:
    return Actor(
        user=world.users[f"{client_name}_portal"],
        organization=world.clients[client_name].organization,
        source_ip="198.51.100.9",
    )


def give_birthday(world: Any, client_name: str = "rowan", years: int = 40) -> None:
    client = world.clients[client_name]
    day = timezone.localdate() - dt.timedelta(days=10)
    client.date_of_birth = day.replace(year=day.year - years, day=min(day.day, 28))
    client.save(update_fields=["date_of_birth"])


def save_intake(
    world: Any,
    *,
    by: str = "theo",
    client_name: str = "rowan",
    medications: list[dict[str, Any]] | None = None,
    **changes: Any,
) -> Any:
    from kapstone.clients.intake_services import IntakeAnswers, intake_save
    from kapstone.clients.models import Intake

    client = world.clients[client_name]
    stored = Intake.objects.filter(client=client).first()
    return intake_save(
        actor(world, by),
        client,
        answers=IntakeAnswers(**{**COMPLETE, **changes}),
        medications=medication_entries([SERTRALINE] if medications is None else medications),
        expected_version=stored.version if stored else 0,
    )


def medication_entries(rows: list[dict[str, Any]]) -> list[Any]:
    """Medication rows as the service takes them (the tests write them as the form's rows)."""
    from kapstone.clients.intake_services import MedicationEntry

    return [MedicationEntry(**{**row, "classes": tuple(row["classes"])}) for row in rows]


def record_measures(
    world: Any,
    *,
    item9: int = 0,
    cssrs: str = "none",
    client_name: str = "rowan",
    administered_at: dt.datetime | None = None,
) -> None:
    from kapstone.measures.services import response_submit

    client = world.clients[client_name]
    theo = actor(world, "theo")
    phq = {f"phq9_{i}": 0 for i in range(1, 9)} | {"phq9_9": item9}
    response_submit(theo, client, "phq9", phq, administered_at=administered_at)
    answers = {
        "none": {"cssrs_1": 0, "cssrs_2": 0, "cssrs_6": 0},
        "low": {"cssrs_1": 1, "cssrs_2": 0, "cssrs_6": 0},
        "moderate": {"cssrs_1": 1, "cssrs_2": 1, "cssrs_3": 1, "cssrs_4": 0, "cssrs_5": 0, "cssrs_6": 0},
        "high": {"cssrs_1": 1, "cssrs_2": 1, "cssrs_3": 1, "cssrs_4": 1, "cssrs_5": 0, "cssrs_6": 0},
    }[cssrs]
    response_submit(theo, client, "cssrs_screener", answers, administered_at=administered_at)


def ready_for_screening(world: Any, **changes: Any) -> None:
    give_birthday(world)
    save_intake(world, **changes)
    record_measures(world)


def submitted_screening(world: Any, **changes: Any) -> Any:
    from kapstone.screening.services import screening_run, screening_submit

    ready_for_screening(world, **changes)
    evaluation = screening_run(actor(world, "theo"), world.clients["rowan"])
    return screening_submit(actor(world, "theo"), evaluation, note="Ready for your review")


def clear(world: Any, evaluation: Any, **data: Any) -> Any:
    from kapstone.screening.services import clearance_decide, flagged_judgement_rules

    payload = {
        "decision": "cleared",
        "note": "Fit for KAP.",
        "attestations": {r["id"]: "weighed" for r in flagged_judgement_rules(evaluation)},
        **data,
    }
    return clearance_decide(actor(world, "priya"), evaluation, **payload)


def sign_consent(world: Any, *, via: str = "portal", **data: Any) -> Any:
    from kapstone.clients.consent_selectors import current_template
    from kapstone.clients.consent_services import consent_sign

    client = world.clients["rowan"]
    template = current_template(client.organization_id)
    payload = {"understood": True, "signed_name": "Rowan Fictional", **data}
    if via == "portal":
        return consent_sign(
            portal_actor(world), client, **payload, channel="portal", template_key=template.key
        )
    return consent_sign(
        actor(world, "theo"),
        client,
        **payload,
        channel="in_person",
        template_key=template.key,
        witnessed_by=world.users["theo"],
    )


def cleared_and_consented(world: Any) -> tuple[Any, Any]:
    evaluation = submitted_screening(world)
    clearance = clear(world, evaluation)
    consent = sign_consent(
        world, touch=True, touch_scope="hand on my shoulder", touch_stop_signal="raised hand"
    )
    return clearance, consent


def intake_post(
    version: int = 0, medications: list[dict[str, Any]] | None = None, **changes: Any
) -> dict[str, str]:
    """The intake form as a browser would post it (yes/no as true/false/unknown)."""
    data: dict[str, str] = {"version": str(version)}
    for name, value in {**COMPLETE, **changes}.items():
        if name == "medications_reviewed":
            if value:
                data[name] = "on"
        elif isinstance(value, bool):
            data[name] = "true" if value else "false"
        elif value is None:
            data[name] = ""
        else:
            data[name] = str(value)
    meds = [SERTRALINE] if medications is None else medications
    data.update(
        {
            "med-TOTAL_FORMS": str(len(meds) + 1),
            "med-INITIAL_FORMS": "0",
            "med-MIN_NUM_FORMS": "0",
            "med-MAX_NUM_FORMS": "1000",
        }
    )
    post: dict[str, Any] = dict(data)
    for i, med in enumerate(meds):
        post[f"med-{i}-name"] = med["name"]
        post[f"med-{i}-classes"] = list(med["classes"])
        post[f"med-{i}-dose"] = med.get("dose", "")
        de = med.get("diazepam_equivalent_mg_per_day")
        post[f"med-{i}-diazepam_equivalent_mg_per_day"] = "" if de is None else str(de)
    return post


def edited_default(version: str = "1.0.1", *, replace: tuple[str, str] | None = None) -> str:
    """The shipped default rule set's text with a new version (and optionally one text change)."""
    from kapstone.screening.ruleset import DEFAULT_RULESET

    text = DEFAULT_RULESET.read_text(encoding="utf-8")
    assert 'version = "1.1.0"' in text
    text = text.replace('version = "1.1.0"', f'version = "{version}"', 1)
    if replace:
        assert replace[0] in text
        text = text.replace(replace[0], replace[1], 1)
    return text
