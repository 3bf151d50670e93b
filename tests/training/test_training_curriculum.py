"""The curriculum reader: the fixture program reads into plain data; every broken reference is
refused with the file and the line named; edits and exports keep the files' meaning."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from training_support import mini_files, mini_program

from kapstone.training.curriculum import CurriculumError
from kapstone.training.curriculum.files import replace_lesson_body, summary, with_version, write_folder
from kapstone.training.curriculum.loader import read_folder


def test_the_fixture_program_reads_into_modules_lessons_and_checks() -> None:
    program = mini_program()
    assert (program.id, program.version) == ("mini", "1.0")
    assert [m.id for m in program.modules] == ["basics", "safety"]
    assert [lesson.id for lesson in program.lessons] == ["first", "second", "third"]
    first = program.modules[0].lessons[0]
    assert first.minutes == 20 and first.topics == ("co.drug_effects", "co.best_practices")
    assert first.readings[0].url == "https://example.org/reading" and first.media[0].kind == "video"
    check = program.modules[1].check
    assert check is not None and check.attempts_allowed == 0 and check.draw == 2
    assert check.question("s-1").correct == frozenset({0, 1}) and check.question("s-1").points == 2
    assert program.minutes == 60


def test_list_summary_counts_lessons_words_questions_and_sources() -> None:
    info = summary(mini_program())
    basics = info["modules"][0]
    assert [lesson["id"] for lesson in basics["lessons"]] == ["first", "second"]
    assert basics["questions"] == 2 and basics["sources"] == ["fixture", "phelps2017"]
    assert basics["words"] == sum(lesson["words"] for lesson in basics["lessons"]) > 20


def _broken(path: str, old: str, new: str) -> CurriculumError:
    files = mini_files()
    assert old in files[path]
    files[path] = files[path].replace(old, new, 1)
    with pytest.raises(CurriculumError) as caught:
        mini_program(files)
    return caught.value


def _line(path: str, needle: str) -> int:
    lines = mini_files()[path].splitlines()
    return next(i + 1 for i, line in enumerate(lines) if needle in line)


@pytest.mark.parametrize(
    ("path", "old", "new", "needle", "words"),
    [
        ("program.toml", '"02-safety"', '"03-missing"', "03-missing", "module folder '03-missing'"),
        ("01-basics/module.toml", '"02-second.md"', '"09-gone.md"', "09-gone", "lesson file '09-gone.md'"),
        ("01-basics/module.toml", 'topic = "co.ethics"', 'topic = "co.astro"', "co.astro", "topic id"),
        ("01-basics/module.toml", 'competency = "phelps.ethics"', 'competency = "phelps.magic"',
         "phelps.magic", "competency id"),
        ("01-basics/module.toml", "draw = 2", "draw = 3", "draw = 3", "bank size (2)"),
        ("01-basics/module.toml", "correct = [1]", "correct = [2]", "correct = [2]", "option index 2"),
        ("02-safety/01-third.md", '"fixture", "phelps2017"', '"fixture", "nobody2020"', "nobody2020",
         "source key"),
        ("01-basics/01-first.md", '"co.best_practices"', '"co.nope"', "co.nope", "topic id"),
        ("01-basics/01-first.md", "https://example.org/video", "ftp://x.org/video", "ftp://", "http(s)"),
    ],
)  # fmt: skip
def test_a_broken_reference_is_refused_naming_the_file_and_line(
    path: str, old: str, new: str, needle: str, words: str
) -> None:
    error = _broken(path, old, new)
    files = mini_files()
    files[path] = files[path].replace(old, new, 1)
    expected = next(i + 1 for i, line in enumerate(files[path].splitlines()) if needle in line)
    assert error.source == f"mini/{path}"
    assert error.line == expected
    assert words in str(error) and f"line {expected}" in str(error)


def test_a_toml_syntax_error_names_the_line() -> None:
    error = _broken("01-basics/module.toml", "draw = 2", "draw = = 2")
    assert error.line == _line("01-basics/module.toml", "draw = 2")


def test_a_lesson_without_front_matter_or_text_is_refused() -> None:
    assert "+++" in str(_broken("01-basics/02-second.md", "+++\nid", "id"))
    assert "no text" in str(_broken("01-basics/02-second.md", "Second fictional lesson text.", ""))


def test_a_lesson_id_used_twice_is_refused() -> None:
    error = _broken("01-basics/02-second.md", 'id = "second"', 'id = "first"')
    assert error.source == "mini/01-basics/02-second.md" and error.line == 2 and "also used" in str(error)


def test_an_unknown_framework_and_unknown_keys_are_refused() -> None:
    error = _broken("program.toml", '"phelps-kap"', '"no-such-framework"')
    assert error.line == _line("program.toml", "competency_framework")
    assert "spelling" in str(_broken("02-safety/module.toml", 'guidance = "Vital signs."',
                                     'guidance = "Vital signs."\nspelling = 1'))  # fmt: skip


def test_a_true_false_question_with_options_is_refused() -> None:
    error = _broken("01-basics/module.toml", "answer = true", 'answer = true\noptions = ["a", "b"]')
    assert "no 'options'" in str(error)


def test_editing_a_lesson_keeps_its_front_matter_and_a_new_version_changes_only_the_version() -> None:
    files = with_version(replace_lesson_body(mini_files(), "01-basics/02-second.md", "New text.\r\n"), "1.1")
    program = mini_program(files)
    assert program.version == "1.1"
    _, lesson = program.lesson("second")
    assert lesson.body == "New text.\n" and lesson.minutes == 10 and lesson.sources == ("fixture",)


def test_export_writes_the_same_files_back(tmp_path: Path) -> None:
    files = mini_files()
    write_folder(files, tmp_path / "out")
    assert read_folder(tmp_path / "out") == files
    with pytest.raises(ValueError, match="outside"):
        write_folder({"../escape.md": "x"}, tmp_path / "out")


PURE = ["curriculum/model.py", "curriculum/loader.py", "curriculum/files.py", "grading.py", "agreement.py",
        "frameworks/__init__.py"]  # fmt: skip


@pytest.mark.parametrize("name", PURE)
def test_the_pure_cores_import_no_django_and_no_app(name: str) -> None:
    import kapstone.training

    source = Path(kapstone.training.__file__).parent / name
    imported = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    allowed = ("kapstone.lib", "kapstone.training.curriculum", "kapstone.training.frameworks")
    bad = [
        m
        for m in imported
        if m.startswith("django") or (m.startswith("kapstone") and not m.startswith(allowed))
    ]
    assert not bad
