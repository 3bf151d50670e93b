"""``kapstone curriculum list / import / export``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from training_support import FIXTURES, MINI, mini_files

from kapstone.training.curriculum.loader import read_folder
from kapstone.training.management.commands.curriculum import main
from kapstone.training.models import ProgramVersion


def test_list_json_shows_per_module_lessons_words_questions_and_sources(capsys: Any) -> None:
    assert main(["list", "--json", "--dir", str(FIXTURES)]) == 0
    (program,) = json.loads(capsys.readouterr().out)["programs"]
    assert program["id"] == "mini"
    basics = program["modules"][0]
    assert (len(basics["lessons"]), basics["questions"], basics["sources"]) == (
        2,
        2,
        ["fixture", "phelps2017"],
    )
    assert basics["words"] > 0


def test_list_text(capsys: Any) -> None:
    assert main(["list", "--dir", str(FIXTURES)]) == 0
    assert "basics: Basics — 2 lesson(s)" in capsys.readouterr().out


@pytest.mark.django_db
def test_import_publish_and_export_round_trip(world: Any, tmp_path: Path, capsys: Any) -> None:
    args = ["import", str(MINI), "--org", "larkspur-test", "--as", "avery@test.example", "--publish"]
    assert main(args) == 0
    assert ProgramVersion.objects.get().status == "published"
    assert (
        main(
            [
                "export",
                str(tmp_path / "out"),
                "--org",
                "larkspur-test",
                "--program",
                "mini",
                "--version",
                "1.0",
            ]
        )
        == 0
    )
    assert read_folder(tmp_path / "out") == mini_files()
    assert main(["import", str(MINI), "--org", "larkspur-test", "--as", "toby@test.example"]) == 2
    assert "program lead" in capsys.readouterr().err


@pytest.mark.django_db
def test_a_broken_import_exits_2_naming_file_and_line(world: Any, tmp_path: Path, capsys: Any) -> None:
    files = mini_files()
    files["01-basics/01-first.md"] = files["01-basics/01-first.md"].replace(
        'sources = ["phelps2017"]', 'sources = ["x"]'
    )
    from kapstone.training.curriculum.files import write_folder

    write_folder(files, tmp_path / "mini")
    assert (
        main(["import", str(tmp_path / "mini"), "--org", "larkspur-test", "--as", "avery@test.example"]) == 2
    )
    assert "mini/01-basics/01-first.md, line 8" in capsys.readouterr().err
    assert not ProgramVersion.objects.exists()
