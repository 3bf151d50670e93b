"""Mentorship: profiles, requests, a stable match over everyone's preferences, the mentor's
acceptance, and the meeting log whose time counts as individual consultation.

The matching itself is the pure core in ``kapstone.community.matching``; this module only turns
rows into preference lists and results back into rows. A mentee's own ranking comes first; mentors
the mentee did not rank follow, best fit first (shared modalities and routes). Mentors rank
mentees by fit, then by who asked first. A mentor's open places are their capacity less the
mentees they already have or were proposed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from kapstone.access.scoping import scoped_get
from kapstone.audit.services import record
from kapstone.community.common import member_ids
from kapstone.community.matching import stable_match
from kapstone.community.models import MentorProfile, Mentorship, MentorshipMeeting, MentorshipRequest
from kapstone.community.vocab import MODALITY_CODES, ROUTE_CODES, STATE_CODES, decode_set, encode_set
from kapstone.core.actor import Actor
from kapstone.core.contract import Refused

Q_ = MentorshipRequest.Status
M = Mentorship.Status


def _codes(values: Iterable[str], allowed: frozenset[str], field: str) -> str:
    values = [v for v in values if v]
    if set(values) - allowed:
        raise Refused("Unknown choice.", field=field)
    return encode_set(values)


def profile_save(
    actor: Actor,
    *,
    capacity: int,
    specialties: str = "",
    modalities: Iterable[str] = (),
    routes: Iterable[str] = (),
    languages: Iterable[str] = (),
    states: Iterable[str] = (),
    time_zone: str = "America/Denver",
    availability: str = "",
    active: bool = True,
) -> MentorProfile:
    user_id, org_id = member_ids(actor)
    if not 0 <= capacity <= 20:
        raise Refused("Capacity is between 0 and 20 mentees.", field="capacity")
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Refused(
            f"“{time_zone[:64]}” is not a time zone we know (e.g. America/Denver).", field="time_zone"
        ) from None
    states = [x.strip().upper() for x in states if x.strip()]
    if set(states) - STATE_CODES:
        raise Refused("Use two-letter US state codes, separated by commas.", field="states")
    with transaction.atomic():
        profile, _ = MentorProfile.objects.update_or_create(
            user_id=user_id,
            defaults={
                "organization_id": org_id,
                "capacity": capacity,
                "specialties": specialties.strip(),
                "modalities": _codes(modalities, MODALITY_CODES, "modalities"),
                "routes": _codes(routes, ROUTE_CODES, "routes"),
                "languages": encode_set([x.strip().title() for x in languages if "|" not in x]),
                "states": encode_set(states),
                "time_zone": time_zone,
                "availability": availability.strip(),
                "active": active,
            },
        )
        record(
            actor,
            "mentorship.view",
            object_type="mentor_profile",
            object_id=profile.pk,
            detail={"event": "save"},
        )
    return profile


def mentors_of(organization_id: int) -> QuerySet[MentorProfile]:
    return MentorProfile.objects.filter(organization_id=organization_id, active=True).select_related("user")


def request_create(
    actor: Actor,
    *,
    wants: str,
    preferences: Iterable[int] = (),
    modalities: Iterable[str] = (),
    routes: Iterable[str] = (),
) -> MentorshipRequest:
    user_id, org_id = member_ids(actor)
    if not wants.strip():
        raise Refused("Say what you would like from a mentor.", field="wants")
    mentors = set(mentors_of(org_id).values_list("user_id", flat=True))
    ranked = list(dict.fromkeys(int(p) for p in preferences))
    if set(ranked) - mentors:
        raise Refused("Choose mentors from your organization's list.", field="preferences")
    if user_id in ranked:
        raise Refused("You cannot be your own mentor.", field="preferences")
    try:
        with transaction.atomic():
            req = MentorshipRequest.objects.create(
                mentee_id=user_id,
                organization_id=org_id,
                wants=wants.strip(),
                preferences=ranked,
                modalities=_codes(modalities, MODALITY_CODES, "modalities"),
                routes=_codes(routes, ROUTE_CODES, "routes"),
            )
            record(
                actor,
                "mentorship.view",
                object_type="mentorship_request",
                object_id=req.pk,
                detail={"event": "request"},
            )
    except IntegrityError:
        raise Refused("You already have an open request; withdraw it first.") from None
    return req


def _fit(profile: MentorProfile, req: MentorshipRequest) -> int:
    shared = set(decode_set(profile.modalities)) & set(decode_set(req.modalities))
    return len(shared) + len(set(decode_set(profile.routes)) & set(decode_set(req.routes)))


def match_run(actor: Actor) -> list[Mentorship]:
    """Propose a stable matching of every open request to mentors with places left."""
    _, org_id = member_ids(actor)
    with transaction.atomic():
        requests = list(
            MentorshipRequest.objects.select_for_update()
            .filter(organization_id=org_id, status=Q_.OPEN)
            .order_by("created_at", "pk")
        )
        profiles = {p.user_id: p for p in mentors_of(org_id)}
        busy = Mentorship.objects.filter(organization_id=org_id, status__in=[M.PROPOSED, M.ACTIVE])
        load: dict[int, int] = {}
        for mentor_id in busy.values_list("mentor_id", flat=True):
            load[mentor_id] = load.get(mentor_id, 0) + 1
        capacities = {m: max(p.capacity - load.get(m, 0), 0) for m, p in profiles.items()}
        by_id = {r.pk: r for r in requests}
        mentee_prefs: dict[int, list[int]] = {}
        for r in requests:
            allowed = [m for m in profiles if m != r.mentee_id and m not in r.declined_by]
            ranked = [m for m in r.preferences if m in allowed]
            rest = sorted((m for m in allowed if m not in ranked), key=lambda m: (-_fit(profiles[m], r), m))
            mentee_prefs[r.pk] = ranked + rest
        mentor_prefs = {
            m: sorted(
                (r.pk for r in requests if m in mentee_prefs[r.pk]),
                key=lambda pk: (-_fit(profiles[m], by_id[pk]), by_id[pk].created_at, pk),
            )
            for m in profiles
        }
        result = stable_match(mentee_prefs, mentor_prefs, capacities)
        made = []
        for request_pk, mentor_id in sorted(result.pairs.items()):
            r = by_id[request_pk]
            made.append(
                Mentorship.objects.create(
                    organization_id=org_id, request=r, mentor_id=mentor_id, mentee_id=r.mentee_id
                )
            )
            r.status = Q_.PROPOSED
            r.save(update_fields=["status"])
        record(
            actor,
            "mentorship.match",
            object_type="mentorship",
            detail={"proposed": len(made), "unmatched": len(result.unmatched)},
        )
    return made


def mentorships_of(actor: Actor) -> QuerySet[Mentorship]:
    user_id, org_id = member_ids(actor)
    return Mentorship.objects.filter(organization_id=org_id).filter(
        Q(mentor_id=user_id) | Q(mentee_id=user_id)
    )


def mentorship_get(actor: Actor, pk: object) -> Mentorship:
    scoped = mentorships_of(actor).select_related("mentor", "mentee", "request")
    return scoped_get(actor, scoped, pk, action="mentorship.view", object_type="mentorship", audit_read=False)


def mentorship_decide(actor: Actor, *, mentorship_pk: object, accept: bool) -> Mentorship:
    """The mentor accepts or declines a proposal. A declined request goes back to the pool without them."""
    user_id, org_id = member_ids(actor)
    scoped = Mentorship.objects.filter(organization_id=org_id, mentor_id=user_id)
    pairing = scoped_get(
        actor, scoped, mentorship_pk, action="mentorship.view", object_type="mentorship", audit_read=False
    )
    if pairing.status != M.PROPOSED:
        raise Refused("This proposal was already answered.")
    with transaction.atomic():
        pairing.status = M.ACTIVE if accept else M.DECLINED
        pairing.decided_at = timezone.now()
        pairing.save(update_fields=["status", "decided_at"])
        req = MentorshipRequest.objects.select_for_update().get(pk=pairing.request_id)
        if accept:
            req.status = Q_.MATCHED
        else:
            req.status, req.declined_by = Q_.OPEN, sorted({*req.declined_by, user_id})
        req.save(update_fields=["status", "declined_by"])
        record(
            actor,
            "mentorship.view",
            object_type="mentorship",
            object_id=pairing.pk,
            detail={"event": "accept" if accept else "decline"},
        )
    return pairing


def meeting_log(
    actor: Actor, *, mentorship_pk: object, occurred_on: dt.date, minutes: int, topic: str
) -> MentorshipMeeting:
    pairing = mentorship_get(actor, mentorship_pk)
    if pairing.status != M.ACTIVE:
        raise Refused("Meetings are logged for an active mentorship (after the mentor accepted).")
    if occurred_on > timezone.localdate():
        raise Refused("A meeting is logged after it happened.", field="occurred_on")
    if not 5 <= minutes <= 480:
        raise Refused("A meeting lasts between 5 and 480 minutes.", field="minutes")
    if not topic.strip():
        raise Refused("Say what you discussed (with no client identifier).", field="topic")
    with transaction.atomic():
        meeting = MentorshipMeeting.objects.create(
            mentorship=pairing,
            occurred_on=occurred_on,
            minutes=minutes,
            topic=topic.strip()[:200],
            logged_by_id=member_ids(actor)[0],
        )
        record(
            actor,
            "mentorship.view",
            object_type="mentorship_meeting",
            object_id=meeting.pk,
            detail={"event": "meeting", "minutes": minutes},
        )
    return meeting
