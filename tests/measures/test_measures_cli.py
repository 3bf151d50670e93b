"""The pure CLI functions: one JSON object on stdout, exit 0 when scored, 2 otherwise."""

from __future__ import annotations

import json

import pytest

from kapstone.measures.cli import instruments_main, positional_answers, score_main


def run(capsys, argv, registry):
    code = score_main(argv, registry)
    out = capsys.readouterr().out
    assert out.count("\n") == 1  # exactly one JSON document, on one line
    return code, json.loads(out)


KEYS = [
    "instrument",
    "version",
    "complete",
    "total",
    "band",
    "subscales",
    "flags",
    "interpretation",
    "errors",
    "options",
]


def test_scores_positional_answers(capsys, registry):
    code, data = run(capsys, ["phq9", "--answers", "1,2,3,0,1,2,3,0,1"], registry)
    assert code == 0
    assert list(data) == KEYS
    assert (data["instrument"], data["version"], data["complete"], data["total"], data["band"]) == (
        "phq9",
        "1.0.0",
        True,
        13,
        "Moderate depression",
    )
    assert [f["id"] for f in data["flags"]] == ["phq9_item9", "phq9_screen_positive"]
    assert data["errors"] == []


def test_optional_trailing_item_may_be_given(capsys, registry):
    code, data = run(capsys, ["phq9", "--answers", "0,0,0,0,0,0,0,0,0,2"], registry)
    assert (code, data["total"]) == (0, 0)


def test_skipped_questions_are_empty_positions(capsys, registry):
    code, data = run(capsys, ["cssrs_screener", "--answers", "1, 0, , , , 1, 1"], registry)
    assert (code, data["complete"], data["total"], data["band"]) == (0, True, 3, "High risk")


def test_json_answers_inline(capsys, registry):
    answers = {f"gad7_{n}": 2 for n in range(7, 0, -1)}  # order does not matter
    code, data = run(capsys, ["gad7", "--answers-json", json.dumps(answers)], registry)
    assert (code, data["total"], data["band"]) == (0, 14, "Moderate anxiety")


def test_json_answers_from_a_file(capsys, registry, tmp_path):
    path = tmp_path / "answers.json"
    path.write_text(json.dumps({f"ebi_{n}": 50 for n in range(1, 7)}), encoding="utf-8")
    code, data = run(capsys, ["ebi", "--answers-json", f"@{path}", "--option", "aggregation=sum"], registry)
    assert (code, data["total"], data["options"]) == (0, 300, {"aggregation": "sum"})


def test_options_are_converted_to_their_type(capsys, registry):
    code, data = run(
        capsys,
        ["pcl5", "--answers", ",".join(["2"] * 20), "--option", "cutpoint=38", "--option", " rci_sd = 12.5 "],
        registry,
    )
    assert code == 0
    assert data["options"]["cutpoint"] == 38 and data["options"]["rci_sd"] == 12.5
    assert "pcl5_probable_ptsd" in [f["id"] for f in data["flags"]]  # 40 >= 38


def test_version_selects_a_definition(capsys, registry):
    code, data = run(capsys, ["who5", "--version", "1.0.0", "--answers", "5,5,5,5,5"], registry)
    assert (code, data["version"], data["total"]) == (0, "1.0.0", 100)


@pytest.mark.parametrize(
    ("argv", "item", "code", "fragment"),
    [
        (
            ["phq9", "--answers", "1,2,3,0,1,2,3,0"],
            "phq9_9",
            "wrong_count",
            "--answers needs 9 to 10 values in item order (phq9_1 ... phq9_10); got 8: no value for phq9_9",
        ),
        (
            ["phq9", "--answers", "1,1,1,1,1,1,1"],
            "phq9_8",
            "wrong_count",
            "got 7: no value for phq9_8, phq9_9",
        ),
        (
            ["phq9", "--answers", "0,0,0,0,0,0,0,0,0,0,0"],
            None,
            "wrong_count",
            "got 11: value 11 has no item (the last item is phq9_10)",
        ),
        (
            ["gad7", "--answers", "0,0,0,0,0,0"],
            "gad7_7",
            "wrong_count",
            "--answers needs 7 values in item order",
        ),
        (
            ["phq9", "--answers-json", '{"phq9_1": 1, "phq9_1": 2}'],
            "phq9_1",
            "duplicate",
            "phq9_1: answered more than once",
        ),
        (
            ["phq9", "--answers-json", '{"phq9_1": 1,'],
            None,
            "malformed_json",
            "--answers-json is not valid JSON",
        ),
        (["phq9", "--answers-json", "[1, 2, 3]"], None, "malformed_json", "must be a JSON object"),
        (
            ["phq9", "--answers-json", "@/nonexistent/answers.json"],
            None,
            "bad_arguments",
            "cannot read answers file",
        ),
        (["nope", "--answers", "1"], None, "unknown_instrument", "no instrument 'nope' is installed"),
        (["phq9", "--version", "7", "--answers", "1"], None, "unknown_instrument", "phq9 has no version '7'"),
        ([], None, "bad_arguments", "the following arguments are required: instrument"),
        (["phq9", "--colour", "red"], None, "bad_arguments", "unrecognized arguments: --colour red"),
        (["phq9"], None, "bad_arguments", "give exactly one of --answers and --answers-json"),
        (["phq9", "--answers", "0", "--answers-json", "{}"], None, "bad_arguments", "give exactly one of"),
        (
            ["phq9", "--answers", "0,0,0,0,0,0,0,0,0", "--option", "cutpoint"],
            None,
            "bad_arguments",
            "--option expects KEY=VALUE, got 'cutpoint'",
        ),
        (
            ["phq9", "--answers", "0,0,0,0,0,0,0,0,0", "--option", "=3"],
            None,
            "bad_arguments",
            "--option expects KEY=VALUE",
        ),
        (
            [
                "phq9",
                "--answers",
                "0,0,0,0,0,0,0,0,0",
                "--option",
                "item9_flag_min=2",
                "--option",
                "item9_flag_min=3",
            ],
            None,
            "bad_arguments",
            "option item9_flag_min is given more than once",
        ),
    ],
)
def test_invalid_input_exits_2_with_errors(capsys, registry, argv, item, code, fragment):
    status, data = run(capsys, argv, registry)
    assert status == 2
    assert list(data) == KEYS
    assert (data["complete"], data["total"], data["band"], data["subscales"]) == (False, None, None, {})
    assert any(
        e["code"] == code and e["item"] == item and fragment in e["message"] for e in data["errors"]
    ), data
    assert data["interpretation"].startswith("Cannot score: ")


@pytest.mark.parametrize(
    ("argv", "item", "code"),
    [
        (["phq9", "--answers", "1,2,x,0,1,2,3,0,1"], "phq9_3", "not_a_number"),
        (["phq9", "--answers", "1,2,1.5,0,1,2,3,0,1"], "phq9_3", "not_integer"),
        (["phq9", "--answers", "1,2,nan,0,1,2,3,0,1"], "phq9_3", "not_a_number"),
        (["phq9", "--answers", "1,2,4,0,1,2,3,0,1"], "phq9_3", "out_of_range"),
        (["phq9", "--answers", "1,2,,0,1,2,3,0,1"], "phq9_3", "missing"),
        (["phq9", "--answers-json", '{"phq9_3": "2"}'], "phq9_3", "not_a_number"),
        (["phq9", "--answers-json", '{"phq9_3": true}'], "phq9_3", "not_a_number"),
        (["phq9", "--answers-json", '{"phq9_3": {"v": 1}}'], "phq9_3", "not_a_number"),
        (["phq9", "--answers-json", '{"phq9_99": 1}'], "phq9_99", "unknown_item"),
        (["cssrs_screener", "--answers", "0,0,1,,,0,"], "cssrs_3", "must_be_skipped"),
        (["phq9", "--answers", "0,0,0,0,0,0,0,0,0", "--option", "nope=1"], None, "unknown_option"),
        (
            ["phq9", "--answers", "0,0,0,0,0,0,0,0,0", "--option", "item9_flag_min=high"],
            None,
            "invalid_option",
        ),
    ],
)
def test_invalid_values_name_the_item(capsys, registry, argv, item, code):
    status, data = run(capsys, argv, registry)
    assert status == 2
    assert any(e["code"] == code and e["item"] == item for e in data["errors"]), data["errors"]
    if item is not None:
        assert all(item in e["message"] for e in data["errors"] if e["item"] == item)


def test_safety_flag_is_reported_even_when_input_is_invalid(capsys, registry):
    status, data = run(capsys, ["phq9", "--answers", "1,2,x,0,1,2,3,0,2"], registry)
    assert status == 2
    assert [(f["id"], f["severity"]) for f in data["flags"]] == [("phq9_item9", "safety")]


def test_help_exits_zero(capsys, registry):
    assert score_main(["--help"], registry) == 0
    assert "usage: kapstone score" in capsys.readouterr().out
    assert instruments_main(["--help"], registry) == 0
    assert "usage: kapstone instruments" in capsys.readouterr().out


def test_positional_answers_helper(phq9):
    answers, errors = positional_answers(phq9, "3, 2,1,0,,0,0,0,0")
    assert errors == []
    assert answers == {
        "phq9_1": 3,
        "phq9_2": 2,
        "phq9_3": 1,
        "phq9_4": 0,
        "phq9_5": None,
        "phq9_6": 0,
        "phq9_7": 0,
        "phq9_8": 0,
        "phq9_9": 0,
    }


def test_instruments_table(capsys, registry):
    assert instruments_main([], registry) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["ID", "VERSION", "ITEMS", "ITEM", "TEXT", "TITLE", "LICENCE"]
    assert len(lines) == 8
    phq = next(line for line in lines if line.startswith("phq9 "))
    assert phq.split()[:4] == ["phq9", "1.0.0", "10", "shipped"]
    assert "Patient Health Questionnaire-9 (PHQ-9)" in phq
    meq = next(line for line in lines if line.startswith("meq30 "))
    assert meq.split()[:4] == ["meq30", "1.0.0", "30", "clinic"]


def test_instruments_json(capsys, registry):
    assert instruments_main(["--json"], registry) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in rows] == ["cssrs_screener", "ebi", "gad7", "meq30", "pcl5", "phq9", "who5"]
    assert rows[5] == {
        "id": "phq9",
        "version": "1.0.0",
        "title": "Patient Health Questionnaire-9 (PHQ-9)",
        "items": 10,
        "licence": "Pfizer: free to use, no permission required",
        "item_text_supplied_by_clinic": False,
    }


def test_instruments_bad_arguments(capsys, registry):
    assert instruments_main(["--table"], registry) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "unrecognized arguments: --table" in captured.err
