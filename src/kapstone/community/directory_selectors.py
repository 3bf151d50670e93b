"""Reading the directory: the public search and the scoped reads of listings and referrals."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from kapstone.access.scoping import scoped_get
from kapstone.audit.services import record
from kapstone.clients.models import Client
from kapstone.clients.selectors import clients_scoped
from kapstone.community.common import member_ids
from kapstone.community.hooks import CredentialClaim, active_credentials_of
from kapstone.community.models import Listing, Referral
from kapstone.community.vocab import MODALITY_CODES, ROUTE_CODES, STATE_CODES
from kapstone.core.actor import Actor

PAGE_SIZE = 25
MAX_QUERY = 100


@dataclass(frozen=True)
class DirectoryFilters:
    q: str = ""
    state: str = ""
    route: str = ""
    modality: str = ""
    telehealth: bool | None = None
    accepting: bool | None = None
    page: int = 1
    problems: tuple[str, ...] = field(default=())


def _yes_no(value: str, name: str, problems: list[str]) -> bool | None:
    value = value.strip().lower()
    if value in ("", "any"):
        return None
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    problems.append(f"“{name}” must be yes or no; ignored.")
    return None


def parse_filters(params: Mapping[str, str]) -> DirectoryFilters:
    """The query string, checked. A value we do not know is dropped with a reason shown on the page
    (never a 500, never a silent match of everything without saying so)."""
    problems: list[str] = []
    q = " ".join(params.get("q", "").split())
    if len(q) > MAX_QUERY:
        problems.append(f"The search text was cut to {MAX_QUERY} characters.")
        q = q[:MAX_QUERY]
    state = params.get("state", "").strip().upper()
    if state and state not in STATE_CODES:
        problems.append(f"“{state[:10]}” is not a US state code; the state filter was ignored.")
        state = ""
    route = params.get("route", "").strip().lower()
    if route and route not in ROUTE_CODES:
        problems.append(f"“{route[:30]}” is not a route we list; the route filter was ignored.")
        route = ""
    modality = params.get("modality", "").strip().lower()
    if modality and modality not in MODALITY_CODES:
        problems.append(f"“{modality[:30]}” is not a modality we list; the modality filter was ignored.")
        modality = ""
    page_text = params.get("page", "1").strip()
    page = int(page_text) if page_text.isdigit() and 0 < len(page_text) < 6 else 1
    return DirectoryFilters(
        q=q,
        state=state,
        route=route,
        modality=modality,
        telehealth=_yes_no(params.get("telehealth", ""), "telehealth", problems),
        accepting=_yes_no(params.get("accepting", ""), "accepting", problems),
        page=max(page, 1),
        problems=tuple(problems),
    )


def public_listings() -> QuerySet[Listing]:
    return Listing.objects.filter(opted_in=True)


def directory_search(filters: DirectoryFilters) -> tuple[list[Listing], bool]:
    """One page of opted-in listings matching the filters, and whether there is a next page."""
    qs = public_listings()
    if filters.state:
        qs = qs.filter(state=filters.state)
    if filters.route:
        qs = qs.filter(routes__contains=f"|{filters.route}|")
    if filters.modality:
        qs = qs.filter(modalities__contains=f"|{filters.modality}|")
    if filters.telehealth is not None:
        qs = qs.filter(telehealth=filters.telehealth)
    if filters.accepting is not None:
        qs = qs.filter(accepting=filters.accepting)
    for word in filters.q.lower().split()[:8]:
        qs = qs.filter(search_text__contains=word)
    start = (filters.page - 1) * PAGE_SIZE
    rows = list(
        qs.order_by("display_name", "pk").only(
            "pk",
            "kind",
            "display_name",
            "credentials_text",
            "city",
            "state",
            "telehealth",
            "accepting",
            "sliding_scale",
            "routes",
            "modalities",
            "languages",
            "certificate_title",
            "licence_type",
            "licence_state",
            "licence_attested_at",
            "user_id",
        )[start : start + PAGE_SIZE + 1]
    )
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def verified_certificate(listing: Listing) -> CredentialClaim | None:
    """The certificate the listing names, if a registered source says, now, that it is active."""
    if not listing.certificate_title or listing.user_id is None:
        return None
    for claim in active_credentials_of(listing.user_id):
        if claim.title == listing.certificate_title:
            return claim
    return None


def public_listing_get(pk: object) -> Listing | None:
    text = str(pk)
    if not text.isdigit() or len(text) > 18:
        return None
    return public_listings().filter(pk=int(text)).first()


def my_listing(actor: Actor) -> Listing | None:
    return Listing.objects.filter(user_id=member_ids(actor)[0]).first()


def org_listings(actor: Actor) -> list[Listing]:
    """The listings of the admin's organization, for attesting licences."""
    return list(Listing.objects.filter(organization_id=member_ids(actor)[1]).order_by("display_name"))


def referral_targets(actor: Actor) -> list[Listing]:
    """Opted-in listings of members (not the actor's own) who can receive a referral."""
    return list(
        public_listings()
        .filter(user__isnull=False)
        .exclude(user_id=member_ids(actor)[0])
        .order_by("display_name")[:500]
    )


def referrals_scoped(actor: Actor) -> QuerySet[Referral]:
    """Referrals the actor sent (from their active organization) or received."""
    return Referral.objects.filter(
        Q(from_user_id=actor.user_id, from_organization_id=actor.organization_id)
        | Q(to_user_id=actor.user_id)
    )


def referral_get(actor: Actor, pk: object, *, action: str = "referral.view") -> Referral:
    """One referral, for its sender or receiver; audited read (with the client for the sender only)."""
    referral = scoped_get(
        actor, referrals_scoped(actor), pk, action=action, object_type="referral", audit_read=False
    )
    sender = referral.from_user_id == actor.user_id
    record(
        actor,
        action,
        object_type="referral",
        object_id=referral.pk,
        client_id=referral.client_id if sender else None,
        detail={"side": "sender" if sender else "receiver"},
    )
    return referral


def referral_inbox(actor: Actor) -> list[Referral]:
    return list(
        Referral.objects.filter(to_user_id=actor.user_id)
        .select_related("from_user")
        .order_by("-created_at")[:200]
    )


def referrals_sent(actor: Actor) -> list[Referral]:
    return list(
        Referral.objects.filter(from_user_id=actor.user_id, from_organization_id=actor.organization_id)
        .select_related("to_user")
        .order_by("-created_at")[:200]
    )


def referral_clients(actor: Actor) -> list[Client]:
    """The actor's own clients (care team), for the "refer a client" picker; audited as a list read."""
    clients = list(clients_scoped(actor, "referral.send").order_by("family_name", "given_name", "pk")[:500])
    if clients:
        record(actor, "referral.send", object_type="client", detail={"list": len(clients)})
    return clients
