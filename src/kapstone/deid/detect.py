"""The second line: detectors for the Safe Harbor classes, without knowing the record (no Django).

Patterns of our own, chosen over the packages on the lists: ``phonenumbers``, ``usaddress`` and
``dateparser`` are not installed here (and ``dateparser`` parses a string it is given rather than
finding dates in prose); Presidio's recognisers need a spaCy model fetched from outside the registries;
``philter-lite`` needs tagger data at run time. Each rule here is a small regex with the context that
makes it precise enough, and recall is measured on the planted corpus (bench/deid.py).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

from kapstone.deid.known import LEFT, MONTHS, RIGHT, Hit
from kapstone.deid.lexicon import (
    FAMILY_NAMES,
    GIVEN_NAMES,
    NOT_NAMES,
    RELATION_WORDS,
    STATE_NAMES_LOWER,
    STATES,
)

ICASE = re.IGNORECASE
MONTH_RE = "|".join(
    MONTHS + ("jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec")
)
MONTH_CAP = "|".join(m.title() for m in MONTHS) + "|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
ORD = r"(?:st|nd|rd|th)?"
STATE_ABBR = "|".join(STATES)
STATE_NAME = "|".join(re.escape(s) for s in STATES.values())
CAP = r"[A-Z][a-z]+(?:['’-][A-Z][a-z]+)*"  # a capitalised word, "O'Brien", "Smith-Jones" (not "Rowan's")
CAPS_PHRASE = rf"{CAP}(?:\s+{CAP}){{0,2}}"
STREET_SUFFIX = (
    r"(?:Street|St|Avenue|Ave|Av|Road|Rd|Lane|Ln|Drive|Dr|Court|Ct|Boulevard|Blvd|Way|Place|Pl|Terrace|"
    r"Ter|Circle|Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq|Trail|Trl|Row|Loop|Crescent|Close|Alley|Path)"
)
HOLIDAYS = (
    r"(?:Christmas(?: Eve| Day)?|New Year's(?: Eve| Day)?|Thanksgiving|Easter|Halloween|Hanukkah|"
    r"Passover|Yom Kippur|Rosh Hashanah|Diwali|Ramadan|Eid|Valentine's Day|Mother's Day|Father's Day|"
    r"Independence Day|Fourth of July|July 4th|Labor Day|Memorial Day|Veterans Day|Juneteenth)"
)

# Labelled identifiers: the label says what the number is. Longest labels first within each class,
# and vehicle before licence ("licence plate" is a vehicle, "licence number" is not).
LABELS: tuple[tuple[str, str], ...] = (
    (
        "vehicle_id",
        r"licen[cs]e\s+plates?|number\s+plates?|plates?|VIN|vehicle\s+(?:id|identification)|"
        r"registration|tag",
    ),
    (
        "device_id",
        r"serial(?:\s+(?:number|no\.?))?|S/N|SN|device\s+(?:id|serial)|IMEI|UDI|MAC(?:\s+address)?|"
        r"pump|implant(?:\s+id)?|pacemaker|hearing\s+aid|CPAP(?:\s+serial)?|tracker",
    ),
    ("ssn", r"SSN|social\s+security(?:\s+(?:number|no\.?|#))?|SS#"),
    (
        "record_number",
        r"MRN|medical\s+record(?:\s+(?:number|no\.?|#))?|record(?:\s+(?:number|no\.?|#))|"
        r"chart(?:\s+(?:number|no\.?|#))?|patient\s+(?:id|number|no\.?)|pt\.?\s+id|"
        r"hospital\s+(?:id|number)|encounter(?:\s+(?:id|number))?",
    ),
    (
        "health_plan_number",
        r"member\s+(?:id|number|no\.?)|subscriber\s+(?:id|number)|policy(?:\s+(?:number|no\.?|#))?|"
        r"insurance\s+(?:id|number|no\.?)|health\s+plan(?:\s+(?:id|number|no\.?))?|"
        r"beneficiary(?:\s+(?:id|number))?|medicaid(?:\s+(?:id|number))?|"
        r"medicare(?:\s+(?:id|number))?|group\s+(?:number|no\.?)|plan\s+id",
    ),
    (
        "account_number",
        r"account(?:\s+(?:number|no\.?|#))?|acct\.?(?:\s+(?:number|no\.?|#))?|"
        r"billing\s+(?:id|number)|invoice(?:\s+(?:number|no\.?))?|card(?:\s+ending(?:\s+in)?)?|"
        r"routing(?:\s+number)?|iban",
    ),
    (
        "licence_number",
        r"driver['’]?s\s+licen[cs]e(?:\s+(?:number|no\.?|#))?|licen[cs]e(?:\s+(?:number|no\.?|#))?|"
        r"DL|NPI|DEA(?:\s+(?:number|no\.?|#))?|certificate(?:\s+(?:number|no\.?|#))?|"
        r"permit(?:\s+(?:number|no\.?))?|passport(?:\s+(?:number|no\.?))?",
    ),
    (
        "biometric_id",
        r"fingerprint(?:\s+(?:id|template|record))?|voiceprint(?:\s+id)?|retina(?:l)?\s+scan(?:\s+id)?|"
        r"iris\s+(?:scan|template)(?:\s+id)?|biometric(?:\s+(?:id|template))?|face\s+id|palm\s+print",
    ),
    ("photo", r"photo(?:graph)?|image|picture|selfie|headshot"),
    (
        "other",
        r"employee\s+(?:id|number)|badge(?:\s+(?:id|number))?|student\s+(?:id|number)|case\s+(?:number|no\.?)|"
        r"confirmation(?:\s+(?:code|number))?|ticket(?:\s+number)?|ID(?:\s+(?:number|no\.?))?|"
        r"reference(?:\s+(?:number|no\.?))?|tracking(?:\s+number)?|inmate\s+(?:id|number)|docket",
    ),
)
ID_VALUE = r"(?=[A-Za-z0-9\-./]*\d)[A-Za-z0-9][A-Za-z0-9\-./]{2,}[A-Za-z0-9]"
LABEL_GLUE = r"\s*(?:(?:number|no\.?|num|#|id|is|was|:|=|of|ending\s+in)\s*){0,3}"


def _labelled() -> list[tuple[str, re.Pattern[str]]]:
    return [
        (cls, re.compile(rf"{LEFT}(?:{labels}){LABEL_GLUE}[:#]?\s*({ID_VALUE})(?![\w])", ICASE))
        for cls, labels in LABELS
    ]


LABELLED = _labelled()
PHOTO_FILE = re.compile(rf"{LEFT}[\w\-.]+\.(?:jpe?g|png|heic|gif|bmp|tiff?|webp){RIGHT}", ICASE)

EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}(?![A-Za-z-])"
)
URL = re.compile(
    r"(?<![\w@])(?:(?:https?|ftp)://|www\.)[^\s<>\"'()\[\]]+"
    r"|(?<![\w@.])[A-Za-z0-9][A-Za-z0-9\-]*(?:\.[A-Za-z0-9\-]+)*\."
    r"(?:com|org|net|edu|gov|io|co|us|info|biz|me|app|health|clinic|example|social|page|site|online)"
    r"(?:/[^\s<>\"'()\[\]]*)?(?![\w-])",
    ICASE,
)
HANDLE = re.compile(r"(?<![\w@.])@[A-Za-z0-9_][A-Za-z0-9_.]{2,}(?![\w@])")
IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?!\d|\.\d)")
# Any run of hex groups and colons (compressed "::" forms included, a group may be empty); the
# candidate then has to parse as an IPv6 address, which leaves out times ("10:30:45") and MACs.
IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
MAC = re.compile(r"(?<![\w:-])(?:[0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}(?![\w:-])")
SSN = re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}[- ](?!00)\d{2}[- ](?!0000)\d{4}(?![\d-])")
PHONE = re.compile(
    r"(?<![\w+/])(?:\+?1[\s.\-]?)?(?:\(\d{3}\)\s*|\d{3}[\s.\-]?)\d{3}[\s.\-]?\d{4}"
    r"(?:\s*(?:x|ext\.?|extension)\s*\d{1,6})?(?![\w/])"
    r"|(?<![\w+])\+\d{1,3}(?:[\s.\-]?\(?\d{1,5}\)?){2,5}\d(?![\w])",
    ICASE,
)
FAX_CUE = re.compile(r"fax|facsimile", ICASE)
VIN = re.compile(
    r"(?<![\w])(?=[A-HJ-NPR-Z0-9]*\d)(?=[A-HJ-NPR-Z0-9]*[A-HJ-NPR-Z])[A-HJ-NPR-Z0-9]{17}(?![\w])"
)
IMEI = re.compile(r"(?<![\w-])\d{15}(?![\w-])")

DATES = [
    re.compile(
        rf"{LEFT}(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?(?:{MONTH_RE})\.?\s+\d{{1,2}}{ORD}"
        rf"(?:,?\s+(\d{{4}}|'\d{{2}}))?{RIGHT}",
        ICASE,
    ),
    re.compile(rf"{LEFT}\d{{1,2}}{ORD}\s+(?:of\s+)?(?:{MONTH_RE})\.?(?:,?\s+(\d{{4}}))?{RIGHT}", ICASE),
    re.compile(rf"{LEFT}(?:{MONTH_CAP})\.?,?\s+(?:of\s+)?(\d{{4}}){RIGHT}"),
    re.compile(rf"{LEFT}(\d{{4}})[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01]){RIGHT}"),
    re.compile(
        r"(?<![\w/.\-])(?:0?[1-9]|[12]\d|3[01])[/.\-](?:0?[1-9]|[12]\d|3[01])[/.\-](\d{4}|\d{2})(?![\w/\-]|\.\d)"
    ),
    re.compile(
        rf"{LEFT}(?:on|since|by|until|till|from|dated|before|after|of|to|next|last|"
        rf"(?:mon|tues|wednes|thurs|fri|satur|sun)day|(?:mon|tue|wed|thu|fri|sat|sun)\.?)\s+"
        r"((?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\d|3[01]))(?![\w/])",
        ICASE,
    ),
    re.compile(
        rf"{LEFT}(?:(?:early|mid|late|end\s+of|beginning\s+of|in|since|until|by|during|last|this|next)[\s-]+)"
        rf"((?:{MONTH_CAP})){RIGHT}"
    ),
    re.compile(rf"{LEFT}{HOLIDAYS}(?:\s+(\d{{4}}))?{RIGHT}"),
]
AGES = [
    re.compile(rf"{LEFT}(\d{{2,3}})\s*(?:-\s*)?(?:years?|yrs?|y/?o|y\.o\.)(?:\s*-?\s*old)?{RIGHT}", ICASE),
    re.compile(rf"{LEFT}(?:aged?|age\s+of|turned|turning|is\s+now)\s*:?\s*(\d{{2,3}}){RIGHT}", ICASE),
    re.compile(rf"{LEFT}(\d{{2,3}})(?:st|nd|rd|th)\s+birthday{RIGHT}", ICASE),
    re.compile(
        rf"{LEFT}(?:in\s+(?:his|her|their)\s+)(?:early\s+|mid-?\s*|late\s+)?(9\d|1\d\d)s{RIGHT}", ICASE
    ),
    re.compile(
        rf"{LEFT}(?:ninety|one\s+hundred)(?:[\s-]+(?:one|two|three|four|five|six|seven|eight|nine))?"
        rf"(?:[\s-]+years?(?:[\s-]+old)?)?{RIGHT}|{LEFT}(?:nonagenarian|centenarian){RIGHT}",
        ICASE,
    ),
    re.compile(rf"{LEFT}(?:in\s+(?:his|her|their)\s+)(?:early\s+|mid-?\s*|late\s+)?nineties{RIGHT}", ICASE),
]
ZIP = re.compile(
    rf"(?:(?-i:[A-Z][a-z]+,?\s+(?:{STATE_ABBR}))|\b(?:{STATE_NAME})|\bzip(?:\s+code)?|\bpostal\s+code)"
    r"[\s,:#]*(\d{5}(?:-\d{4})?)(?![\d-])",
    ICASE,
)
ZIP_PLUS4 = re.compile(r"(?<![\d-])\d{5}-\d{4}(?![\d-])")
STREET = re.compile(
    rf"{LEFT}\d{{1,6}}[A-Za-z]?\s+(?:[NSEW]\.?\s+)?(?:{CAP}\s+){{0,3}}{STREET_SUFFIX}\.?"
    rf"(?:,?\s*(?:Apt|Apartment|Unit|Suite|Ste|#)\.?\s*[A-Za-z0-9-]+)?{RIGHT}"
)
STREET_NO_NUMBER = re.compile(rf"{LEFT}(?:on|off|near|at)\s+((?:{CAP}\s+){{1,3}}{STREET_SUFFIX}){RIGHT}")
PO_BOX = re.compile(rf"{LEFT}P\.?\s*O\.?\s*Box\s+\d+{RIGHT}", ICASE)
UNIT = re.compile(rf"{LEFT}(?:Apt|Apartment|Unit|Suite)\.?\s*#?\s*[A-Za-z0-9-]*\d[A-Za-z0-9-]*{RIGHT}")
CITY_STATE = re.compile(rf"({CAPS_PHRASE}),\s*(?:{STATE_ABBR}|{STATE_NAME}){RIGHT}")
PLACE_CUE = re.compile(
    rf"{LEFT}(?:lives|living|live|lived|grew\s+up|moved|moving|raised|born|relocated|resides|residing|"
    rf"hometown\s+(?:is|was)|town\s+of|city\s+of|village\s+of|county\s+of|commutes|drove|drives|"
    rf"travelled|traveled|travel|works|worked|stays|staying|visit|visits|visiting|visited|went\s+back|"
    rf"returned|trip|flew|fly|flying|drive|driving|going|headed|heading|vacation|holiday|weekend)"
    rf"(?:\s+(?:in|to|near|at|from|outside|back\s+to|into|of))?\s+((?:{CAP}\s+){{0,2}}{CAP}){RIGHT}"
)
COUNTY = re.compile(rf"{LEFT}((?:{CAP}\s+){{1,2}})(?:County|Parish|Township|Borough){RIGHT}")
FACILITY = re.compile(
    rf"{LEFT}(?:(?:St\.?|Saint)\s+)?(?:{CAP}\s+){{1,3}}(?:Hospital|Medical\s+Center|Clinic|Health|Elementary|"
    rf"Middle\s+School|High\s+School|School|Academy|University|College|Church|Temple|Mosque|Synagogue|"
    rf"Cafe|Café|Bakery|Diner|Restaurant|Bar|Gym|Prison|Jail|Shelter|Center|Centre|Mall|Park|Lake|"
    rf"Company|Corp|Corporation|Inc|LLC|Ltd|Industries|Bank|Pharmacy|Market|Farm|Ranch|Hotel|Motel){RIGHT}"
)
TITLE_NAME = re.compile(
    rf"{LEFT}(?:Mr|Mrs|Ms|Mx|Miss|Dr|Prof|Rev|Fr|Sr|Capt|Sgt|Officer|Judge|Coach)\.?\s+({CAP}(?:\s+{CAP})?)"
)
RELATION_NAME = re.compile(
    rf"{LEFT}(?:{'|'.join(re.escape(w) for w in RELATION_WORDS)})\s*,?\s+(?:named\s+|called\s+|is\s+)?"
    rf"((?-i:{CAP}(?:\s+{CAP})?))",
    ICASE,
)
NAMED = re.compile(
    rf"{LEFT}(?:named|called|goes\s+by|known\s+as|nicknamed|signed|pseudonym)\s+['\"“]?({CAP}(?:\s+{CAP})?)"
)
HEADER_NAME = re.compile(
    rf"(?:^|\n)\s*(?:Name|Patient|Client|Pt|Re|Signed|Author|Contact|From|To|cc)\s*:\s*({CAP}(?:\s+{CAP}){{0,2}})"
)
WITH_NAME = re.compile(
    rf"{LEFT}(?:with|and|by|from|to|told|asked|called|texted|visited|saw|met)\s+({CAP})\s+({CAP}){RIGHT}"
)
# One capitalised word after a verb of speaking or meeting someone: a person, more often than not.
CONTACT_NAME = re.compile(
    rf"{LEFT}(?:spoke\s+with|spoke\s+to|talked\s+(?:with|to)|told|asked|called|texted|emailed|visited|saw|met"
    rf"|phoned|according\s+to|per)\s+((?-i:{CAP})){RIGHT}(?!\s+(?-i:{CAP}))",
    ICASE,
)
CAP_WORD = re.compile(rf"{LEFT}({CAP}){RIGHT}")
POSSESSIVE_TAIL = re.compile(r"['’]s?$")
NUMBERISH = re.compile(r"(?<![\w\-])(?=[A-Za-z0-9\-]*\d)[A-Za-z0-9][A-Za-z0-9\-]{4,}(?![\w\-])")


def _year(group: str | None) -> int | None:
    if not group:
        return None
    g = group.lstrip("'")
    if not g.isdigit():
        return None  # the date part of "on 2/13", not a year
    if len(g) == 4:
        return int(g)
    if len(g) == 2:
        n = int(g)
        return 2000 + n if n <= 40 else 1900 + n
    return None


def _name_ok(word: str) -> bool:
    bare = POSSESSIVE_TAIL.sub("", word)
    return bool(bare) and bare.lower() not in NOT_NAMES and bare.lower() not in STATE_NAMES_LOWER


def _names(text: str) -> Iterator[Hit]:  # noqa: C901 - one case per rule; listed in issue #10 to split
    def person(m: re.Match[str], group: int, why: str, conf: float) -> Iterator[Hit]:
        words = m.group(group).split()
        # Drop trailing words that are not names ("Theo Monday" -> "Theo").
        while words and not _name_ok(words[-1]):
            words.pop()
        if not words or not _name_ok(words[0]):
            return
        start = m.start(group)
        end = (
            start + len(" ".join(words))
            if len(words) == len(m.group(group).split())
            else start + len(words[0])
        )
        if len(words) > 1:
            end = text.index(words[-1], start) + len(words[-1])
        yield Hit("name", start, end, why, "name:" + " ".join(words).lower(), conf, "detector")

    for m in TITLE_NAME.finditer(text):
        yield from person(m, 1, "a title before a name", 0.95)
    for m in RELATION_NAME.finditer(text):  # the name part is case-sensitive: always capitalised
        yield from person(m, 1, "a relation word before a name", 0.85)
    for m in NAMED.finditer(text):
        yield from person(m, 1, "'named' or 'called' before a name", 0.9)
    for m in HEADER_NAME.finditer(text):
        yield from person(m, 1, "a name field", 0.95)
    for m in WITH_NAME.finditer(text):
        a, b = m.group(1), m.group(2)
        if _name_ok(a) and _name_ok(b):
            yield Hit("name", m.start(1), m.end(2), "two capitalised words after a verb of contact",
                      "name:" + f"{a} {b}".lower(), 0.7, "detector")  # fmt: skip
    for m in CONTACT_NAME.finditer(text):
        if _name_ok(m.group(1)):
            yield Hit("name", m.start(1), m.end(1), "a capitalised word after a verb of contact",
                      "name:" + m.group(1).lower(), 0.6, "detector")  # fmt: skip
    for m in CAP_WORD.finditer(text):
        word = POSSESSIVE_TAIL.sub("", m.group(1))
        low = word.lower()
        if low in NOT_NAMES or low in STATE_NAMES_LOWER:
            continue
        if low in GIVEN_NAMES or low in FAMILY_NAMES:
            yield Hit("name", m.start(1), m.start(1) + len(word), "a dictionary name, capitalised",
                      "name:" + low, 0.75, "detector")  # fmt: skip


def _places(text: str) -> Iterator[Hit]:
    for m in STREET.finditer(text):
        yield Hit(
            "address",
            m.start(),
            m.end(),
            "a street address",
            "address:" + m.group(0).lower(),
            0.95,
            "detector",
        )
    for m in STREET_NO_NUMBER.finditer(text):
        yield Hit(
            "address",
            m.start(1),
            m.end(1),
            "a street name",
            "address:" + m.group(1).lower(),
            0.85,
            "detector",
        )
    for m in PO_BOX.finditer(text):
        yield Hit("address", m.start(), m.end(), "a post-office box", "address:po", 0.95, "detector")
    for m in UNIT.finditer(text):
        yield Hit("address", m.start(), m.end(), "an apartment or unit", "address:unit", 0.8, "detector")
    for m in CITY_STATE.finditer(text):
        words = m.group(1).split()
        while words and words[0].lower() in NOT_NAMES | {"in", "from", "near", "to", "at"}:
            words.pop(0)
        if words:
            city = " ".join(words)
            start = m.start(1) + m.group(1).index(city)
            yield Hit(
                "place",
                start,
                start + len(city),
                "a town before its state",
                "place:" + city.lower(),
                0.9,
                "detector",
            )
    for m in PLACE_CUE.finditer(text):
        place = m.group(1)
        if place.lower() in STATE_NAMES_LOWER or place.upper() in STATES or place.lower() in NOT_NAMES:
            continue
        why = "a place after 'lives in', 'moved to', ..."
        yield Hit("place", m.start(1), m.end(1), why, "place:" + place.lower(), 0.8, "detector")
    for m in COUNTY.finditer(text):
        yield Hit("place", m.start(), m.end(), "a county", "place:" + m.group(0).lower(), 0.9, "detector")
    for m in FACILITY.finditer(text):
        why = "a named facility, school or business"
        yield Hit("place", m.start(), m.end(), why, "place:" + m.group(0).lower(), 0.8, "detector")
    for pattern in (ZIP, ZIP_PLUS4):
        for m in pattern.finditer(text):
            g = m.group(1) if m.groups() else m.group(0)
            start = m.start(1) if m.groups() else m.start()
            yield Hit("zip", start, start + len(g), "a ZIP code", "zip:" + g[:5], 0.95, "detector")


def _numbers(text: str) -> Iterator[Hit]:  # noqa: C901 - one case per rule; listed in issue #10 to split
    for m in EMAIL.finditer(text):
        yield Hit(
            "email", m.start(), m.end(), "an email address", "email:" + m.group(0).lower(), 0.99, "detector"
        )
    for m in URL.finditer(text):
        url = m.group(0).rstrip(".,;:!?")  # never the domain of an e-mail: the pattern refuses a leading @
        yield Hit(
            "url", m.start(), m.start() + len(url), "a web address", "url:" + url.lower(), 0.95, "detector"
        )
    for m in HANDLE.finditer(text):
        yield Hit(
            "url", m.start(), m.end(), "a social-media handle", "url:" + m.group(0).lower(), 0.85, "detector"
        )
    for m in IPV4.finditer(text):
        try:
            ipaddress.IPv4Address(m.group(0))
        except ValueError:
            continue
        yield Hit("ip_address", m.start(), m.end(), "an IPv4 address", "ip:" + m.group(0), 0.95, "detector")
    for m in IPV6.finditer(text):
        try:
            ipaddress.IPv6Address(m.group(0))
        except ValueError:
            continue
        # A valid IPv6 address has 8 groups or a "::", so it is never a MAC address (6 groups).
        yield Hit("ip_address", m.start(), m.end(), "an IPv6 address", "ip:" + m.group(0), 0.9, "detector")
    for m in MAC.finditer(text):
        yield Hit(
            "device_id", m.start(), m.end(), "a MAC address", "device:" + m.group(0).lower(), 0.9, "detector"
        )
    for m in SSN.finditer(text):
        yield Hit(
            "ssn",
            m.start(),
            m.end(),
            "shaped like a social security number",
            "ssn:" + m.group(0),
            0.9,
            "detector",
        )
    for m in PHONE.finditer(text):
        before = text[max(0, m.start() - 24) : m.start()]
        cls = "fax" if FAX_CUE.search(before) else "phone"
        digits = re.sub(r"\D", "", m.group(0))
        yield Hit(cls, m.start(), m.end(), f"a {cls} number", f"{cls}:{digits[-10:]}", 0.9, "detector")
    for cls, pattern in LABELLED:
        for m in pattern.finditer(text):
            yield Hit(cls, m.start(1), m.end(1), f"labelled as {cls.replace('_', ' ')}",
                      f"{cls}:{m.group(1).lower()}", 0.9, "detector")  # fmt: skip
    for m in PHOTO_FILE.finditer(text):
        yield Hit(
            "photo", m.start(), m.end(), "an image file", "photo:" + m.group(0).lower(), 0.9, "detector"
        )
    for m in VIN.finditer(text):
        yield Hit("vehicle_id", m.start(), m.end(), "shaped like a vehicle identification number",
                  "vehicle:" + m.group(0), 0.85, "detector")  # fmt: skip
    for m in IMEI.finditer(text):
        yield Hit(
            "device_id",
            m.start(),
            m.end(),
            "shaped like a device IMEI",
            "device:" + m.group(0),
            0.6,
            "detector",
        )


def _dates(text: str) -> Iterator[Hit]:
    for pattern in DATES:
        for m in pattern.finditer(text):
            groups = [g for g in m.groups() if g]
            span_start, span_end = m.start(), m.end()
            if (
                pattern.groups
                and m.group(pattern.groups)
                and not re.fullmatch(r"'?\d{2,4}", m.group(pattern.groups))
            ):
                span_start, span_end = m.start(pattern.groups), m.end(pattern.groups)  # the date part only
            year = next((y for g in groups if (y := _year(g)) is not None), None)
            if year is None:
                found = text[span_start:span_end]  # "2/13" has no year, whatever precedes it
                tail = re.search(r"(?:[/.\-]|,?\s+)(\d{4}|'?\d{2})$", found)
                no_year = re.fullmatch(r"\d{1,2}[/.\-]\d{1,2}", found)
                year = _year(tail.group(1)) if tail and not no_year else None
            yield Hit("date", span_start, span_end, "a date", f"date:{year}", 0.9, "detector")


def _ages(text: str, oldest: int) -> Iterator[Hit]:
    for pattern in AGES:
        for m in pattern.finditer(text):
            number = next((g for g in m.groups() if g), None)
            if number is not None and number.isdigit() and int(number) <= oldest:
                continue
            yield Hit("age", m.start(), m.end(), f"an age over {oldest}", "age", 0.9, "detector")


def detector_hits(text: str, *, oldest: int = 89) -> list[Hit]:
    hits = [*_numbers(text), *_dates(text), *_ages(text, oldest), *_places(text), *_names(text)]
    return [h for h in hits if h.end > h.start]


def unexplained_numbers(text: str) -> Iterator[tuple[int, int]]:
    """Runs of 5 or more digits (or mixed letters and 4+ digits) that look like an identifier."""
    for m in NUMBERISH.finditer(text):
        token = m.group(0)
        digits = sum(c.isdigit() for c in token)
        letters = sum(c.isalpha() for c in token)
        if (
            digits >= 5
            or (digits >= 4 and letters >= 1 and len(token) >= 6)
            or (digits >= 3 and letters >= 3)
        ):  # a bare year ("2019") never gets here: NUMBERISH needs 5 characters
            yield m.start(), m.end()
