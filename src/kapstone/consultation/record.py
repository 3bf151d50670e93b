"""What the record knows about a client, as the engine's plain ``Known`` (the first line of removal),
and the source text of a case, built from the client's signed progress notes.

Psychotherapy notes (45 CFR 164.501) never enter a case: only ``ProgressNote`` rows are read here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence

from kapstone.care.models import CareSession
from kapstone.clients.models import CareTeamMember, Client, Intake
from kapstone.deid import Known, KnownPerson
from kapstone.notes.definitions import get_template
from kapstone.notes.models import ProgressNote


def _name(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"^(?:dr|mr|mrs|ms|mx|miss|prof)\.?\s+", "", text.strip(), flags=re.I))


def known_for(client: Client, notes: Iterable[ProgressNote] = ()) -> Known:
    """Every value the record holds that could name or locate the client or the people around them."""
    client_aliases = tuple(a for a in (client.preferred_name,) if a and a != client.given_name)
    people = [KnownPerson(f"{client.given_name} {client.family_name}".strip(), "client", client_aliases)]
    values: dict[str, list[str]] = {"phone": [], "email": [], "address": [], "other": []}
    if client.phone:
        values["phone"].append(client.phone)
    if client.email:
        values["email"].append(client.email)
    portal = client.portal_user
    if portal is not None and portal.email:
        values["email"].append(portal.email)
    intake = Intake.objects.filter(client=client).first()
    if intake is not None:
        for name, role in (
            (intake.emergency_contact_name, "contact"),
            (intake.support_person_name, "support"),
            (intake.existing_therapist, "clinician"),
            (intake.referral_source, "referrer"),
        ):
            if name.strip():
                people.append(KnownPerson(_name(name), role))
        values["phone"] += [p for p in (intake.emergency_contact_phone, intake.support_person_phone) if p]
        if intake.address.strip():
            values["address"].append(intake.address.replace("\n", ", "))
    team = CareTeamMember.objects.filter(client=client).select_related("user")
    people += [KnownPerson(_name(m.user.full_name), "clinician") for m in team if m.user.full_name.strip()]
    dates: list[dt.date] = []
    for note in notes:
        dates.append(note.created_at.date())
        if note.signed_at:
            dates.append(note.signed_at.date())

    for started, scheduled in CareSession.objects.filter(client=client).values_list(
        "started_at", "scheduled_at"
    ):
        dates += [d.date() for d in (started, scheduled) if d is not None]
    return Known(
        people=tuple(dict.fromkeys(people)),
        values={k: tuple(dict.fromkeys(v)) for k, v in values.items() if v},
        dates=tuple(sorted(set(dates))),
        date_of_birth=client.date_of_birth,
    )


def source_text(summary: str, notes: Sequence[ProgressNote]) -> str:
    """The author's summary and question, then each chosen note's sections under their labels."""
    parts = [summary.strip()]
    for number, note in enumerate(notes, start=1):
        template = get_template(note.template_id, note.template_version)
        lines = [f"Note {number} ({template.name}):"]
        for section in template.sections:
            text = str(note.sections.get(section.key, "")).strip()
            if text:
                lines.append(f"{section.label}: {text}")
        parts.append("\n".join(lines))
    return "\n\n".join(p for p in parts if p).replace("\r\n", "\n")
