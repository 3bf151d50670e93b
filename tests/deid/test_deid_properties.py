"""Properties of the engine over generated records and notes (hypothesis).

Planted known values are always found; after every suggestion is applied no planted value is left;
running the engine on its own output changes nothing (idempotence).
"""

from __future__ import annotations

import datetime as dt
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kapstone.deid import Known, KnownPerson, deidentify
from kapstone.deid.known import COMMON_WORDS, MONTHS
from kapstone.deid.lexicon import NOT_NAMES

TODAY = dt.date(2026, 12, 2)
Case = tuple[Known, str, list[tuple[int, int, str]]]
RESERVED = (
    NOT_NAMES
    | COMMON_WORDS
    | set(MONTHS)
    | {
        "client",
        "family",
        "contact",
        "support",
        "employer",
        "referrer",
        "clinician",
        "person",
        "name",
        "date",
        "place",
        "address",
        "phone",
        "fax",
        "email",
        "url",
        "id",
        "age",
        "zip",
        "record",
        "plan",
        "account",
        "licence",
        "vehicle",
        "device",
        "biometric",
        "photo",
        "health",
        "ip",
        "no",
        "ssn",
    }
)  # placeholder words: a planted name equal to one would survive as part of "[CLIENT]"

FILLER = [
    "Preparation session went well.",
    "Integration focused on grief.",
    "BP 124/80 before dosing.",
    "Client described a sense of spaciousness.",
    "PHQ-9 fell to 9.",
    "Music was gentle.",
    "We discussed sleep and appetite.",
    "No adverse events.",
    "Set and setting reviewed.",
]

word = st.from_regex(r"[A-Z][a-z]{2,9}", fullmatch=True).filter(lambda w: w.lower() not in RESERVED)
dates = st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2026, 11, 30))
digits = st.from_regex(r"[0-9]{7,10}", fullmatch=True)
phone = st.from_regex(r"[2-9][0-9]{2}[2-9][0-9]{6}", fullmatch=True)


def date_forms(d: dt.date) -> list[str]:
    return [d.isoformat(), f"{d.month}/{d.day}/{d.year}", f"{d:%B} {d.day}, {d.year}",
            f"{d.day} {d:%B} {d.year}",
            f"{d.month:02d}/{d.day:02d}/{d.year % 100:02d}"]  # fmt: skip


def phone_forms(p: str) -> list[str]:
    return [
        f"({p[:3]}) {p[3:6]}-{p[6:]}",
        f"{p[:3]}-{p[3:6]}-{p[6:]}",
        f"{p[:3]}.{p[3:6]}.{p[6:]}",
        f"+1 {p}",
    ]


@st.composite
def planted(draw: st.DrawFn) -> Case:
    given_name, family_name, relative, friend, street, city = draw(
        st.lists(word, min_size=6, max_size=6, unique_by=str.lower)
    )
    house, zip_code = draw(st.integers(1, 9999)), draw(st.from_regex(r"[0-9]{5}", fullmatch=True))
    plan, age = draw(st.from_regex(r"[A-Z]{3}[0-9]{6,9}", fullmatch=True)), draw(st.integers(90, 110))
    when, dob = draw(dates), draw(st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2005, 1, 1)))
    number, mrn = draw(phone), draw(digits)
    known = Known(
        people=(KnownPerson(f"{given_name} {family_name}", "client"),
                KnownPerson(f"{relative} {family_name}", "family"),
                KnownPerson(friend, "contact")),
        values={"phone": (f"{number[:3]}-{number[3:6]}-{number[6:]}",), "record_number": (f"MRN-{mrn}",),
                "email": (f"{given_name.lower()}.{family_name.lower()}@example.org",),
                "address": (f"{house} {street} Lane, {city}, IL {zip_code}",), "health_plan_number": (plan,),
                "age": (str(age),)},
        dates=(when,),
        date_of_birth=dob,
    )  # fmt: skip
    pieces: list[tuple[str, str]] = [
        (draw(st.sampled_from([given_name, f"{given_name} {family_name}", family_name.upper(),
                               f"{given_name[0]}. {family_name}"])), "name"),
        (relative, "name"), (friend, "name"),
        (draw(st.sampled_from(date_forms(when))), "date"),
        (draw(st.sampled_from(phone_forms(number))), "phone"),
        (draw(st.sampled_from([f"MRN {mrn}", f"MRN-{mrn}", mrn])), "record_number"),
        (f"{given_name.lower()}.{family_name.lower()}@example.org", "email"),
        (f"{house} {street} Lane", "address"), (city, "place"), (zip_code, "zip"),
        (plan, "health_plan_number"),
        (draw(st.sampled_from([f"{age} years old", f"aged {age}", f"{age}-year-old"])), "age"),
    ]  # fmt: skip
    order = draw(st.permutations(range(len(pieces))))
    text, planted_at = "", []
    for i in order:
        text += draw(st.sampled_from(FILLER)) + " "
        value, cls = pieces[i]
        text += "Mentioned: "
        planted_at.append((len(text), len(text) + len(value), cls))
        text += value + draw(st.sampled_from(["", "'s", "’s"])) + ". "  # a possessive stays outside the span
    return known, text, planted_at


SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(planted())
def test_every_planted_known_value_is_covered_by_a_span(
    case: Case,
) -> None:
    known, text, planted_at = case
    result = deidentify(text, known, today=TODAY)
    for start, end, cls in planted_at:
        covered = [s for s in result.spans if s.start < end and start < s.end]
        wanted = {i for i in range(start, end) if text[i].isalnum()}
        got = {i for s in covered for i in range(s.start, s.end)}
        assert wanted <= got, (cls, text[start:end], result.spans)


@SETTINGS
@given(planted())
def test_no_planted_value_survives_the_suggestions(
    case: Case,
) -> None:
    known, text, _ = case
    out = deidentify(text, known, today=TODAY).text
    out = re.sub(r"\[[A-Z][A-Z0-9+\-]*\]", " ", out)  # the placeholders' own words ("[AGE-90+]")
    for cls, value in known.all_values():
        if cls == "name":
            for part in value.split():
                assert not re.search(rf"(?<![\w\[-]){re.escape(part)}(?!\w)", out, re.IGNORECASE), (part, out)
        elif cls == "date":
            assert value not in out
        elif cls == "address":
            for part in re.findall(r"[A-Za-z]{3,}", value):
                if part not in {"Lane"}:
                    assert not re.search(rf"(?<![\w\[-]){part}(?!\w)", out), (part, out)
            assert value.split(",")[-1].split()[-1] not in out  # the ZIP: only its first three digits stay
        elif cls == "age":
            assert not re.search(rf"(?<!\d){value}(?!\d)", out), (value, out)
        else:  # the value's letters and digits in a row, whatever separates them
            pattern = r"[\s\-./:]?".join(re.escape(c) for c in value if c.isalnum())
            assert not re.search(rf"(?<![\w-]){pattern}(?![\w])", out, re.IGNORECASE), (value, out)


@SETTINGS
@given(planted())
def test_the_engine_is_idempotent(case: Case) -> None:
    known, text, _ = case
    once = deidentify(text, known, today=TODAY)
    twice = deidentify(once.text, known, today=TODAY)
    assert twice.text == once.text
    assert twice.spans == ()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gives_well_formed_spans(text: str) -> None:
    result = deidentify(text, today=TODAY)
    end = 0
    for span in result.spans:
        assert end <= span.start < span.end <= len(text)
        end = span.end
    for flag in result.flags:
        assert 0 <= flag.start < flag.end <= len(text)


TOKENS = [
    "on", "since", "Thursday", "Tue.", "2/13", "12/13/24", "3.4.2021", "2024-02-30", "March", "May", "14th",
    "of", "'19", "aged", "93", "95-year-old", "in her nineties", "Dr.", "Mr", "Quill", "Rowan's", "sister",
    "named", "with", "Kowalczyk", "IL", "62704", "zip", "03601-1234", "555-201-3344", "(555)", "x12", "fax",
    "SSN", "123-45-6789", "MRN:", "A-00123", "VIN", "1HGCM82633A004352", "10.0.0.256", "10.0.0.1.", "::1",
    "fe80::1", "www.", "http://", "a@b.co", "@handle", "IMG_1.jpg", "Apt", "4B", "12", "Elm", "St.", "County",
    "Hospital", "lives", "in", "Springfield,", "OR", ".", ",", "\n", "Name:", "judge", "small town",
    "[CLIENT]",
]  # fmt: skip


SEPARATORS = st.lists(st.sampled_from([" ", "\n", ", ", ". "]), max_size=40)


def _join(tokens: list[str], seps: list[str], glue: str = " ") -> str:
    return "".join(t + (seps[i] if i < len(seps) else glue) for i, t in enumerate(tokens))


def _well_formed(text: str) -> str:
    result = deidentify(text, today=TODAY)
    end = 0
    for span in result.spans:
        assert end <= span.start < span.end <= len(text)
        end = span.end
    return result.text


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=40), SEPARATORS)
def test_clinical_looking_text_never_breaks_the_engine(tokens: list[str], seps: list[str]) -> None:
    out = _well_formed(_join(tokens, seps))
    assert deidentify(out, today=TODAY).text == out


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=40))
def test_tokens_glued_together_never_break_the_engine(tokens: list[str]) -> None:
    _well_formed("".join(tokens))
