"""The shipped requirement sets and the checker, table by table: what a trainee would read."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kapstone.lib.datafile import DataFileError
from kapstone.practicum.core import Line, Status, check_set, load_set, shipped_sets

DAY = dt.date(2026, 3, 1)
CO = "colorado_natural_medicine_facilitator"
OR = "oregon_psilocybin_facilitator"
KAP = "kap_certificate"


def line(kind: str, minutes: int, **kw: object) -> Line:
    return Line(kind=kind, minutes=minutes, occurred_on=DAY, **kw)  # type: ignore[arg-type]


def verdict(set_id: str, lines: list[Line], rid: str, **kw: object):  # type: ignore[no-untyped-def]
    report = check_set(shipped_sets().get(set_id), lines, **kw)  # type: ignore[arg-type]
    return next(v for v in report.verdicts if v.requirement_id == rid)


def test_three_sets_ship_with_every_colorado_topic_minimum() -> None:
    sets = shipped_sets()
    assert sets.ids() == [CO, KAP, OR]
    co = sets.get(CO)
    minimums = {r.topics[0]: r.min_hours.value for r in co.requirements if len(r.topics) == 1}  # type: ignore[union-attr]
    assert minimums == {
        "co.ethics": 25, "co.health": 25, "co.touch": 10, "co.trauma": 10, "co.cultural_equity": 10,
        "co.preparation": 10, "co.administration": 10, "co.integration": 10, "co.group": 10,
        "co.self_care": 10, "co.best_practices": 5, "co.drug_effects": 5, "co.suicide": 5, "co.screening": 5,
    }  # fmt: skip
    assert sum(minimums.values()) == 150
    # Every requirement cites one of its file's sources; the unconfirmed number is a setting.
    for s in sets.all():
        assert {r.source for r in s.requirements} <= {src.id for src in s.sources}
    setting = co.setting("co_licence_consultation_hours")
    assert setting.default == 40 and "50" in setting.unconfirmed


@pytest.mark.parametrize(
    ("lines", "status", "message"),
    [
        ([], Status.NOT_YET, "0 h of 25 h: 25 h missing"),
        ([line("didactic_live", 600, topics=("co.ethics",))], Status.NOT_YET, "10 h of 25 h: 15 h missing"),
        # Split over two topics: half of the 60 minutes counts for ethics.
        ([line("didactic_live", 1500, topics=("co.ethics", "co.health"))], Status.NOT_YET, "12.5 h of 25 h"),
        ([line("didactic_live", 1500, topics=("co.ethics",))], Status.MET, "25 h of 25 h: met"),
        # Pending (not yet verified) hours do not count, and are said.
        (
            [line("didactic_live", 600, topics=("co.ethics",), counted=False)],
            Status.NOT_YET,
            "0 h of 25 h: 25 h missing (10 h more logged, waiting for verification)",
        ),
        # Practice hours are not instruction.
        ([line("led_under_supervision", 1500, topics=("co.ethics",))], Status.NOT_YET, "0 h of 25 h"),
    ],
)
def test_colorado_ethics_topic(lines: list[Line], status: Status, message: str) -> None:
    found = verdict(CO, lines, "co_ethics")
    assert found.status is status
    assert message in found.message


def test_colorado_practicum_counts_consultation_for_at_most_ten_hours() -> None:
    lines = [
        line("led_under_supervision", 25 * 60, session="administration"),
        line("group_consultation", 15 * 60, group_size=4),
    ]
    found = verdict(CO, lines, "practicum_total")
    assert found.status is Status.NOT_YET and found.message == "35 h of 40 h: 5 h missing"
    lines.append(line("observed_session", 5 * 60, session="integration"))
    assert verdict(CO, lines, "practicum_total").status is Status.MET
    administration = verdict(CO, lines, "practicum_administration")
    assert administration.status is Status.NOT_YET and administration.message == "25 h of 30 h: 5 h missing"


def test_colorado_consultation_groups_larger_than_six_do_not_count_and_unknown_sizes_cannot_tell() -> None:
    big = [line("group_consultation", 40 * 60, group_size=7)]
    assert verdict(CO, big, "licence_consultation").message == "0 h of 40 h: 40 h missing"
    unknown = [line("group_consultation", 40 * 60)]
    found = verdict(CO, unknown, "licence_consultation")
    assert found.status is Status.CANNOT_TELL
    assert found.missing_fact == "the size of a consultation group"
    assert (
        verdict(CO, [line("group_consultation", 40 * 60, group_size=6)], "licence_consultation").status
        is Status.MET
    )


def test_an_unconfirmed_number_is_the_programs_setting() -> None:
    lines = [line("individual_consultation", 45 * 60)]
    assert verdict(CO, lines, "licence_consultation").status is Status.MET
    stricter = verdict(CO, lines, "licence_consultation", settings={"co_licence_consultation_hours": 50})
    assert stricter.status is Status.NOT_YET and stricter.message == "45 h of 50 h: 5 h missing"


@pytest.mark.parametrize(
    ("lines", "status"),
    [
        # 60 live online + 60 self-paced: half of online hours live, 120 h.
        ([line("didactic_live", 3600, online=True), line("didactic_self_paced", 3600)], Status.MET),
        # 40 live online + 80 self-paced: only 40 of the self-paced hours count (80 of 120).
        ([line("didactic_live", 2400, online=True), line("didactic_self_paced", 4800)], Status.NOT_YET),
        # In-person hours need no live share.
        ([line("didactic_live", 7200, online=False)], Status.MET),
        # Whether 60 live hours were online decides it: cannot tell.
        ([line("didactic_live", 3600), line("didactic_self_paced", 3600)], Status.CANNOT_TELL),
    ],
)
def test_oregon_live_share(lines: list[Line], status: Status) -> None:
    found = verdict(OR, lines, "instruction")
    assert found.status is status
    if status is Status.NOT_YET:
        assert found.message == "80 h of 120 h: 40 h missing"
    if status is Status.CANNOT_TELL:
        assert found.missing_fact == "whether live instruction was online or in person"


def test_a_fact_nobody_recorded_is_cannot_tell_naming_the_fact() -> None:
    found = verdict(OR, [], "exam")
    assert found.status is Status.CANNOT_TELL
    assert found.missing_fact == "Whether the student passed the program's comprehensive exam"
    assert verdict(OR, [], "exam", facts={"or.exam_passed": True}).status is Status.MET
    assert verdict(OR, [], "exam", facts={"or.exam_passed": False}).status is Status.NOT_YET


def test_kap_certificate_sessions_clients_and_two_hour_group_consultations() -> None:
    sessions = [
        line("co_facilitated_session", 240, session="administration", client_key=f"c{i % 2}")
        for i in range(18)
    ]
    assert verdict(KAP, sessions, "kap_sessions").status is Status.MET
    clients = verdict(KAP, sessions, "kap_clients")
    assert clients.status is Status.NOT_YET
    assert clients.message == "2 different clients of 3 different clients: 1 different client missing"
    # A session whose client is not known might be a third client: cannot tell.
    unknown = verdict(
        KAP, [*sessions, line("led_under_supervision", 240, session="administration")], "kap_clients"
    )
    assert unknown.status is Status.CANNOT_TELL and unknown.missing_fact == "which client a session was with"
    groups = [line("group_consultation", 120, group_size=5)] * 11 + [
        line("group_consultation", 90, group_size=5)
    ]
    found = verdict(KAP, groups, "group_consultations")
    assert found.status is Status.NOT_YET and found.message == "11 of 12: 1 missing"


def test_a_complete_ledger_meets_every_requirement_of_the_kap_set() -> None:
    lines = [line("group_consultation", 120, group_size=6)] * 12 + [line("individual_consultation", 60)] * 12
    lines += [
        line("led_under_supervision", 240, session="administration", client_key=f"c{i % 3}")
        for i in range(18)
    ]
    facts = dict.fromkeys(
        ("kap.modules_complete", "kap.retreat", "kap.reflection_paper", "kap.consultant_letter"), True
    )
    report = check_set(shipped_sets().get(KAP), lines, facts=facts)
    assert report.complete
    assert report.count(Status.MET) == 8


HEAD = 'kinds = ["didactic_live"]\nrule = "hours"\n'


@pytest.mark.parametrize(
    ("snippet", "field", "detail"),
    [
        (HEAD + 'min_hours = 1\nsource = "X"', "requirements[0].source", "not one"),
        (
            HEAD.replace("didactic_live", "lecture") + 'min_hours = 1\nsource = "S"',
            "requirements[0].kinds",
            "not a",
        ),
        (HEAD + 'source = "S"', "requirements[0].min_hours", "needs min_hours"),
        (HEAD + 'min_hours = "setting:nope"\nsource = "S"', "requirements[0].min_hours", "declared"),
        (HEAD + 'min_hours = 1\nsource = "S"\nextra = 1', "requirements[0]", "unknown key"),
    ],
)
def test_a_bad_requirement_file_names_the_field(
    tmp_path: Path, snippet: str, field: str, detail: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        'format = 1\nkind = "requirement_set"\nid = "bad"\nversion = "1.0.0"\ntitle = "T"\nsummary = "S"\n'
        '[[sources]]\nid = "S"\ncite = "C"\n[[requirements]]\nid = "r"\ntitle = "R"\n' + snippet + "\n"
    )
    with pytest.raises(DataFileError) as caught:
        load_set(path)
    assert caught.value.field == field and detail in caught.value.detail
