"""The requirement checker's remaining verdicts (an unset program setting, a capped kind, groups too
large or of unknown size, live instruction in person) and each refusal of a requirement file."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pytest

from kapstone.lib.datafile import DataFileError
from kapstone.practicum.core import Line, Status, check_set, load_set
from kapstone.practicum.core.sets import load_sets, parse_set

DAY = dt.date(2026, 3, 1)
HEAD = """format = 1
kind = "requirement_set"
id = "edge"
version = "1.0.0"
title = "Edge cases"
summary = "A fictional set for tests."

[[sources]]
id = "S"
cite = "A fictional source"
"""
EDGE = (
    HEAD
    + """
[[settings]]
id = "group_max"
label = "Largest consultation group"

[[settings]]
id = "cap_hours"
label = "Consultation hours counted at most"

[[settings]]
id = "min_live"
label = "Hours of live instruction"

[[requirements]]
id = "grouped_count"
title = "Group consultations in small groups"
rule = "count"
kinds = ["group_consultation"]
min_count = 2
max_group_size = "setting:group_max"
source = "S"

[[requirements]]
id = "capped"
title = "Instruction, with consultation counted up to a cap"
rule = "hours"
kinds = ["didactic_live", "group_consultation"]
min_hours = 3
max_group_size = 6
cap = { kinds = ["group_consultation"], max_hours = "setting:cap_hours" }
source = "S"

[[requirements]]
id = "needs_setting"
title = "Live instruction, as many hours as the program sets"
rule = "hours"
kinds = ["didactic_live"]
min_hours = "setting:min_live"
source = "S"

[[requirements]]
id = "live_share"
title = "Instruction and consultation, self-paced counted up to the live online hours"
rule = "hours"
kinds = ["didactic_live", "didactic_self_paced", "individual_consultation"]
min_hours = 4
self_paced_up_to_live_online = true
source = "S"
"""
)
SET = parse_set(tomllib.loads(EDGE), "edge.toml")


def line(kind: str, minutes: int, **kw: object) -> Line:
    return Line(kind=kind, minutes=minutes, occurred_on=DAY, **kw)  # type: ignore[arg-type]


def verdict(rid: str, lines: list[Line], settings: dict[str, float] | None = None):  # type: ignore[no-untyped-def]
    return next(v for v in check_set(SET, lines, settings=settings).verdicts if v.requirement_id == rid)


@pytest.mark.parametrize(
    ("rid", "label"),
    [
        ("grouped_count", "Largest consultation group"),
        ("capped", "Consultation hours counted at most"),
        ("needs_setting", "Hours of live instruction"),
    ],
)
def test_a_setting_without_a_default_that_the_program_has_not_set_cannot_tell(rid: str, label: str) -> None:
    found = verdict(rid, [line("didactic_live", 600), line("group_consultation", 120, group_size=3)])
    assert found.status == Status.CANNOT_TELL
    assert found.message == f"Cannot tell: the program has not set “{label}”."
    assert found.missing_fact == f"the program setting “{label}”"


def test_a_group_too_large_does_not_count_and_one_of_unknown_size_cannot_tell() -> None:
    lines = [line("group_consultation", 60, group_size=8), line("group_consultation", 60, group_size=4),
             line("group_consultation", 60)]  # fmt: skip
    found = verdict("grouped_count", lines, {"group_max": 6})
    assert found.status == Status.CANNOT_TELL
    assert found.message == "Cannot tell: 1 of 2 certain; it depends on the size of a consultation group"
    assert verdict("grouped_count", lines[:2], {"group_max": 6}).message == "1 of 2: 1 missing"
    assert verdict("grouped_count", lines[:2], {"group_max": 8}).message == "2 of 2: met"


def test_capped_hours_count_up_to_the_cap_and_an_unknown_group_size_counts_only_as_possible() -> None:
    lines = [line("didactic_live", 120), line("group_consultation", 120),
             line("group_consultation", 120, group_size=4)]  # fmt: skip
    assert verdict("capped", lines, {"cap_hours": 1}).message == "3 h of 3 h: met"
    unknown_only = [line("didactic_live", 120), line("group_consultation", 120)]
    found = verdict("capped", unknown_only, {"cap_hours": 1})
    assert found.status == Status.CANNOT_TELL
    assert found.message == "Cannot tell: 2 h of 3 h certain; it depends on the size of a consultation group"


def test_self_paced_counts_only_up_to_live_online_instruction_not_in_person() -> None:
    lines = [line("didactic_self_paced", 120), line("didactic_live", 60, online=False),
             line("didactic_live", 60, online=True)]  # fmt: skip
    assert verdict("live_share", lines).message == "3 h of 4 h: 1 h missing"
    online = [*lines[:2], line("didactic_live", 120, online=True)]
    assert verdict("live_share", online).message == "5 h of 4 h: met"
    consulted = [*lines, line("individual_consultation", 60)]  # other kinds count in full
    assert verdict("live_share", consulted).message == "4 h of 4 h: met"


def test_a_line_of_an_unknown_kind_negative_minutes_or_unknown_session_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown kind of hours 'napping'"):
        line("napping", 60)
    with pytest.raises(ValueError, match="minutes cannot be negative"):
        line("didactic_live", -1)
    with pytest.raises(ValueError, match="unknown session kind 'party'"):
        line("led_under_supervision", 60, session="party")


def test_a_setting_is_looked_up_by_id_and_an_unknown_one_is_refused() -> None:
    assert SET.setting("cap_hours").label == "Consultation hours counted at most"
    with pytest.raises(KeyError):
        SET.setting("nope")


REQ = '[[requirements]]\nid = "r"\ntitle = "R"\nsource = "S"\n'


@pytest.mark.parametrize(
    ("snippet", "field", "detail"),
    [
        (REQ + 'rule = "hours"\nkinds = ["didactic_live"]\nmin_hours = -1', "requirements[0].min_hours",
         "cannot be negative"),
        (REQ + 'rule = "count"\nkinds = ["led_under_supervision"]\nmin_count = 1\nsessions = ["party"]',
         "requirements[0].sessions", "'party' is not one of"),
        (REQ + 'rule = "hours"\nkinds = ["didactic_live"]\nmin_hours = 1\n'
         'cap = { kinds = ["didactic_live"] }',
         "requirements[0].cap.max_hours", "required key is missing"),
        (REQ + 'rule = "hours"\nmin_hours = 1', "requirements[0].kinds",
         "a 'hours' requirement names the kinds of hours it counts"),
        (REQ + 'rule = "fact"\nfact = "nobody.asked"', "requirements[0].fact",
         "'nobody.asked' is not one of the file's [[facts]]"),
        ('[[settings]]\nid = "x"\nlabel = "X"\n[[settings]]\nid = "x"\nlabel = "Again"\n'
         + REQ + 'rule = "hours"\nkinds = ["didactic_live"]\nmin_hours = 1',
         "settings[1].id", "id 'x' is used twice"),
    ],
)  # fmt: skip
def test_a_bad_requirement_file_is_refused_naming_the_field(
    tmp_path: Path, snippet: str, field: str, detail: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(HEAD + snippet + "\n", "utf-8")
    with pytest.raises(DataFileError) as caught:
        load_set(path)
    assert caught.value.field == field and detail in caught.value.detail


def test_a_folder_without_requirement_sets_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match=r"no requirement set \(\*\.toml\) found"):
        load_sets([tmp_path])
    (tmp_path / "edge.toml").write_text(EDGE, "utf-8")
    assert load_sets([tmp_path]).ids() == ["edge"]
