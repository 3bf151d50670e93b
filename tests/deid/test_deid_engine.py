"""The engine, as an author reading its proposals would see it: known values first, then detectors."""

from __future__ import annotations

import datetime as dt

import pytest

from kapstone.deid import Known, KnownPerson, deidentify
from kapstone.deid.rules import zip_placeholder

TODAY = dt.date(2026, 12, 2)
ROWAN = Known(
    people=(
        KnownPerson("Rowan Quill Fictional", "client", ("Ro",)),
        KnownPerson("Marisol Fictional", "family"),
        KnownPerson("Dmitri Notreal", "contact"),
        KnownPerson("Larkspur Widgets", "employer"),
    ),
    values={
        "phone": ("(555) 201-3344",),
        "email": ("rowan.fictional@example.org",),
        "record_number": ("MRN-00482913",),
        "address": ("12 Larkspur Lane, Springfield, IL 62704",),
        "health_plan_number": ("ZQH-77120-44",),
    },
    dates=(dt.date(2019, 3, 14),),
    date_of_birth=dt.date(1988, 5, 2),
)


def redact(text: str, known: Known = ROWAN) -> str:
    return deidentify(text, known, today=TODAY).text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Rowan arrived early.", "[CLIENT] arrived early."),
        ("ROWAN FICTIONAL", "[CLIENT]"),
        ("rowan fictional's mother", "[CLIENT]'s mother"),
        ("Met with Ro today.", "Met with [CLIENT] today."),
        ("Ms. Fictional reported", "Ms. [CLIENT] reported"),
        ("R.F. and R. Fictional", "[CLIENT] and [CLIENT]"),
        ("Rowan Q. Fictional", "[CLIENT]"),
        ("her sister Marisol's visit", "her sister [FAMILY-1]'s visit"),
        ("Dmitri drove her home", "[CONTACT-1] drove her home"),
        ("works at Larkspur Widgets", "works at [EMPLOYER]"),
    ],
)
def test_known_names_are_found_in_every_variant(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "written",
    ["3/14/2019", "03/14/19", "2019-03-14", "March 14, 2019", "Mar 14th 2019", "14 March 2019", "March 14"],
)
def test_a_known_date_is_reduced_to_its_year_however_it_is_written(written: str) -> None:
    out = redact(f"Dosing session on {written}.")
    assert "[DATE" in out
    assert "14" not in out


@pytest.mark.parametrize("written", ["555-201-3344", "(555)201-3344", "555.201.3344", "+1 555 201 3344"])
def test_a_known_phone_number_is_found_however_it_is_punctuated(written: str) -> None:
    assert redact(f"call {written} after") == "call [PHONE] after"


def test_known_identifiers_are_found_without_their_separators() -> None:
    out = redact("MRN 00482913; plan ZQH7712044; mail rowan.fictional@example.org or rowan.fictional")
    assert "00482913" not in out and "7712044" not in out and "rowan.fictional" not in out


def test_a_known_address_is_removed_by_its_parts_and_the_state_stays() -> None:
    out = redact("Lives at 12 Larkspur Ln in Springfield, IL 62704; walks along Larkspur Lane.")
    assert out == "Lives at [ADDRESS] in [PLACE], IL [ZIP-627]; walks along [ADDRESS]."


def test_zip3_of_a_restricted_prefix_becomes_000() -> None:
    assert zip_placeholder("03601") == "[ZIP-000]"
    assert zip_placeholder("89301-1234") == "[ZIP-000]"
    assert zip_placeholder("62704") == "[ZIP-627]"
    assert redact("moved to Keene, NH 03601") == "moved to [PLACE], NH [ZIP-000]"


def test_ages_over_89_are_grouped_and_younger_ages_stay() -> None:
    assert redact("a 93-year-old widower") == "a [AGE-90+] widower"
    assert redact("aged 91, she") == "[AGE-90+], she"
    assert redact("a 47-year-old teacher") == "a 47-year-old teacher"


def test_a_client_over_89_loses_the_year_of_birth_too() -> None:
    old = Known(people=(KnownPerson("Ada Oldfield", "client"),), date_of_birth=dt.date(1931, 1, 5))
    out = deidentify("Born 1931-01-05; now 95 years old.", old, today=TODAY).text
    assert out == "Born [DATE-90+]; now [AGE-90+]."


@pytest.mark.parametrize(
    ("text", "cls"),
    [
        ("write to zed.q@mailbox.example", "email"),
        ("see https://blog.example.com/posts/7", "url"),
        ("logged in from 192.168.14.7", "ip_address"),
        ("SSN 123-45-6789", "ssn"),
        ("fax: (555) 777-1212", "fax"),
        ("cell 555-777-1212", "phone"),
        ("medical record number A1234567", "record_number"),
        ("Medicaid ID 99812344A", "health_plan_number"),
        ("account no. 4412-0098", "account_number"),
        ("driver's license D1234-5678", "licence_number"),
        ("license plate 7XYZ123", "vehicle_id"),
        ("VIN 1HGCM82633A004352", "vehicle_id"),
        ("pump serial SN-44821X", "device_id"),
        ("device MAC 00:1A:2B:3C:4D:5E", "device_id"),
        ("fingerprint template FP-99812", "biometric_id"),
        ("attached photo IMG_2041.jpg", "photo"),
        ("employee ID 77812", "other"),
        ("on 11/02/2021 she", "date"),
        ("since early March she", "date"),
        ("at 44 Orchard Street, Apt 3", "address"),
        ("Mr. Quillby called", "name"),
        ("her husband Bartholomew said", "name"),
        ("grew up in Thistlewick", "place"),
        ("Spoke with Kowalczyk about the plan", "name"),
        ("On Tuesday 5/6 she felt better", "date"),
        ("near Hollis County", "place"),
    ],
)
def test_each_detector_finds_its_class_without_knowing_the_record(text: str, cls: str) -> None:
    result = deidentify(text, today=TODAY)
    assert cls in {s.cls for s in result.spans}, result.spans


def test_placeholders_are_consistent_within_a_text() -> None:
    out = redact("Her friend Bartholomew came; later Mr. Bartholomew left. Marisol stayed.")
    assert out.count("[NAME-1]") == 2
    assert "[FAMILY-1]" in out


def test_a_number_no_rule_explains_is_redacted_and_holds_the_text() -> None:
    result = deidentify("Reference code QX-55123-Z came up.", today=TODAY)
    assert "55123" not in result.text
    assert result.held
    assert any(f.kind == "unclassified" for f in result.flags) or any(s.cls == "other" for s in result.spans)


def test_quasi_identifiers_are_flagged_not_removed() -> None:
    result = deidentify("She is a retired judge from a small town with Ehlers-Danlos.", today=TODAY)
    assert result.held
    assert {result.source[f.start : f.end].lower() for f in result.flags} >= {
        "judge",
        "small town",
        "ehlers-danlos",
    }
    assert "judge" in result.text  # kept for the author to decide


def test_clinical_prose_without_identifiers_is_left_alone() -> None:
    text = "Ketamine 0.5 mg/kg IM. BP 128/82, HR 76. PHQ-9 fell from 19 to 11. Integration went well."
    result = deidentify(text, today=TODAY)
    assert result.text == text
    assert not result.held


def test_spans_are_sorted_non_overlapping_and_say_why() -> None:
    result = deidentify(
        "Rowan Fictional, 555-201-3344, rowan.fictional@example.org, 3/14/2019", ROWAN, today=TODAY
    )
    ends = -1
    for span in result.spans:
        assert span.start >= ends and span.why and span.replacement.startswith("[")
        ends = span.end


@pytest.mark.parametrize("text", ["login from 10.14.7.22.", "email zed@example.org.", "call 555-777-1212.",
                                  "on 3/8/2027.", "see www.example.net/page."])  # fmt: skip
def test_an_identifier_at_the_end_of_a_sentence_is_found(text: str) -> None:
    assert deidentify(text, today=TODAY).text.endswith("].")


@pytest.mark.parametrize("text", ["Next session Thursday 2/13.", "Seen on 12/13 and on 10/10."])
def test_a_month_and_day_without_a_year_is_a_date_of_no_year(text: str) -> None:
    result = deidentify(text, today=TODAY)
    assert "/" not in result.text and "[DATE]" in result.text
