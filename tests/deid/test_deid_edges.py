"""Each detector's edge cases, each known-value rule's edge cases, and the refusals of the record's
KNOWN.json: what is replaced, what is left, and the message when the input cannot be used."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kapstone.deid import Known, KnownPerson, deidentify
from kapstone.deid.detect import _year, detector_hits, unexplained_numbers
from kapstone.deid.known import known_hits
from kapstone.deid.rules import date_placeholder, oldest_shown, zip_placeholder

TODAY = dt.date(2026, 12, 2)


def _found(text: str) -> set[tuple[str, str]]:
    return {(h.cls, text[h.start : h.end]) for h in detector_hits(text)}


@pytest.mark.parametrize(
    ("text", "expected", "absent"),
    [
        # names: trailing non-name words are dropped; a title before a non-name finds nobody
        ("Saw Dr Theo Monday.", ("name", "Theo"), ("name", "Theo Monday")),
        ("Saw Dr Today Theo.", None, ("name", "Today Theo")),
        ("Ask Mr Smith-Jones.", ("name", "Smith-Jones"), None),
        ("We met with Today Quill.", None, ("name", "Today Quill")),
        ("She told Today about it.", None, ("name", "Today")),
        # places
        ("They live on Maple Street now.", ("address", "Maple Street"), None),
        ("Send to P.O. Box 12.", ("address", "P.O. Box 12"), None),
        ("Lives in Apt 4B.", ("address", "Apt 4B"), None),
        ("In Portland, OR today", ("place", "Portland"), ("place", "In Portland")),
        ("Today, OR", None, ("place", "Today")),
        ("She moved to Oregon.", None, ("place", "Oregon")),  # a state may stay
        ("He works at Lakeside Hospital.", ("place", "Lakeside Hospital"), None),
        ("the Millbrook County fair", ("place", "Millbrook County"), None),
        # numbers
        ("Ping fe80:0:0:0:0:0:0:1 now", ("ip_address", "fe80:0:0:0:0:0:0:1"), None),
        # compressed forms, as people write them (missed before: only the 8-group form was found)
        ("From 2001:db8::1 at noon", ("ip_address", "2001:db8::1"), None),
        ("Link fe80::1ff:fe23:4567:890a up", ("ip_address", "fe80::1ff:fe23:4567:890a"), None),
        ("Host 2001:db8:85a3::8a2e:370:7334 seen", ("ip_address", "2001:db8:85a3::8a2e:370:7334"), None),
        ("Loopback ::1 only", ("ip_address", "::1"), None),
        ("At 10:30:45 we began", None, ("ip_address", "10:30:45")),  # a time, not an address
        ("Bad 1:2:3:4:5:6:7:8:9 addr", None, ("ip_address", "1:2:3:4:5:6:7:8:9")),  # not an address
        ("Mac 00:1A:2B:3C:4D:5E", ("device_id", "00:1A:2B:3C:4D:5E"), ("ip_address", "00:1A:2B:3C:4D:5E")),
        ("VIN 1HGCM82633A004352 car", ("vehicle_id", "1HGCM82633A004352"), None),
        ("IMEI 490154203237518", ("device_id", "490154203237518"), None),
        ("Ticket 999.1.1.1", ("other", "999.1.1.1"), ("ip_address", "999.1.1.1")),
        # dates and ages
        ("on 2/13 we met", ("date", "2/13"), None),
        ("aged 95", ("age", "aged 95"), None),
        ("aged 45", None, ("age", "aged 45")),
    ],
)
def test_detector_edge_cases(
    text: str, expected: tuple[str, str] | None, absent: tuple[str, str] | None
) -> None:
    found = _found(text)
    if expected is not None:
        assert expected in found
    if absent is not None:
        assert absent not in found


def test_a_date_without_a_year_keeps_no_year() -> None:
    [hit] = [h for h in detector_hits("on 2/13 we met") if h.cls == "date"]
    assert hit.key == "date:None"


@pytest.mark.parametrize(
    ("group", "year"),
    [(None, None), ("", None), ("2/13", None), ("123", None), ("'99", 1999), ("41", 1941), ("40", 2040),
     ("2019", 2019)],
)  # fmt: skip
def test_year_of_a_date_group(group: str | None, year: int | None) -> None:
    assert _year(group) == year


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("ab12345 x", ["ab12345"]),
        ("AB1234C", ["AB1234C"]),
        ("abc123", ["abc123"]),
        ("2019 12019", ["12019"]),  # a year alone is not an identifier
        ("ref ab12c", []),
    ],
)
def test_unexplained_numbers(text: str, flagged: list[str]) -> None:
    assert [text[a:b] for a, b in unexplained_numbers(text)] == flagged


# --- known values ---------------------------------------------------------------------------------


def _known_found(text: str, known: Known) -> set[tuple[str, str]]:
    return {(h.cls, text[h.start : h.end]) for h in known_hits(text, known)}


def test_a_known_name_is_found_by_its_nickname_and_in_capitals_when_it_is_a_common_word() -> None:
    robert = Known(people=(KnownPerson("Robert J Fictional", "client"),))
    assert ("name", "Bob") in _known_found("Bob came in.", robert)
    assert ("name", "J") not in _known_found("J came in.", robert)  # one letter alone is not the name
    june = Known(people=(KnownPerson("June Fictional", "client"),))
    assert ("name", "JUNE") in _known_found("Signed, JUNE", june)
    assert ("name", "june") not in _known_found("We meet in june.", june)


@pytest.mark.parametrize(
    ("address", "text", "expected", "absent"),
    [
        ("12 Larkspur Lane, Springfield,", "Larkspur Lane", ("address", "Larkspur Lane"), None),
        ("12 Larkspur Lane, Springfield, 62704", "zip 62704", ("zip", "62704"), None),
        ("12 Larkspur Lane, Springfield, IL", "back in IL", None, ("place", "IL")),  # a state may stay
        ("12 St, Springfield", "12 St", ("address", "12 St"), ("address", "St")),
    ],
)
def test_known_address_parts(
    address: str, text: str, expected: tuple[str, str] | None, absent: tuple[str, str] | None
) -> None:
    found = _known_found(text, Known(values={"address": (address,)}))
    if expected is not None:
        assert expected in found
    if absent is not None:
        assert absent not in found


@pytest.mark.parametrize(
    ("cls", "value", "text", "expected"),
    [
        ("phone", "12345", "call 12345", {("phone", "12345")}),  # too short for a phone: only as written
        ("other", "   ", "anything", set()),
        ("other", "---", "a --- b", set()),  # nothing to match on
        ("email", "ro@example.org", "ro said", set()),  # a mailbox name under 4 letters alone is not enough
        ("email", "rowan@example.org", "rowan said", {("email", "rowan")}),
        ("url", "example.org", "see example.org", {("url", "example.org")}),
        ("url", "https://www.example.org/", "see example.org/x", {("url", "example.org/x")}),
        ("age", "ninety", "ninety years old", set()),
        ("age", "45", "45 years old", set()),
        ("age", "93", "93 years old", {("age", "93 years old")}),
        ("date", "2020-01-01", "2020-01-01", set()),  # dates are carried as Known.dates
    ],
)
def test_known_value_edge_cases(cls: str, value: str, text: str, expected: set[tuple[str, str]]) -> None:
    assert _known_found(text, Known(values={cls: (value,)})) == expected


# --- KNOWN.json and the record's people -----------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "KNOWN.json must be an object"),
        ({"shoe_size": ["9"]}, "unknown class 'shoe_size'"),
        ({"name": "Rowan"}, "'name' must be a list"),
        ({"age": [True]}, "an age must be a number, not True"),
        ({"age": [None]}, "an age must be a number, not None"),
        ({"age": ["old"]}, "an age must be a number, not 'old'"),
        ({"phone": [""]}, "'phone' must hold non-empty strings"),
        ({"phone": [5551234]}, "'phone' must hold non-empty strings"),
        ({"date": ["14/03/2019"]}, "a date must be YYYY-MM-DD, not '14/03/2019'"),
    ],
)
def test_a_malformed_known_json_is_refused_with_its_message(data: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Known.from_json(data)


def test_known_json_reads_people_dates_ages_and_values() -> None:
    known = Known.from_json({"name": ["Rowan Fictional", "Marisol Fictional"], "date": ["2019-03-14"],
                             "age": [93, "91.5"], "phone": ["555-201-3344"]})  # fmt: skip
    assert [(p.name, p.role) for p in known.people] == [("Rowan Fictional", "client"),
                                                         ("Marisol Fictional", "person")]  # fmt: skip
    assert known.dates == (dt.date(2019, 3, 14),)
    assert known.values == {"age": ("93", "91.5"), "phone": ("555-201-3344",)}
    assert ("date", "2019-03-14") in known.all_values()


def test_an_unknown_role_is_refused_and_a_date_of_birth_must_never_survive() -> None:
    with pytest.raises(ValueError, match="unknown role 'pet'"):
        KnownPerson("Biscuit", "pet")
    assert ("date", "1988-05-02") in Known(date_of_birth=dt.date(1988, 5, 2)).all_values()
    assert Known().all_values() == []


# --- rules and quasi-identifier flags -------------------------------------------------------------


def test_date_placeholders_keep_the_year_unless_it_would_show_an_age_over_89() -> None:
    assert date_placeholder(None) == "[DATE]"
    assert date_placeholder(2019, today=TODAY) == "[DATE-2019]"
    assert date_placeholder(TODAY.year - oldest_shown() - 1, today=TODAY) == "[DATE]"
    born = dt.date(1930, 1, 1)
    assert date_placeholder(1930, date_of_birth=born, today=TODAY) == "[DATE-90+]"
    assert date_placeholder(2019, date_of_birth=born, today=TODAY) == "[DATE-2019]"
    assert zip_placeholder("62") == "[ZIP-000]"


def test_a_quasi_identifier_is_flagged_once_and_not_inside_a_replacement() -> None:
    known = Known(people=(KnownPerson("Rowan Quill", "client"),))
    result = deidentify("the 2019 Boston Marathon and the Boston Marathon", known, today=TODAY)
    assert [result.text[f.start : f.end] for f in result.flags] == [
        "2019 Boston Marathon",
        "and the Boston Marathon",  # the event pattern ignores case, so it reaches back over "and the"
    ]
    assert [f.why for f in deidentify("She grew up on the island.", known, today=TODAY).flags] == [
        "a small or singular community: may identify the client"
    ]
    assert deidentify("She grew up on the [ISLAND].", known, today=TODAY).flags == ()  # a placeholder
    inside = deidentify("Rowan Quill Marathon, a [NAME] Marathon", known, today=TODAY)
    assert all("[" not in inside.text[f.start : f.end] for f in inside.flags)


def test_a_rules_file_of_another_kind_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kapstone.deid import rules

    other = tmp_path / "rules.toml"
    other.write_text('kind = "screening_rules"\n', "utf-8")
    monkeypatch.setattr(rules, "DATA", other)
    rules._rules.cache_clear()
    try:
        with pytest.raises(ValueError, match="kind must be 'deid_rules'"):
            rules.rules_version()
    finally:
        monkeypatch.undo()
        rules._rules.cache_clear()
    assert rules.oldest_shown() == 89
