"""Helpers for the practicum tests: actors, a supervision, a co-signed KAP session."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from kapstone.core.actor import Actor

ROLES = {"avery": "org_admin", "theo": "therapist", "tamsin": "therapist", "priya": "prescriber",
         "sam": "supervisor", "toby": "trainee", "olive": "therapist"}  # fmt: skip
TODAY = dt.date(2026, 3, 2)


def actor(world: Any, name: str) -> Actor:
    org = world.org_b if name == "olive" else world.org_a
    return Actor(
        user=world.users[name], organization=org, roles=frozenset({ROLES[name]}), request_id=f"t-{name}"
    )


def supervise(world: Any, supervisor: str = "sam", trainee: str = "toby", **kw: Any) -> Any:
    from kapstone.practicum.models import Supervision

    return Supervision.objects.create(
        organization=world.org_a, supervisor=world.users[supervisor], trainee=world.users[trainee], **kw
    )


def log(world: Any, minutes: int = 120, kind: str = "didactic_live", **kw: Any) -> Any:
    from kapstone.practicum.services import entry_log

    kw.setdefault("occurred_on", timezone.localdate() - dt.timedelta(days=1))
    kw.setdefault("supervisor_id", world.users["sam"].pk)
    return entry_log(actor(world, "toby"), kind=kind, minutes=minutes, **kw)


def verify(world: Any, entry: Any, decision: str = "verify", comment: str = "") -> Any:
    from kapstone.practicum.services import entry_review

    return entry_review(actor(world, "sam"), entry_id=entry.pk, decision=decision, comment=comment,
                        version=entry.version)  # fmt: skip


def kap_session(world: Any, *, cosign: bool = True, minutes: int = 180, kind: str = "dosing") -> Any:
    """A dosing session Toby led for Rowan, documented by Toby and (by default) co-signed by Sam."""
    from kapstone.care import services as care
    from kapstone.care.models import CareSession, Course, ProtocolVersion
    from kapstone.notes.services import draft_create, note_cosign, note_sign

    course = Course.objects.filter(client=world.clients["rowan"]).first()
    if course is None:
        care.protocols_install_shipped(actor(world, "avery"), world.org_a)
        version = ProtocolVersion.objects.get(organization=world.org_a, protocol_id="sublingual_kap_series")
        course = care.course_start(actor(world, "theo"), world.clients["rowan"], version)
    start = timezone.now() - dt.timedelta(hours=6)
    session = CareSession.objects.create(
        organization=world.org_a, client=world.clients["rowan"], course=course, kind=kind, status="completed",
        started_at=start, ended_at=start + dt.timedelta(minutes=minutes), lead=world.users["toby"],
        created_by=world.users["theo"],
    )  # fmt: skip
    toby = actor(world, "toby")
    sections = {"data": "Session went as planned.", "assessment": "Stable.", "plan": "Integration next week."}
    note = draft_create(toby, world.clients["rowan"], "dap", session=session, sections=sections)
    note = note_sign(toby, note, expected_version=note.version)
    if cosign:
        note = note_cosign(actor(world, "sam"), note)
    return note
