"""Writing the directory: one service per action, each one transaction with its audit row."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from kapstone.access.scoping import scoped_get
from kapstone.audit.services import record
from kapstone.clients.models import Client
from kapstone.clients.selectors import clients_scoped
from kapstone.community.common import as_pk, member_ids
from kapstone.community.hooks import credentials_of
from kapstone.community.models import Listing, Referral
from kapstone.community.vocab import LISTING_KINDS, MODALITY_CODES, ROUTE_CODES, STATE_CODES, encode_set
from kapstone.core.actor import Actor
from kapstone.core.contract import Refused, check_version

# What a referral may carry, each only when the client consented to share it.
REFERRAL_ELEMENTS = (
    ("name", "The client's name"),
    ("contact", "How to reach the client (email, phone)"),
    ("date_of_birth", "Date of birth"),
    ("reason", "The reason for the referral, as written below"),
)
REFERRAL_ELEMENT_CODES = frozenset(code for code, _ in REFERRAL_ELEMENTS)
CONSENT_CHANNELS = ("in_person", "portal", "phone_documented")


def _codes(values: Iterable[str], allowed: frozenset[str], field: str, what: str) -> str:
    values = [v for v in values if v]
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise Refused(f"Unknown {what}: {', '.join(unknown)}.", field=field)
    return encode_set(values)


def _certificate_held(user_id: int, title: str) -> None:
    claims = credentials_of(user_id)
    held = [c for c in claims if c.title == title]
    if not held:
        raise Refused(
            f"No certificate titled “{title}” is on record for you, so the listing cannot claim it. "
            "Only certificates the platform issued can be listed.",
            field="certificate_title",
        )
    if not any(c.is_active for c in held):
        raise Refused(
            f"Your certificate “{title}” is {held[0].status}; it cannot be listed.", field="certificate_title"
        )


@transaction.atomic
def listing_save(
    actor: Actor,
    *,
    kind: str,
    display_name: str,
    state: str,
    city: str = "",
    zip3: str = "",
    credentials_text: str = "",
    bio: str = "",
    telehealth: bool = False,
    accepting: bool = True,
    sliding_scale: bool = False,
    insurance: str = "",
    routes: Iterable[str] = (),
    modalities: Iterable[str] = (),
    languages: Iterable[str] = (),
    certificate_title: str = "",
    opted_in: bool = False,
    expected_version: int | None = None,
) -> Listing:
    """Create or update the actor's own listing. Claiming a certificate the person does not hold
    (or no longer holds as active) is refused; the licence attestation is kept only while the
    licence details are unchanged."""
    assert actor.user_id is not None and actor.organization_id is not None
    if kind not in dict(LISTING_KINDS):
        raise Refused("Choose what kind of listing this is.", field="kind")
    if not display_name.strip():
        raise Refused("A listing needs a name.", field="display_name")
    state = state.strip().upper()
    if state not in STATE_CODES:
        raise Refused("Choose the US state you practise in.", field="state")
    if zip3 and not (len(zip3) == 3 and zip3.isdigit()):
        raise Refused("ZIP3 is the first three digits of the ZIP code.", field="zip3")
    certificate_title = certificate_title.strip()
    if certificate_title:
        _certificate_held(actor.user_id, certificate_title)
    listing = Listing.objects.select_for_update().filter(user_id=actor.user_id).first()
    if listing is None:
        listing = Listing(user_id=actor.user_id, organization_id=actor.organization_id)
    else:
        check_version(current=listing.version, submitted=expected_version, record=listing)
        listing.version += 1
    listing.kind = kind
    listing.display_name = display_name.strip()
    listing.state, listing.city, listing.zip3 = state, city.strip(), zip3
    listing.credentials_text, listing.bio = credentials_text.strip(), bio.strip()
    listing.telehealth, listing.accepting, listing.sliding_scale = telehealth, accepting, sliding_scale
    listing.insurance = insurance.strip()
    listing.routes = _codes(routes, ROUTE_CODES, "routes", "route")
    listing.modalities = _codes(modalities, MODALITY_CODES, "modalities", "modality")
    listing.languages = encode_set([lang.strip().title() for lang in languages if "|" not in lang])
    listing.certificate_title = certificate_title
    listing.opted_in = opted_in
    listing.search_text = search_text_of(listing)
    listing.updated_at = timezone.now()
    listing.full_clean()
    listing.save()
    record(
        actor,
        "directory.listing.edit",
        object_type="listing",
        object_id=listing.pk,
        detail={"opted_in": opted_in, "certificate": bool(certificate_title)},
    )
    return listing


def search_text_of(listing: Listing) -> str:
    parts = (
        listing.display_name,
        listing.credentials_text,
        listing.city,
        listing.bio,
        listing.insurance,
        listing.languages.replace("|", " "),
    )
    return " ".join(" ".join(parts).lower().split())


def listing_attest(
    actor: Actor, *, listing_pk: object, licence_type: str, licence_number: str, licence_state: str
) -> Listing:
    """An organization admin attests a member's licence (they checked it with the board)."""
    scoped = Listing.objects.filter(organization_id=member_ids(actor)[1], user__isnull=False)
    listing = scoped_get(
        actor, scoped, listing_pk, action="directory.attest", object_type="listing", audit_read=False
    )
    licence_state = licence_state.strip().upper()
    if not licence_type.strip() or not licence_number.strip():
        raise Refused("Give the licence type and number you checked.", field="licence_number")
    if licence_state not in STATE_CODES:
        raise Refused("Choose the state that issued the licence.", field="licence_state")
    listing.licence_type, listing.licence_number = licence_type.strip(), licence_number.strip()
    listing.licence_state = licence_state
    listing.licence_attested_by_id, listing.licence_attested_at = actor.user_id, timezone.now()
    listing.version += 1
    with transaction.atomic():
        listing.save()
        record(
            actor,
            "directory.attest",
            object_type="listing",
            object_id=listing.pk,
            detail={"licence_state": licence_state, "licence_type": listing.licence_type},
        )
    return listing


def _shared_values(client: Client, elements: list[str], reason: str) -> dict[str, str]:
    values: dict[str, str] = {}
    if "name" in elements:
        values["name"] = client.display_name
    if "contact" in elements:
        values["contact"] = ", ".join(v for v in (client.email, client.phone) if v)
    if "date_of_birth" in elements and client.date_of_birth:
        values["date_of_birth"] = client.date_of_birth.isoformat()
    if "reason" in elements:
        values["reason"] = reason.strip()
    return values


def referral_send(
    actor: Actor,
    *,
    client_pk: object,
    listing_pk: object,
    consent_elements: Iterable[str],
    consent_channel: str,
    reason: str = "",
) -> Referral:
    """Refer a client on the actor's care team to another member's listing.

    Only the elements the client consented to share travel; a reason written without consent to
    share it is refused rather than dropped silently. Audited at both ends: the sender's row names
    the client; the receiving organization's row does not.
    """
    client = scoped_get(
        actor,
        clients_scoped(actor, "referral.send"),
        client_pk,
        action="referral.send",
        object_type="client",
        audit_read=False,
    )
    listing = Listing.objects.filter(opted_in=True, user__isnull=False, pk=as_pk(listing_pk)).first()
    if listing is None or listing.user is None or listing.user_id == actor.user_id:
        raise Refused("Choose a member listed in the directory to refer to.", field="listing")
    elements = sorted(set(consent_elements))
    if set(elements) - REFERRAL_ELEMENT_CODES:
        raise Refused("Unknown consent element.", field="consent_elements")
    if not elements:
        raise Refused("Record which elements the client consented to share.", field="consent_elements")
    if consent_channel not in CONSENT_CHANNELS:
        raise Refused("Say how the client gave consent.", field="consent_channel")
    if reason.strip() and "reason" not in elements:
        raise Refused(
            "The client did not consent to sharing the reason; remove it or record that consent.",
            field="reason",
        )
    with transaction.atomic():
        return _referral_create(actor, client, listing, elements, consent_channel, reason)


def _referral_create(
    actor: Actor, client: Client, listing: Listing, elements: list[str], channel: str, reason: str
) -> Referral:
    user_id, organization_id = member_ids(actor)
    assert listing.user is not None  # checked by referral_send
    referral = Referral.objects.create(
        from_organization_id=organization_id,
        from_user_id=user_id,
        client=client,
        to_listing=listing,
        to_user=listing.user,
        consent_elements=elements,
        consent_channel=channel,
        consent_recorded_at=timezone.now(),
        shared=_shared_values(client, elements, reason),
    )
    record(
        actor,
        "referral.send",
        object_type="referral",
        object_id=referral.pk,
        client_id=client.pk,
        detail={"elements": elements, "to_listing": listing.pk},
    )
    receiving = Actor(user=None, organization=listing.organization, request_id=actor.request_id)
    record(
        receiving,
        "referral.received",
        object_type="referral",
        object_id=referral.pk,
        detail={"to_user": listing.user_id, "from_organization": actor.organization_id, "elements": elements},
    )
    return referral


def referral_decide(actor: Actor, *, referral_pk: object, accept: bool, note: str = "") -> Referral:
    """The receiving clinician accepts or declines; only once. (The denial of someone else's
    referral is audited outside the write's transaction, so it stays when the 404 is raised.)"""
    scoped = Referral.objects.filter(to_user_id=actor.user_id)
    found = scoped_get(
        actor, scoped, referral_pk, action="referral.decide", object_type="referral", audit_read=False
    )
    with transaction.atomic():
        return _referral_answer(actor, Referral.objects.select_for_update().get(pk=found.pk), accept, note)


def _referral_answer(actor: Actor, referral: Referral, accept: bool, note: str) -> Referral:
    if referral.status != Referral.Status.SENT:
        raise Refused(f"This referral was already answered ({referral.get_status_display().lower()}).")
    referral.status = Referral.Status.ACCEPTED if accept else Referral.Status.DECLINED
    referral.decided_at = timezone.now()
    referral.decision_note = note.strip()[:500]
    referral.save(update_fields=["status", "decided_at", "decision_note"])
    record(
        actor,
        "referral.decide",
        object_type="referral",
        object_id=referral.pk,
        detail={"status": referral.status},
    )
    sender_side = Actor(user=None, organization=referral.from_organization, request_id=actor.request_id)
    record(
        sender_side,
        "referral.answered",
        object_type="referral",
        object_id=referral.pk,
        client_id=referral.client_id,
        detail={"status": referral.status},
    )
    return referral
