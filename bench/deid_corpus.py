"""A synthetic, obviously fictional corpus of KAP notes with planted identifiers at exact offsets.

    python -m bench.deid_corpus            # (re)write bench/data/deid/{dev,heldout}.jsonl.gz

Seeded and deterministic (no faker here: it is not installed, and our own pools keep every value
obviously fictional: 555 phone numbers, example.* domains, invented family names and towns).
Two parts built from DIFFERENT sentence templates and DIFFERENT name and town pools:

- ``dev``: what the engine's rules were written and tuned against;
- ``heldout``: never read while tuning; ``bench/deid.py`` and the recall gate measure on it.

Each note is ``{"id", "kind", "part", "record", "text", "spans": [{"class", "start", "end",
"known"}]}``; ``record`` is what the record knows (people with roles, values by Safe Harbor class,
dates, date of birth); ``known`` says whether the planted value is in the record (first line) or
only in the text (the detectors' job).
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data" / "deid"
GENERATOR_VERSION = "1"
SEEDS = {"dev": 1501, "heldout": 1599}
SIZES = {"dev": 700, "heldout": 400}
KINDS = ("intake", "preparation", "dosing", "integration")
TODAY = dt.date(2026, 12, 2)

POOLS: dict[str, dict[str, list[str]]] = {
    "dev": {
        "given": [
            "Rowan",
            "Harper",
            "Juniper",
            "Ellis",
            "Marisol",
            "Tobias",
            "Wren",
            "Arden",
            "Linnea",
            "Casimir",
            "Odile",
            "Perrin",
            "Soren",
            "Delphine",
            "Anselm",
            "Brielle",
            "Corin",
            "Emrys",
            "Faustine",
            "Galen",
            "Ilse",
            "Jory",
            "Kestrel",
            "Lorcan",
            "Maren",
        ],
        "family": [
            "Fictional",
            "Notreal",
            "Quillby",
            "Thistlewood",
            "Brackenridge",
            "Moorcroft",
            "Hollowell",
            "Fenwick",
            "Larkhill",
            "Ashdown",
            "Pembrooke",
            "Wrenfield",
            "Cobbledick",
            "Marchbanks",
            "Oddleigh",
            "Tumblewick",
            "Farthingale",
        ],
        "town": [
            "Brambleton",
            "Thistlewick",
            "Quillhaven",
            "Mossbury",
            "Fernwold",
            "Hollowmere",
            "Larkford",
            "Pipersby",
        ],
        "street": [
            "Larkspur",
            "Juniper",
            "Hawthorn",
            "Bramble",
            "Willowmere",
            "Foxglove",
            "Meadowlark",
            "Sorrel",
        ],
        "org": [
            "Larkspur Widgets",
            "Quillby Bakery",
            "Fernwold Freight",
            "Mossbury Library",
            "Pipersby Printworks",
        ],
    },
    "heldout": {
        "given": [
            "Zephyrine",
            "Othniel",
            "Quenby",
            "Vashti",
            "Thaddeus",
            "Liesl",
            "Ignatius",
            "Marguerite",
            "Percival",
            "Rosalind",
            "Florian",
            "Benedetta",
            "Cyprian",
            "Evander",
            "Henrietta",
            "Leopold",
            "Ottoline",
            "Barnaby",
            "Clementine",
            "Desmond",
            "Araminta",
        ],
        "family": [
            "Grimsditch",
            "Puddlefoot",
            "Wickersham",
            "Underhay",
            "Sallowby",
            "Crumplehorn",
            "Dimbleby",
            "Ravelston",
            "Fotheringay",
            "Bellweather",
            "Knapwood",
            "Gorsemoor",
            "Pinfold",
            "Scrivener",
            "Throckley",
        ],
        "town": [
            "Gorsemouth",
            "Dimbleford",
            "Wickenhurst",
            "Sallowcombe",
            "Knapton",
            "Ravelsby",
            "Pinhollow",
        ],
        "street": ["Gorsedene", "Pinfold", "Knapweed", "Sallow", "Ravelin", "Cobnut"],
        "org": ["Gorsemouth Cannery", "Dimbleford Dairy", "Knapton Glassworks", "Ravelsby Rowing Club"],
    },
}
STATES = ["IL", "OR", "VT", "NM", "WI", "ME", "NV", "WY"]
SUFFIXES = ["Lane", "Street", "Road", "Avenue", "Drive", "Court"]
RELATIONS = ["sister", "brother", "husband", "wife", "partner", "mother", "father", "daughter", "son"]

# Sentence templates. {slot} is planted; a slot name ending in "!" is planted but NOT in the record.
TEMPLATES: dict[str, dict[str, list[str]]] = {
    "dev": {
        "intake": [
            "Client: {client_full}. DOB {dob}. MRN {mrn}.",
            "{client_first} is a {age}-year-old referred by {referrer} (fax {fax}).",
            "{client_first} lives at {street}, {city}, {state} {zip} with {pronoun} {relation} {relative}.",
            "Phone {phone}; email {email}. Health plan member ID {plan_id}.",
            "Emergency contact: {contact}, {contact_phone}.",
            "{client_first} works at {employer} (employee ID {other_id}).",
            "Intake completed on {intake_date}. Driver's license {licence}; SSN {ssn}.",
            "{pronoun_cap} mentioned a blog at {url} and a photo {photo}.",
        ],
        "preparation": [
            "Preparation session with {client_first} on {session_date}.",
            "{client_nick} said {pronoun} {relation} {relative_first} will drive {pronoun_obj} home "
            "in the car with plate {plate}.",
            "We reviewed set and setting; {client_last} prefers soft music.",
            "{pronoun_cap} uses a CPAP, serial {device}, at night.",
            "Her friend {friend!} may join the integration call.",
            "Portal login from {ip} was confirmed by {client_initials}.",
        ],
        "dosing": [
            "Dosing session 2 for {client_full} on {session_date}. BP 128/82 before.",
            "{client_first}'s support person {support} waited outside.",
            "Billing account {account} updated. Fingerprint template {biometric} on file for the med safe.",
            "Pharmacy called from {free_phone!} about the refill.",
        ],
        "integration": [
            "Integration session on {session_date}: {client_nick} spoke about "
            "{pronoun} {relation}, {relative}.",
            "{pronoun_cap} plans to visit {free_city!} on {free_date!}.",
            "{client_first} shared a playlist at {free_url!}.",
            "Mr. {coworker!} from work has been supportive.",
            "Next session booked for {next_date}.",
        ],
    },
    "heldout": {
        "intake": [
            "Name: {client_full}\nDate of birth: {dob}\nMedical record number {mrn}",
            "Pt is {age} years old, sent to us by {referrer}; referral faxed from {fax}.",
            "Home address {street}, {city}, {state} {zip}. "
            "{pronoun_cap} shares it with {pronoun} {relation}, {relative}.",
            "Best number {phone}, or write to {email}. Insurance: policy number {plan_id}.",
            "In an emergency call {contact} at {contact_phone}.",
            "Employed at {employer}; badge number {other_id}.",
            "Seen for intake {intake_date}. License number {licence}. Social security number {ssn}.",
            "Keeps an online journal ({url}); attached image {photo}.",
        ],
        "preparation": [
            "Prep visit, {session_date}. {client_first} arrived early.",
            "Ride home arranged with {relative_first}; vehicle registration {plate}.",
            "{client_last} asked about eyeshades and silence.",
            "Uses an insulin pump, device serial {device}.",
            "A coworker named {friend!} knows about the treatment.",
            "Telehealth check-in came from IP {ip}; {client_initials} confirmed identity.",
        ],
        "dosing": [
            "Session 3 ({session_date}) for {client_full}: 0.5 mg/kg IM, HR 74.",
            "{support} (support person) stayed in the waiting room with {client_nick}.",
            "Acct no. {account}. Voiceprint ID {biometric} enrolled for phone check-ins.",
            "The pharmacy line {free_phone!} left a message.",
        ],
        "integration": [
            "On {session_date} {client_first} described grief about {pronoun} {relation} {relative}.",
            "Planning a trip to {free_city!}, leaving {free_date!}.",
            "Shared a link: {free_url!}",
            "Says Dr. {coworker!} at the old job was kind.",
            "Following visit set for {next_date}.",
        ],
    },
}


# Clinical sentences with no identifier, planted between the others: what a false alarm looks like.
DISTRACTORS: dict[str, list[str]] = {
    "dev": [
        "PHQ-9 fell from 19 to 11; GAD-7 is 8.",
        "Ketamine 0.5 mg/kg IM; BP 132/84, HR 78, SpO2 98%.",
        "Discussed Set and Setting and the Integration plan.",
        "Sleep improved; appetite stable.",
        "No suicidal ideation; C-SSRS screen negative.",
        "Took Ondansetron 4 mg before the session.",
        "We may revisit the dose in Week 3.",
        "Reviewed the Consent form and the Safety plan.",
        "Mood brighter; affect congruent.",
        "Session lasted 120 minutes with two check-ins.",
        "Music: ambient, no lyrics. Eyeshades worn.",
        "Felt a sense of Oneness and gratitude.",
    ],
    "heldout": [
        "PCL-5 total 41, down from 52.",
        "Sublingual troche 200 mg; vitals stable throughout, RR 14.",
        "Client will bring a Journal to Integration.",
        "Nausea mild, resolved by minute 45.",
        "Denies Psychosis or Mania history; Hypertension controlled.",
        "The Treatment Plan was updated.",
        "Grief work continues; Mindfulness practice daily.",
        "Used the Breathing exercise at 3 points.",
        "Blood pressure recheck at 40 min: 138/86.",
        "Discussed Boundaries and Self-compassion.",
        "Dose held at 1.0 mg/kg pending review.",
        "Hope and meaning were themes today.",
    ],
}


@dataclass
class Note:
    parts: list[str] = field(default_factory=list)
    spans: list[dict[str, Any]] = field(default_factory=list)
    length: int = 0

    def add(self, text: str, cls: str | None = None, known: bool = True) -> None:
        if cls is not None and text:
            self.spans.append(
                {"class": cls, "start": self.length, "end": self.length + len(text), "known": known}
            )
        self.parts.append(text)
        self.length += len(text)

    @property
    def text(self) -> str:
        return "".join(self.parts)


def _date_text(rng: random.Random, d: dt.date) -> str:
    forms = [
        d.isoformat(),
        f"{d.month}/{d.day}/{d.year}",
        f"{d.month:02d}/{d.day:02d}/{d.year % 100:02d}",
        f"{d:%B} {d.day}, {d.year}",
        f"{d:%b} {d.day} {d.year}",
        f"{d.day} {d:%B} {d.year}",
        f"{d:%B} {d.day}",
    ]
    return rng.choice(forms)


def _phone_text(rng: random.Random, digits: str) -> str:
    a, b, c = digits[:3], digits[3:6], digits[6:]
    return rng.choice([f"({a}) {b}-{c}", f"{a}-{b}-{c}", f"{a}.{b}.{c}", f"+1 {a} {b} {c}", f"{a}{b}{c}"])


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _record(rng: random.Random, pools: dict[str, list[str]]) -> dict[str, Any]:
    given, family = rng.sample(pools["given"], 1)[0], rng.choice(pools["family"])
    relative_given = rng.choice([g for g in pools["given"] if g != given])
    contact = f"{rng.choice(pools['given'])} {rng.choice(pools['family'])}"
    support = f"{rng.choice(pools['given'])} {rng.choice(pools['family'])}"
    referrer = f"Dr. {rng.choice(pools['given'])} {rng.choice(pools['family'])}"
    old = rng.random() < 0.15
    dob = TODAY - dt.timedelta(
        days=rng.randint(90 * 365 + 30, 97 * 365) if old else rng.randint(20 * 365, 80 * 365)
    )
    zip_code = rng.choice(["036", "059", "893", "627", "974", "054", "871", "531"]) + _digits(rng, 2)
    street = f"{rng.randint(2, 990)} {rng.choice(pools['street'])} {rng.choice(SUFFIXES)}"
    city, state = rng.choice(pools["town"]), rng.choice(STATES)
    slug = f"{given.lower()}.{family.lower()}"
    return {
        "given": given,
        "family": family,
        "nick": given[:3] if len(given) > 5 else given,
        "relative": f"{relative_given} {family}",
        "relation": rng.choice(RELATIONS),
        "contact": contact,
        "support": support,
        "referrer": referrer,
        "employer": rng.choice(pools["org"]),
        "street": street,
        "city": city,
        "state": state,
        "zip": zip_code,
        "dob": dob,
        "intake": TODAY - dt.timedelta(days=rng.randint(60, 900)),
        "phone": "555" + _digits(rng, 7),
        "contact_phone": "555" + _digits(rng, 7),
        "fax": "555" + _digits(rng, 7),
        "email": f"{slug}@example.org",
        "mrn": "MRN-" + _digits(rng, 8),
        "plan_id": rng.choice("ABCDEFGHJK") + rng.choice("QWXYZ") + "H" + _digits(rng, 9),
        "account": "AC-" + _digits(rng, 6) + "-" + _digits(rng, 2),
        "licence": "D" + _digits(rng, 3) + "-" + _digits(rng, 4) + "-" + _digits(rng, 4),
        "plate": _digits(rng, 1)
        + "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(3))
        + _digits(rng, 3),
        "device": "SN" + _digits(rng, 6) + rng.choice("XYZQ"),
        "url": f"https://{slug.replace('.', '-')}.example.net/journal",
        "ip": f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        "ssn": f"{rng.randint(100, 665)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}",
        "biometric": "BIO-" + _digits(rng, 7),
        "photo": f"IMG_{_digits(rng, 4)}.jpg",
        "other_id": "E" + _digits(rng, 6),
        "pronoun": rng.choice(["her", "his", "their"]),
    }


def _known(r: dict[str, Any], session_dates: list[dt.date]) -> dict[str, Any]:
    """What the record knows, in the engine's plain shape (bench/deid.py builds a ``Known`` from it)."""
    return {
        "people": [
            {"name": f"{r['given']} {r['family']}", "role": "client", "aliases": [r["nick"]]},
            {"name": r["relative"], "role": "family", "aliases": []},
            {"name": r["contact"], "role": "contact", "aliases": []},
            {"name": r["support"], "role": "support", "aliases": []},
            {"name": r["employer"], "role": "employer", "aliases": []},
            {"name": r["referrer"].removeprefix("Dr. "), "role": "referrer", "aliases": []},
        ],
        "values": {
            "address": [f"{r['street']}, {r['city']}, {r['state']} {r['zip']}"],
            "phone": [r["phone"], r["contact_phone"]],
            "fax": [r["fax"]],
            "email": [r["email"]],
            "record_number": [r["mrn"]],
            "health_plan_number": [r["plan_id"]],
            "account_number": [r["account"]],
            "licence_number": [r["licence"]],
            "vehicle_id": [r["plate"]],
            "device_id": [r["device"]],
            "url": [r["url"]],
            "ip_address": [r["ip"]],
            "ssn": [r["ssn"]],
            "biometric_id": [r["biometric"]],
            "photo": [r["photo"]],
            "other": [r["other_id"]],
        },
        "dates": [d.isoformat() for d in [r["intake"], *session_dates]],
        "date_of_birth": r["dob"].isoformat(),
    }


def _note(rng: random.Random, part: str, number: int) -> dict[str, Any]:
    pools = POOLS[part]
    r = _record(rng, pools)
    kind = KINDS[number % len(KINDS)]
    session_date = r["intake"] + dt.timedelta(days=rng.randint(7, 60))
    next_date = session_date + dt.timedelta(days=rng.randint(3, 21))
    free_date = TODAY + dt.timedelta(days=rng.randint(5, 200))
    pron = {"her": ("she", "her"), "his": ("he", "him"), "their": ("they", "them")}[r["pronoun"]]
    age = (TODAY - r["dob"]).days // 365
    free_given = rng.choice(pools["given"])
    values: dict[str, tuple[str, str] | str] = {
        "client_full": (f"{r['given']} {r['family']}", "name"),
        "client_first": (r["given"], "name"),
        "client_last": (r["family"], "name"),
        "client_nick": (r["nick"], "name"),
        "client_initials": (f"{r['given'][0]}.{r['family'][0]}.", "name"),
        "relative": (r["relative"], "name"),
        "relative_first": (r["relative"].split()[0], "name"),
        "contact": (r["contact"], "name"),
        "support": (r["support"], "name"),
        "referrer": (r["referrer"].removeprefix("Dr. "), "name"),
        "employer": (r["employer"], "name"),
        "street": (r["street"], "address"),
        "city": (r["city"], "place"),
        "zip": (r["zip"], "zip"),
        "dob": (_date_text(rng, r["dob"]), "date"),
        "intake_date": (_date_text(rng, r["intake"]), "date"),
        "session_date": (_date_text(rng, session_date), "date"),
        "next_date": (_date_text(rng, next_date), "date"),
        "phone": (_phone_text(rng, r["phone"]), "phone"),
        "contact_phone": (_phone_text(rng, r["contact_phone"]), "phone"),
        "fax": (_phone_text(rng, r["fax"]), "fax"),
        "email": (r["email"], "email"),
        "mrn": (r["mrn"], "record_number"),
        "plan_id": (r["plan_id"], "health_plan_number"),
        "account": (r["account"], "account_number"),
        "licence": (r["licence"], "licence_number"),
        "plate": (r["plate"], "vehicle_id"),
        "device": (r["device"], "device_id"),
        "url": (r["url"], "url"),
        "ip": (r["ip"], "ip_address"),
        "ssn": (r["ssn"], "ssn"),
        "biometric": (r["biometric"], "biometric_id"),
        "photo": (r["photo"], "photo"),
        "other_id": (r["other_id"], "other"),
        "friend!": (f"{free_given} {rng.choice(pools['family'])}", "name"),
        "coworker!": (rng.choice(pools["family"]), "name"),
        "free_phone!": (_phone_text(rng, "555" + _digits(rng, 7)), "phone"),
        "free_city!": (rng.choice(pools["town"]), "place"),
        "free_date!": (_date_text(rng, free_date), "date"),
        "free_url!": (f"https://mix.example.com/{r['given'].lower()}-{_digits(rng, 4)}", "url"),
        "state": r["state"],
        "relation": r["relation"],
        "pronoun": r["pronoun"],
        "pronoun_cap": pron[0].title(),
        "pronoun_obj": pron[1],
    }
    if age > 89:
        values["age"] = (str(age), "age")
    else:
        values["age"] = str(age)
    templates = TEMPLATES[part][kind]
    chosen = templates if kind == "intake" else rng.sample(templates, k=max(3, len(templates) - 1))
    note = Note()
    note.add(f"{kind.title()} note.\n")
    for template in chosen:
        for piece in re.split(r"(\{[a-z_!]+\})", template):
            if piece.startswith("{"):
                slot = piece[1:-1]
                value = values[slot]
                if isinstance(value, tuple):
                    note.add(value[0], value[1], known=not slot.endswith("!"))
                else:
                    note.add(value)
            else:
                note.add(piece)
        note.add(" " if rng.random() < 0.7 else "\n")
        if rng.random() < 0.4:
            note.add(rng.choice(DISTRACTORS[part]) + " ")
    return {
        "id": f"{part}-{number:04d}",
        "kind": kind,
        "part": part,
        "record": _known(r, [session_date, next_date]),
        "text": note.text,
        "spans": note.spans,
    }


def generate(part: str) -> Iterator[dict[str, Any]]:
    rng = random.Random(f"{SEEDS[part]}/{GENERATOR_VERSION}")
    for number in range(SIZES[part]):
        yield _note(rng, part, number)


def path_of(part: str) -> Path:
    return DATA / f"{part}.jsonl.gz"


def write(part: str) -> Path:
    DATA.mkdir(parents=True, exist_ok=True)
    body = "".join(json.dumps(n, ensure_ascii=False, sort_keys=True) + "\n" for n in generate(part))
    path = path_of(part)
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as fh:
        fh.write(body.encode("utf-8"))
    return path


def load(part: str) -> list[dict[str, Any]]:
    with gzip.open(path_of(part), "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


if __name__ == "__main__":
    for name in SEEDS:
        print(f"wrote {write(name)}")
