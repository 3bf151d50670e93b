"""A client record and notes carrying planted identifiers of every Safe Harbor class, and the values
to search for in every page a group member can reach (shared with the browser test)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kapstone.core.actor import Actor

ROLE = {
    "avery": "org_admin",
    "theo": "therapist",
    "tamsin": "therapist",
    "priya": "prescriber",
    "sam": "supervisor",
    "toby": "trainee",
    "olive": "therapist",
}

NOTE = {
    "data": (
        "Rowan (goes by Ro) came with her sister Marisol Quenby. "
        "Lives at 12 Quillfeather Lane, Springfield, IL 62704. "
        "Born 05/02/1988. Cell (555) 201-3344, email rowan.fictional@example.org. MRN 00482913. "
        "SSN 123-45-6789. Medicaid ID 99812344A. Account no. 4412-0098. Driver's license D1234-5678. "
        "License plate 7XYZ123. CPAP serial SN-44821X. Blog https://rowan-journal.example.net. "
        "Portal login from 10.14.7.22. Fingerprint template FP-99812. Photo IMG_2041.jpg. "
        "Referral faxed from fax (555) 777-1212. Her grandmother, aged 94, lives in Thistlewick."
    ),
    "assessment": "Improving; she is a retired judge from a small town, "
    "which she fears makes her recognisable.",
    "plan": "Next dosing on March 14, 2027; Dmitri Brackenwold will drive her home.",
}

# Every planted value, as a member must never see it (case-insensitive search of every response).
PLANTED = (
    "Rowan",
    "Fictional",
    "Marisol",
    "Quenby",
    "Quillfeather",
    "Springfield",
    "62704",
    "05/02",
    "201-3344",
    "rowan.fictional",
    "00482913",
    "123-45-6789",
    "99812344A",
    "4412-0098",
    "D1234-5678",
    "7XYZ123",
    "SN-44821X",
    "rowan-journal",
    "10.14.7.22",
    "FP-99812",
    "IMG_2041",
    "777-1212",
    "aged 94",
    "Thistlewick",
    "March 14",
    "Dmitri",
    "Brackenwold",
    "Emberly",
    "Hollis",
    "555-0199",
)


def actor(world: Any, name: str) -> Actor:
    org = world.org_b if name == "olive" else world.org_a
    return Actor(user=world.users[name], organization=org, roles=frozenset({ROLE[name]}))


def plant(world: Any) -> Any:
    """Rowan's record with every field that can name or locate them, and a signed note with the rest."""
    from kapstone.clients.models import Intake
    from kapstone.notes.services import draft_create, note_sign

    rowan = world.clients["rowan"]
    rowan.preferred_name, rowan.date_of_birth = "Ro", dt.date(1988, 5, 2)
    rowan.email, rowan.phone = "rowan.fictional@example.org", "555-201-3344"
    rowan.save()
    Intake.objects.create(
        client=rowan,
        address="12 Quillfeather Lane\nSpringfield, IL 62704",
        emergency_contact_name="Dmitri Brackenwold",
        emergency_contact_phone="555-0199",
        support_person_name="Marisol Quenby",
        support_person_phone="555-2010",
        existing_therapist="Dr. Emberly Hollis",
        referral_source="Dr. Emberly Hollis",
    )
    theo = actor(world, "theo")
    note = draft_create(theo, rowan, "dap", sections=NOTE)
    return note_sign(theo, note, expected_version=note.version)


def group(world: Any) -> Any:
    from kapstone.consultation import services

    avery = actor(world, "avery")
    g = services.group_create(avery, name="Tuesday peer group", facilitator=world.users["sam"])
    for name in ("theo", "priya", "tamsin"):  # Tamsin is not on Rowan's care team: she knows nothing of Rowan
        services.member_add(avery, group=g, user=world.users[name])
    return g


def accept_all(world: Any, case: Any) -> Any:
    """The author's decisions: every suggestion accepted, every flag removed."""
    from kapstone.consultation import services

    decisions = {
        p.pk: services.Decision("accept" if p.kind == "redaction" else "remove") for p in case.proposals.all()
    }
    services.case_review(actor(world, "theo"), case=case, decisions=decisions, expected_version=case.version)
    case.refresh_from_db()
    return case
