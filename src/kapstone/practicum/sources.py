"""Hours the system already knows, derived at the moment the ledger is read: never stored in the
ledger, never editable by hand, always shown with where they came from.

A small registry of source functions ``(trainee, organization_id) -> list[Derived]``: practicum's own
(a co-signed session note; a supervision meeting attended) and the training, community and
consultation apps' ``selectors.earned_hours(user) -> list[EarnedHours]`` (``kapstone.lib.hours``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from kapstone.accounts.models import User
from kapstone.community import selectors as community_selectors
from kapstone.consultation import selectors as consultation_selectors
from kapstone.lib.hours import EarnedHours
from kapstone.notes.models import ProgressNote
from kapstone.practicum.models import SupervisionMeeting
from kapstone.training import selectors as training_selectors

NOTE_SESSIONS = {"preparation": "preparation", "dosing": "administration", "integration": "integration"}


@dataclass(frozen=True, slots=True)
class Derived:
    earned: EarnedHours
    source_label: str  # where it came from, in words ("Co-signed note of a dosing session")
    session: str | None = None  # preparation / administration / integration, for session hours
    online: bool | None = None


Source = Callable[[User, int], list["Derived"]]
_SOURCES: dict[str, Source] = {}


def register(name: str, source: Source) -> None:
    _SOURCES[name] = source


def registered() -> list[str]:
    return sorted(_SOURCES)


@lru_cache(maxsize=4096)
def client_key(organization_id: int, client_id: int) -> str:
    """An opaque key per client: different clients can be counted, nobody is named."""
    return hashlib.sha256(f"kapstone-client:{organization_id}:{client_id}".encode()).hexdigest()[:16]


def derived_for(trainee: User, organization_id: int) -> list[Derived]:
    found: list[Derived] = []
    for name in registered():
        found.extend(_SOURCES[name](trainee, organization_id))
    return sorted(found, key=lambda d: (d.earned.occurred_on, d.earned.source, d.earned.source_id))


def _cosigned_notes(trainee: User, organization_id: int) -> list[Derived]:
    """A preparation, dosing or integration session a trainee documented counts the moment its
    note is co-signed: as led under supervision if the trainee led it, else co-facilitated."""

    notes = (
        ProgressNote.objects.filter(
            organization_id=organization_id,
            author=trainee,
            cosigned_at__isnull=False,
            session__kind__in=list(NOTE_SESSIONS),
        )
        .select_related("session")
        .order_by("cosigned_at", "pk")
    )
    found: dict[int, Derived] = {}
    for note in notes:
        session = note.session
        if session is None or session.pk in found:
            continue  # one session counts once, however many notes it has
        minutes = 0
        if session.started_at and session.ended_at and session.ended_at > session.started_at:
            minutes = int((session.ended_at - session.started_at).total_seconds() // 60)
        led = session.lead_id == trainee.pk
        kind = "led_under_supervision" if led else "co_facilitated_session"
        day = (session.started_at or note.cosigned_at or note.created_at).date()
        session_kind = NOTE_SESSIONS[session.kind]
        found[session.pk] = Derived(
            earned=EarnedHours(
                source="notes.cosigned_session",
                source_id=str(note.pk),
                kind=kind,
                minutes=minutes,
                occurred_on=day,
                label=f"{session.get_kind_display()} session ({'led' if led else 'co-facilitated'})",
                supervisor_id=note.cosigned_by_id,
                client_key=client_key(organization_id, session.client_id),
            ),
            source_label="Session note co-signed by a supervisor",
            session=session_kind,
        )
    return list(found.values())


def _meetings(trainee: User, organization_id: int) -> list[Derived]:
    meetings = (
        SupervisionMeeting.objects.filter(organization_id=organization_id, attendees=trainee)
        .prefetch_related("attendees")
        .order_by("occurred_on", "pk")
    )
    found = []
    for meeting in meetings:
        size = len(meeting.attendees.all())
        found.append(
            Derived(
                earned=EarnedHours(
                    source="practicum.supervision_meeting",
                    source_id=str(meeting.pk),
                    kind="individual_consultation" if size == 1 else "group_consultation",
                    minutes=meeting.minutes,
                    occurred_on=meeting.occurred_on,
                    label="Supervision meeting" if size == 1 else f"Group supervision ({size} trainees)",
                    supervisor_id=meeting.supervisor_id,
                    group_size=None if size == 1 else size,
                ),
                source_label="Supervision meeting recorded by the supervisor",
            )
        )
    return found


def _from_app(app: str, earned_hours: Callable[[User], list[EarnedHours]]) -> Source:
    """An app's ``selectors.earned_hours`` wrapped as a source, labelled with where it came from."""

    def source(trainee: User, organization_id: int) -> list[Derived]:
        return [Derived(earned=e, source_label=f"Recorded in {app}") for e in earned_hours(trainee)]

    return source


register("notes", _cosigned_notes)
register("meetings", _meetings)
register("training", _from_app("training", training_selectors.earned_hours))
register("community", _from_app("community", community_selectors.earned_hours))
register("consultation", _from_app("consultation", consultation_selectors.earned_hours))
