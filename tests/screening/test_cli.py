"""``screen_main``: exit codes and the JSON it prints (called directly, with temporary files)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from screening_support import baseline, patch

from kapstone.screening.cli import EXIT_INVALID, EXIT_OK, screen_main
from kapstone.screening.ruleset import DEFAULT_RULESET, RuleSet, RuleSetError, load_ruleset


def run(
    capsys: pytest.CaptureFixture[str], argv: list[str], **kwargs: object
) -> tuple[int, dict[str, object]]:
    code = screen_main(argv, **kwargs)  # type: ignore[arg-type]
    out = capsys.readouterr().out
    assert out.count("\n") == 1  # exactly one JSON object, on one line
    return code, json.loads(out)


def facts_file(tmp_path: Path, doc: object, name: str = "facts.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return str(path)


def fields(document: dict[str, object]) -> list[str]:
    assert document["outcome"] is None
    errors = document["errors"]
    assert isinstance(errors, list) and errors
    assert all(set(e) == {"field", "code", "message"} for e in errors)
    return [e["field"] for e in errors]


def test_evaluated_prints_the_evaluation_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, data = run(capsys, [facts_file(tmp_path, baseline())])
    assert code == EXIT_OK
    assert data["outcome"] == "no_flags"
    assert data["ruleset"]["id"] == "kapstone-default"  # type: ignore[index]
    assert data["ruleset"]["version"] == "1.1.0"  # type: ignore[index]
    rules = data["rules"]
    assert isinstance(rules, list) and rules
    for rule in rules:
        assert {"id", "level", "outcome", "rationale", "source"} <= set(rule)
    assert data["checklist"]


@pytest.mark.parametrize(
    ("changes", "outcome"),
    [
        ({"history.mania": True}, "needs_prescriber_review"),
        ({"allergies.ketamine": True}, "contraindicated"),
        ({"history": None}, "insufficient_information"),
    ],
)
def test_every_outcome_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], changes: dict[str, object], outcome: str
) -> None:
    code, data = run(capsys, [facts_file(tmp_path, patch(baseline(), changes))])
    assert (code, data["outcome"]) == (EXIT_OK, outcome)


def test_settings_override(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = patch(
        baseline(), {"medications": [{"classes": ["benzodiazepine"], "diazepam_equivalent_mg_per_day": 10}]}
    )
    path = facts_file(tmp_path, doc)
    code, data = run(capsys, [path])
    assert data["outcome"] == "needs_prescriber_review"
    code, data = run(
        capsys,
        [
            path,
            "--setting",
            "benzodiazepine_max_diazepam_eq_mg_per_day=12",
            "--setting",
            " fasting_food_hours = 4.5",
        ],
    )
    assert code == EXIT_OK and data["outcome"] == "no_flags"
    assert data["settings"]["benzodiazepine_max_diazepam_eq_mg_per_day"] == 12  # type: ignore[index]
    assert data["settings"]["fasting_food_hours"] == 4.5  # type: ignore[index]
    assert data["settings_overridden"] == ["benzodiazepine_max_diazepam_eq_mg_per_day", "fasting_food_hours"]


def test_explicit_ruleset_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, data = run(capsys, [facts_file(tmp_path, baseline()), "--ruleset", str(DEFAULT_RULESET)])
    assert code == EXIT_OK and data["outcome"] == "no_flags"


def test_injected_ruleset_loader(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    asked: list[str | None] = []

    def loader(path: str | None) -> RuleSet:
        asked.append(path)
        return load_ruleset(DEFAULT_RULESET)

    code, _ = run(capsys, [facts_file(tmp_path, baseline())], ruleset_loader=loader)
    assert code == EXIT_OK and asked == [None]


def test_standard_input(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(baseline())))
    code, data = run(capsys, ["-"])
    assert code == EXIT_OK and data["outcome"] == "no_flags"


# -- invalid input: exit 2 with errors naming fields -------------------------------------------------


def test_inconsistent_facts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = patch(
        baseline(),
        {
            "sex_at_birth": "male",
            "lactating": True,
            "bp_systolic": 400,
            "bp_diastolic": 20,
            "weight_kg": 0,
            "colour": "red",
        },
    )
    code, data = run(capsys, [facts_file(tmp_path, doc)])
    assert code == EXIT_INVALID
    assert sorted(fields(data)) == ["bp_diastolic", "bp_systolic", "colour", "lactating", "weight_kg"]


@pytest.mark.parametrize(
    ("content", "code_name"),
    [
        ("{not json", "invalid_json"),
        ('{"age_years": 40, "age_years": 41}', "invalid_json"),  # a duplicate key is refused, not last-wins
        ("", "invalid_json"),
    ],
)
def test_invalid_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, code_name: str
) -> None:
    path = tmp_path / "facts.json"
    path.write_text(content, encoding="utf-8")
    code, data = run(capsys, [str(path)])
    assert code == EXIT_INVALID
    assert fields(data) == ["facts_file"]
    assert data["errors"][0]["code"] == code_name  # type: ignore[index]


def test_unreadable_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, data = run(capsys, [str(tmp_path / "absent.json")])
    assert code == EXIT_INVALID and fields(data) == ["facts_file"]
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe{")
    code, data = run(capsys, [str(binary)])
    assert code == EXIT_INVALID and fields(data) == ["facts_file"]
    assert data["errors"][0]["code"] == "unreadable"  # type: ignore[index]


def test_facts_not_an_object(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, data = run(capsys, [facts_file(tmp_path, [1, 2])])
    assert code == EXIT_INVALID and fields(data) == ["facts"]


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (["nope"], ["settings"]),
        (["=3"], ["settings"]),
        (["nope=3"], ["settings.nope"]),
        (["no_driving_hours=soon"], ["settings.no_driving_hours"]),
        (["no_driving_hours=1e9"], ["settings.no_driving_hours"]),
        (["upper_age_review_years=70.5"], ["settings.upper_age_review_years"]),
        (["no_driving_hours=12", "no_driving_hours=24"], ["settings.no_driving_hours"]),
    ],
)
def test_bad_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], settings: list[str], expected: list[str]
) -> None:
    argv = [facts_file(tmp_path, baseline())]
    for setting in settings:
        argv += ["--setting", setting]
    code, data = run(capsys, argv)
    assert code == EXIT_INVALID and fields(data) == expected


def test_settings_and_facts_errors_are_reported_together(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = patch(baseline(), {"age_years": 200})
    code, data = run(capsys, [facts_file(tmp_path, doc), "--setting", "nope=1"])
    assert code == EXIT_INVALID and fields(data) == ["settings.nope", "age_years"]


def test_bad_ruleset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("format = 1\nid = \n", encoding="utf-8")
    code, data = run(capsys, [facts_file(tmp_path, baseline()), "--ruleset", str(broken)])
    assert code == EXIT_INVALID and fields(data) == ["ruleset"]
    assert "line 2" in data["errors"][0]["message"]  # type: ignore[index]

    def failing(path: str | None) -> RuleSet:
        raise RuleSetError("clinic db", "no rule set configured")

    code, data = run(capsys, [facts_file(tmp_path, baseline())], ruleset_loader=failing)
    assert code == EXIT_INVALID and fields(data) == ["ruleset"]


@pytest.mark.parametrize(
    "argv", [[], ["a.json", "b.json"], ["a.json", "--colour", "red"], ["a.json", "--setting"]]
)
def test_usage_errors(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, data = run(capsys, argv)
    assert code == EXIT_INVALID and fields(data) == ["arguments"]


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert screen_main(["--help"]) == EXIT_OK
    assert "kapstone screen" in capsys.readouterr().out
