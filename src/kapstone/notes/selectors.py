"""Reads of notes: scoped to the acting person, audited, and 404 for missing or not yours.

Progress notes: the client's care team (``note.view``) sees signed notes; a draft is its author's
only. Psychotherapy notes: their author, or a supervisor holding the author's active training
grant; every read of one is audited (a supervisor's with the grant's id).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.urls import reverse

from kapstone.access.policy import allows
from kapstone.access.scoping import deny
from kapstone.audit.services import record
from kapstone.clients.models import CareTeamMember, Client
from kapstone.clients.selectors import clients_scoped
from kapstone.core.actor import Actor
from kapstone.core.contract import NotYours
from kapstone.notes.models import Addendum, ProgressNote, PsychNoteGrant, PsychotherapyNote

AUTHOR_ONLY = frozenset({"note.write", "note.sign"})


def _org(actor: Actor) -> int:
    """The active organization's id; without one, an id no row has (nothing matches)."""
    return actor.organization_id if actor.organization_id is not None else -1


def _me(actor: Actor) -> int:
    return actor.user_id if actor.user_id is not None else -1


def _denied(actor: Actor, action: str, object_type: str, pk: object) -> NotYours:
    return deny(actor, action, object_type=object_type, object_id=pk)


def _visible_notes(actor: Actor, action: str) -> QuerySet[ProgressNote]:
    """Notes of clients the actor may take ``action`` on; drafts only their author's."""
    return ProgressNote.objects.filter(client__in=clients_scoped(actor, action).values("pk")).filter(
        ~Q(status=ProgressNote.Status.DRAFT) | Q(author_id=_me(actor))
    )


def note_list(actor: Actor, client: Client) -> list[ProgressNote]:
    notes = list(
        _visible_notes(actor, "note.view")
        .filter(client=client)
        .select_related("author", "cosigned_by", "session")
        .order_by("-created_at", "-pk")[:200]
    )
    record(actor, "note.list", object_type="progress_note", client_id=client.pk, detail={"count": len(notes)})
    return notes


def note_get(actor: Actor, pk: int | str, *, action: str = "note.view") -> ProgressNote:
    """One note, audited as a read. Writing and signing are for the note's author only."""
    try:
        qs = _visible_notes(actor, action)
        if action in AUTHOR_ONLY:
            qs = qs.filter(author_id=_me(actor))
        note = qs.select_related("client", "author", "signed_by", "cosigned_by", "session").get(pk=int(pk))
    except (ProgressNote.DoesNotExist, ValueError, TypeError):
        raise _denied(actor, action, "progress_note", pk) from None
    # A read is audited as a read; the write that may follow is audited by its service.
    detail = {} if action == "note.view" else {"for": action}
    record(
        actor,
        "note.view",
        object_type="progress_note",
        object_id=note.pk,
        client_id=note.client_id,
        detail=detail,
    )
    return note


def addenda_of(note: ProgressNote) -> list[Addendum]:
    """The note's addenda, oldest first (the note itself was read, and audited, by ``note_get``)."""
    return list(note.addenda.select_related("author").order_by("created_at", "pk"))


def may_cosign(actor: Actor, note: ProgressNote) -> bool:
    """A supervisor on the client's care team, not the author; if the trainee's care-team row names
    their supervisor for this client, only that supervisor."""
    if not allows(actor, "note.cosign") or note.author_id == actor.user_id:
        return False
    if note.organization_id != actor.organization_id:
        return False
    team = CareTeamMember.objects.filter(client_id=note.client_id)
    if not team.filter(user_id=_me(actor), team_role=CareTeamMember.TeamRole.SUPERVISOR).exists():
        return False
    designated = set(
        team.filter(user_id=note.author_id, supervisor__isnull=False).values_list("supervisor_id", flat=True)
    )
    return not designated or actor.user_id in designated


def cosign_queue(actor: Actor, *, limit: int = 100) -> list[ProgressNote]:
    """Trainees' signed notes waiting for this supervisor's co-sign (the dashboard panel)."""
    if not allows(actor, "note.cosign"):
        return []
    query = (
        ProgressNote.objects.filter(
            status=ProgressNote.Status.PENDING_COSIGN,
            organization_id=_org(actor),
            client__in=clients_scoped(actor, "note.cosign").values("pk"),
        )
        .exclude(author_id=_me(actor))
        .select_related("client", "author")
        # What the queue shows, not the notes' text: a long queue stays a small read.
        .only(
            "pk", "organization_id", "client_id", "author_id", "template_id", "signed_at", "status",
            "client__given_name", "client__preferred_name", "client__family_name", "author__full_name",
        )
        .order_by("signed_at", "pk")[: limit * 2]
    )  # fmt: skip
    candidates = list(query)
    # may_cosign for every candidate, from one read of their care teams (not two queries per note).
    supervising: set[int] = set()
    designated: dict[tuple[int, int], set[int]] = {}
    for client_id, user_id, team_role, supervisor_id in CareTeamMember.objects.filter(
        client_id__in={note.client_id for note in candidates}
    ).values_list("client_id", "user_id", "team_role", "supervisor_id"):
        if user_id == actor.user_id and team_role == CareTeamMember.TeamRole.SUPERVISOR:
            supervising.add(client_id)
        if supervisor_id is not None:
            designated.setdefault((client_id, user_id), set()).add(supervisor_id)
    notes = [
        note
        for note in candidates
        if note.client_id in supervising
        and actor.user_id in designated.get((note.client_id, note.author_id), {actor.user_id})
    ][:limit]
    detail = reverse("notes:detail", args=[0])[: -len("0/")]  # one reversal for the whole list
    for note in notes:
        note.detail_url = f"{detail}{note.pk}/"  # type: ignore[attr-defined]
    record(actor, "note.cosign_queue", object_type="progress_note", detail={"count": len(notes)})
    return notes


# --- Psychotherapy notes ------------------------------------------------------------------------------


def _active_grant(actor: Actor, note: PsychotherapyNote) -> PsychNoteGrant | None:
    return (
        PsychNoteGrant.objects.filter(
            organization_id=note.organization_id,
            supervisor_id=_me(actor),
            granted_by_id=note.author_id,
            revoked_at__isnull=True,
        )
        .filter(Q(note__isnull=True) | Q(note_id=note.pk))
        .order_by("pk")
        .first()
    )


def _is_supervisor_on_team(actor: Actor, client_id: int) -> bool:
    return CareTeamMember.objects.filter(
        client_id=client_id, user_id=_me(actor), team_role=CareTeamMember.TeamRole.SUPERVISOR
    ).exists()


def psychnote_get(actor: Actor, pk: int | str) -> tuple[PsychotherapyNote, PsychNoteGrant | None]:
    """The note and the grant it was read under (None: read by its author). 404 for anyone else."""
    try:
        note = PsychotherapyNote.objects.select_related("client", "author").get(
            pk=int(pk),
            organization_id=_org(actor),
            client__in=clients_scoped(actor, "psychnote.read").values("pk"),
        )
    except (PsychotherapyNote.DoesNotExist, ValueError, TypeError):
        raise _denied(actor, "psychnote.read", "psychotherapy_note", pk) from None
    grant = None
    if note.author_id != actor.user_id:
        grant = _active_grant(actor, note) if _is_supervisor_on_team(actor, note.client_id) else None
        if grant is None:
            raise _denied(actor, "psychnote.read", "psychotherapy_note", pk)
    detail = {"grant_id": grant.pk, "reason": grant.reason} if grant else {"as": "author"}
    record(
        actor,
        "psychnote.read",
        object_type="psychotherapy_note",
        object_id=note.pk,
        client_id=note.client_id,
        detail=detail,
    )
    return note, grant


def psychnote_list(actor: Actor, client: Client) -> list[tuple[PsychotherapyNote, PsychNoteGrant | None]]:
    """Which psychotherapy notes of this client the actor may open (dates and authors, no bodies)."""
    if not allows(actor, "psychnote.read"):
        return []
    base = PsychotherapyNote.objects.filter(organization_id=_org(actor), client=client)
    rows: list[tuple[PsychotherapyNote, PsychNoteGrant | None]] = [
        (note, None) for note in base.filter(author_id=_me(actor)).select_related("author")
    ]
    if _is_supervisor_on_team(actor, client.pk):
        grants = PsychNoteGrant.objects.filter(
            organization_id=_org(actor), supervisor_id=_me(actor), revoked_at__isnull=True
        )
        for note in base.exclude(author_id=_me(actor)).filter(author_id__in=grants.values("granted_by_id")):
            grant = _active_grant(actor, note)
            if grant is not None:
                rows.append((note, grant))
    rows.sort(key=lambda row: (row[0].created_at, row[0].pk), reverse=True)
    record(
        actor,
        "psychnote.list",
        object_type="psychotherapy_note",
        client_id=client.pk,
        detail={"count": len(rows)},
    )
    return rows


def my_psychnotes(actor: Actor) -> QuerySet[PsychotherapyNote]:
    """The actor's own psychotherapy notes in the active organization (for choosing what to share)."""
    return PsychotherapyNote.objects.filter(organization_id=_org(actor), author_id=_me(actor)).select_related(
        "client"
    )


def grants_given(actor: Actor) -> list[PsychNoteGrant]:
    return list(
        PsychNoteGrant.objects.filter(organization_id=_org(actor), granted_by_id=_me(actor))
        .select_related("supervisor", "note", "note__client")
        .order_by("revoked_at", "-granted_at", "-pk")
    )


def grant_get(actor: Actor, pk: int | str) -> PsychNoteGrant:
    """A grant the actor gave (only its author may revoke it)."""
    try:
        return PsychNoteGrant.objects.get(pk=int(pk), organization_id=_org(actor), granted_by_id=_me(actor))
    except (PsychNoteGrant.DoesNotExist, ValueError, TypeError):
        raise _denied(actor, "psychnote.grant", "psychnote_grant", pk) from None
