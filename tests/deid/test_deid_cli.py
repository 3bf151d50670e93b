"""``kapstone deid``: JSON out, exit 0; exit 2 on input it cannot use."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from kapstone.deid.cli import main


def run(argv: list[str], text: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object], str]:
    code = main(argv, stdin=io.StringIO(text))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else {}), err


def test_known_values_are_removed_and_every_span_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    known = tmp_path / "known.json"
    known.write_text(
        json.dumps({"name": ["Rowan Fictional"], "date": ["2019-03-14"], "phone": ["555-201-3344"]})
    )
    code, body, _ = run(
        ["--known", str(known), "--today", "2026-12-02"], "Rowan seen 3/14/2019, 5552013344.", capsys
    )
    assert code == 0
    assert body["text"] == "[CLIENT] seen [DATE-2019], [PHONE]."
    assert body["held"] is False
    spans = body["spans"]
    assert isinstance(spans, list)
    assert [s["class"] for s in spans] == ["name", "date", "phone"]
    assert all({"class", "start", "end", "why"} <= set(s) for s in spans)


def test_without_known_only_detection_runs_and_a_flag_holds(capsys: pytest.CaptureFixture[str]) -> None:
    code, body, _ = run([], "Mr. Quillby, a retired judge, wrote from quill@example.org.", capsys)
    assert code == 0
    assert "Quillby" not in str(body["text"]) and "quill@" not in str(body["text"])
    assert body["held"] is True and body["flags"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not JSON"),
        ('{"names": ["x"]}', "unknown class 'names'"),
        ('{"date": ["14/03/2019"]}', "YYYY-MM-DD"),
        ('{"age": ["ninety"]}', "an age must be a number"),
        ('{"name": "Rowan"}', "must be a list"),
        ("[]", "must be an object"),
    ],
)
def test_bad_known_json_exits_2_and_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    known = tmp_path / "known.json"
    known.write_text(content)
    code, body, err = run(["--known", str(known)], "text", capsys)
    assert code == 2
    assert body == {}
    assert message in err


def test_a_missing_known_file_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["--known", "/nonexistent/known.json"], "text", capsys)
    assert code == 2 and "known.json" in err


def test_the_management_command_runs_without_a_database(cli: object, tmp_path: Path) -> None:
    known = tmp_path / "known.json"
    known.write_text(json.dumps({"name": ["Rowan Fictional"]}))
    result = cli.run("deid", "--known", str(known), env=cli.env(tmp_path), input="Rowan's plan.")  # type: ignore[attr-defined]
    assert json.loads(result.stdout)["text"] == "[CLIENT]'s plan."
    bad = cli.run("deid", "--known", str(tmp_path / "nope.json"), env=cli.env(tmp_path), check=False)  # type: ignore[attr-defined]
    assert bad.returncode == 2


def test_a_note_that_is_not_utf8_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    stream = io.TextIOWrapper(io.BytesIO(b"Rowan \xff\xfe seen"), encoding="utf-8")
    code = main([], stdin=stream)
    assert code == 2 and "not UTF-8" in capsys.readouterr().err
