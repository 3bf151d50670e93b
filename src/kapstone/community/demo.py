"""Fictional directory listings for the demo organization and for the directory bench.

Every name is obviously made up (``Fictional``, ``Example``); cities are real only as places.
"""

from __future__ import annotations

import random

from kapstone.accounts.models import Organization, User
from kapstone.community.directory_services import search_text_of
from kapstone.community.models import Listing
from kapstone.community.vocab import LISTING_KINDS, MODALITY_CODES, ROUTE_CODES, STATE_CODES, encode_set

CITIES = {
    "CO": "Denver",
    "CA": "Oakland",
    "NY": "Albany",
    "OR": "Portland",
    "TX": "Austin",
    "WA": "Olympia",
    "MA": "Worcester",
    "IL": "Evanston",
    "NM": "Taos",
    "VT": "Burlington",
}
GIVEN = (
    "Ash",
    "Briar",
    "Cedar",
    "Dale",
    "Ember",
    "Fern",
    "Grove",
    "Heath",
    "Iris",
    "Juniper",
    "Kit",
    "Linden",
)
FAMILY = ("Fictional", "Example", "Madeup", "Placeholder", "Sampleton", "Notreal")
DEMO_LISTINGS = (
    # name, kind, state, routes, modalities, telehealth, accepting, languages
    ("Dr. Wren Fictional", "prescriber", "CO", ("im", "iv"), ("psychodynamic",), True, True, ("English",)),
    (
        "Sage Example, LMFT",
        "practitioner",
        "CO",
        ("sublingual", "im"),
        ("ifs", "somatic"),
        True,
        True,
        ("English", "Spanish"),
    ),
    (
        "Larkspur Demo Clinic",
        "clinic",
        "CO",
        ("sublingual", "im", "intranasal_esketamine"),
        ("mbct",),
        False,
        False,
        ("English",),
    ),
    ("Rune Madeup, LCSW", "practitioner", "OR", ("sublingual",), ("emdr", "act"), True, True, ("English",)),
)


def demo_listings(
    organization: Organization, *, owner: User | None = None, certificate_title: str = ""
) -> list[Listing]:
    """A few opted-in fictional listings in ``organization``. ``owner`` (a demo member) gets the
    second one, naming ``certificate_title``: a certificate the credentials app issued to them, so
    the directory shows it as verified (re-read from the credential sources on every page)."""
    made = []
    for index, (name, kind, state, routes, modalities, tele, accepting, langs) in enumerate(DEMO_LISTINGS):
        listing = Listing(
            organization=organization,
            user=owner if index == 1 else None,
            kind=kind,
            display_name=name,
            state=state,
            city=CITIES.get(state, ""),
            telehealth=tele,
            accepting=accepting,
            routes=encode_set(routes),
            modalities=encode_set(modalities),
            languages=encode_set(langs),
            bio="A fictional listing for the demonstration organization.",
            opted_in=True,
            certificate_title=certificate_title if index == 1 and owner is not None else "",
        )
        listing.search_text = search_text_of(listing)
        listing.save()
        made.append(listing)
    return made


def bulk_listings(organization: Organization, count: int, *, seed: int = 16) -> int:
    """``count`` random fictional opted-in listings (for the bench), written in batches."""
    rng = random.Random(seed)  # noqa: S311 - fictional bench data, not secrets
    states, routes, modalities = sorted(STATE_CODES), sorted(ROUTE_CODES), sorted(MODALITY_CODES)
    kinds = [k for k, _ in LISTING_KINDS]
    batch: list[Listing] = []
    for n in range(count):
        state = rng.choice(states)
        listing = Listing(
            organization=organization,
            kind=rng.choice(kinds),
            display_name=f"{rng.choice(GIVEN)} {rng.choice(FAMILY)} {n}",
            state=state,
            city=CITIES.get(state, "Springfield"),
            telehealth=rng.random() < 0.6,
            accepting=rng.random() < 0.7,
            routes=encode_set(rng.sample(routes, rng.randint(1, 3))),
            modalities=encode_set(rng.sample(modalities, rng.randint(1, 3))),
            languages=encode_set(rng.sample(["English", "Spanish", "Mandarin", "ASL"], rng.randint(1, 2))),
            bio="Fictional listing generated for the directory bench.",
            opted_in=rng.random() < 0.9,
        )
        listing.search_text = search_text_of(listing)
        batch.append(listing)
        if len(batch) == 1000:
            Listing.objects.bulk_create(batch)
            batch = []
    Listing.objects.bulk_create(batch)
    return count
