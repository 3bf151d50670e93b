"""Each kind of broken curriculum file is refused with its message, at its line; the model's lookups
refuse what a program does not hold; grading refuses each malformed submission. Pure: no Django."""

from __future__ import annotations

from pathlib import Path

import pytest
from training_support import mini_files, mini_program

from kapstone.training import grading
from kapstone.training.curriculum import CurriculumError
from kapstone.training.curriculum.files import (
    digest,
    installed,
    load_program,
    replace_lesson_body,
    with_version,
)
from kapstone.training.curriculum.loader import _line_of, parse_program, read_folder
from kapstone.training.curriculum.model import Check, Question
from kapstone.training.frameworks import load_framework, topic_ids

BASICS, SAFETY = "01-basics/module.toml", "02-safety/module.toml"
FIRST, SECOND = "01-basics/01-first.md", "01-basics/02-second.md"


def _refused(files: dict[str, str]) -> CurriculumError:
    with pytest.raises(CurriculumError) as caught:
        mini_program(files)
    return caught.value


def _edited(path: str, old: str, new: str) -> dict[str, str]:
    files = mini_files()
    assert old in files[path], (path, old)
    files[path] = files[path].replace(old, new, 1)
    return files


def _line(text: str, needle: str, after: int = 0) -> int:
    return next(i + 1 for i, line in enumerate(text.splitlines()) if i >= after and needle in line)


# (file, old text, new text, the words of the refusal, a text on the refused line (None: no line))
BROKEN = [
    ("program.toml", "last_reviewed = 2026-11-01", 'last_reviewed = "soon"', "expected a date such as",
     "last_reviewed"),
    ("program.toml", 'id = "mini"', 'id = "Mini_Program"', "'Mini_Program' is not a valid id",
     "Mini_Program"),
    ("program.toml", 'version = "1.0"', 'version = "one point oh"', "is not a version such as 2026.12",
     "one point oh"),
    ("program.toml", 'modules = [\n  "01-basics",\n  "02-safety",\n]', "modules = []",
     "list at least one module folder", "modules = []"),
    ("program.toml", 'modules = [\n  "01-basics",', 'modules = [\n  "../01-basics",',
     "module folder '../01-basics' has no module.toml", "../01-basics"),
    ("program.toml", 'key = "fixture"', 'key = "phelps2017"', "source key 'phelps2017' is used twice", None),
    ("program.toml", 'url = "https://doi.org', 'url = "doi.org', "is not an http(s) address", "doi.org"),
    (BASICS, 'lessons = ["01-first.md", "02-second.md"]', "lessons = []", "list at least one lesson file",
     "lessons = []"),
    (BASICS, '"02-second.md"]', '"module.toml"]', "lesson file 'module.toml' is not in 01-basics/",
     "module.toml"),
    (BASICS, "pass_mark = 0.5", "pass_mark = 1.5", "pass_mark is a fraction above 0 and at most 1",
     "pass_mark"),
    (BASICS, "pass_mark = 0.5", "pass_mark = 0", "pass_mark is a fraction above 0", "pass_mark"),
    (BASICS, "attempts_allowed = 3", "attempts_allowed = -1", "attempts_allowed cannot be negative",
     "attempts_allowed"),
    (BASICS, "wait_minutes = 60", "wait_minutes = -5", "wait_minutes cannot be negative", "wait_minutes"),
    (BASICS, "draw = 2", "draw = 0", "draw must be between 1 and the bank size (2)", "draw = 0"),
    (BASICS, 'id = "b-2"', 'id = "b-1"', "question id 'b-1' is used twice", None),
    (BASICS, 'options = ["Green", "Blue"]', 'options = ["Blue"]', "give at least two options", "options"),
    (BASICS, "correct = [1]", "correct = 1", "expected an array of option indices", "correct = 1"),
    (BASICS, "correct = [1]", "correct = [true]", "expected an array of option indices", "correct"),
    (BASICS, "correct = [1]", "correct = [0, 1]", "a single-choice question has exactly one correct option",
     "correct"),
    (BASICS, 'id = "b-1"', 'id = "B 1"', "'B 1' is not a valid id", "B 1"),
    (BASICS, 'kind = "single"', 'kind = "essay"', "essay", "kind"),
    (BASICS, 'id = "basics"', 'id = "safety"', "module id 'safety' is also used by 01-basics/module.toml",
     None),
    (SAFETY, "correct = [0, 1]", "correct = [0, 0]", "each once", "correct"),
    (SAFETY, "correct = [0, 1]", "correct = []", "each once", "correct"),
    (SAFETY, "points = 2", "points = 101", "points must be between 1 and 100", "points"),
    (SAFETY, 'guidance = "Vital signs."', 'answer = true', "a short_answer question has no 'answer'", None),
    (FIRST, "minutes = 20", "minutes = 0", "minutes must be between 1 and 1440", "minutes"),
    (FIRST, "minutes = 20", "minutes = 1441", "minutes must be between 1 and 1440", "minutes"),
    (FIRST, 'topics = ["co.drug_effects", "co.best_practices"]', "topics = []",
     "tag the lesson with at least one topic", "topics"),
    (FIRST, 'competencies = ["phelps.effects"]', 'competencies = ["phelps.flying"]',
     "'phelps.flying' is not a known competency id", "phelps.flying"),
    (FIRST, "last_reviewed = 2026-11-01", "last_reviewed = 2026-11-01T10:00:00Z",
     "expected a date such as 2026-12-01", "last_reviewed"),
    (FIRST, 'kind = "video"', 'kind = "hologram"', "hologram", "kind"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "old", "new", "words", "on_line"), BROKEN)
def test_each_broken_file_is_refused_with_its_message_at_its_line(
    path: str, old: str, new: str, words: str, on_line: str | None
) -> None:
    files = _edited(path, old, new)
    error = _refused(files)
    assert words in error.detail
    if path == BASICS and new.startswith('id = "safety"'):
        path = SAFETY  # the second module using an id is the one refused
    assert error.source == f"mini/{path}"
    if on_line is not None:
        assert error.line == _line(files[path], on_line)
        assert f"line {error.line}" in str(error)


def test_a_question_id_used_twice_is_refused_at_the_second_use() -> None:
    files = _edited(BASICS, 'id = "b-2"', 'id = "b-1"')
    error = _refused(files)
    first = _line(files[BASICS], 'id = "b-1"')
    assert error.line == _line(files[BASICS], 'id = "b-1"', after=first)
    assert error.field == "check.questions[1].id"


def test_a_module_id_used_twice_is_refused_at_the_second_modules_id_line() -> None:
    files = _edited(SAFETY, 'id = "safety"', 'id = "basics"')
    error = _refused(files)
    assert error.source == f"mini/{SAFETY}" and error.line == 2
    assert "module id 'basics' is also used by 01-basics/module.toml" in error.detail


def test_a_lesson_whose_front_matter_is_never_closed_is_refused_at_its_last_line() -> None:
    files = mini_files()
    files[SECOND] = files[SECOND].replace("+++\n\nSecond", "\nSecond", 1)
    error = _refused(files)
    assert error.detail == "the front matter is not closed by a +++ line"
    assert error.line == len(files[SECOND].split("\n"))


def test_a_lesson_front_matter_syntax_error_is_refused_at_the_files_line() -> None:
    files = _edited(SECOND, "minutes = 10", "minutes = = 10")
    error = _refused(files)
    assert error.source == f"mini/{SECOND}" and error.line == _line(files[SECOND], "minutes = = 10")


def test_a_program_toml_syntax_error_is_refused_at_its_line() -> None:
    files = _edited("program.toml", 'title = "Mini Test Program"', "title = Mini Test Program")
    error = _refused(files)
    assert error.source == "mini/program.toml" and error.line == _line(files["program.toml"], "title =")


def test_a_program_without_program_toml_or_without_a_framework_is_refused() -> None:
    files = mini_files()
    del files["program.toml"]
    assert _refused(files).detail == "the program folder has no program.toml"
    no_framework = _edited("program.toml", 'competency_framework = "phelps-kap"\n', "")
    assert "competency_framework" in str(_refused(no_framework))


def test_a_program_for_another_framework_than_the_one_installed_is_refused() -> None:
    files = mini_files()
    framework = load_framework("phelps-kap")
    with pytest.raises(CurriculumError) as caught:
        parse_program(
            files, root="mini", competencies=framework.ids, topics=topic_ids(), framework_id="other"
        )
    assert "competency framework 'phelps-kap' is not installed" in caught.value.detail
    assert caught.value.line == _line(files["program.toml"], "competency_framework")


def test_reading_a_folder_refuses_one_without_program_toml_and_a_file_that_is_not_utf8(
    tmp_path: Path,
) -> None:
    with pytest.raises(CurriculumError, match="the program folder has no program.toml"):
        read_folder(tmp_path)
    (tmp_path / "program.toml").write_text(mini_files()["program.toml"], "utf-8")
    (tmp_path / "notes.txt").write_bytes(b"\xff ignored: not .toml or .md")
    (tmp_path / "01-basics").mkdir()
    (tmp_path / "01-basics" / "module.toml").write_bytes(b'title = "caf\xe9"')
    with pytest.raises(CurriculumError) as caught:
        read_folder(tmp_path)
    assert caught.value.detail == "the file is not UTF-8 text" and caught.value.source.endswith("module.toml")


@pytest.mark.parametrize(
    ("text", "field", "value", "line"),
    [
        ('[[q]]\nid = "a"\n[[q]]\nid = "b"\n', "q[1].id", "b", 4),
        ('[[q]]\nid = "a"\n[[q]]\nid = "b"\n', "q[1]", None, 3),
        ('[[q]]\nid = "a"\n', "r[0]", None, None),
        ('[[q]]\nid = "a"\n[[q]]\nid = "b"\n', "q[7].id", "b", 2),  # no such table: the first id line
        ('[[q]]\nid = "a"\n[[q]]\nid = "b"\n', "q[0].id", "zzz", 2),
        ('list = [\n  "x",\n  "y",\n]\nnext = 1\n', "list", "y", 3),
        ("flag = false\nok = true\n", "ok", True, 2),
        ("a = 1\n", "missing", None, None),
        ('tags = ["a"]\n', "tags[0]", None, None),
    ],
)
def test_line_of_finds_the_line_holding_a_field_and_its_value(
    text: str, field: str, value: object, line: int | None
) -> None:
    assert _line_of(text, field, value) == line


# --- files ----------------------------------------------------------------------------------------


def test_an_unreadable_program_toml_gets_the_syntax_error_not_a_framework_error() -> None:
    files = mini_files()
    files["program.toml"] = "[program\n"
    with pytest.raises(CurriculumError) as caught:
        load_program(files, root="mini")
    assert caught.value.line == 1 and "framework" not in caught.value.detail


def test_a_program_head_that_is_not_a_table_is_refused() -> None:
    files = mini_files()
    files["program.toml"] = 'program = "mini"\n'
    with pytest.raises(CurriculumError, match="program"):
        load_program(files, root="mini")


def test_the_shipped_programs_all_read_cleanly() -> None:
    programs = installed()
    assert programs, "the platform ships at least one program"
    for program, files in programs:
        assert program.modules and "program.toml" in files


def test_installed_reads_each_program_folder_and_nothing_without_a_content_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kapstone.training.curriculum import files as module

    monkeypatch.setattr(module, "CONTENT", tmp_path / "absent")
    assert installed() == []
    (tmp_path / "content" / "not-a-program").mkdir(parents=True)
    module.write_folder(mini_files(), tmp_path / "content" / "mini")
    monkeypatch.setattr(module, "CONTENT", tmp_path / "content")
    [(program, files)] = installed()
    assert program.id == "mini" and files == mini_files()


def test_digest_is_stable_across_order_and_changes_with_content() -> None:
    files = mini_files()
    assert digest(dict(reversed(list(files.items())))) == digest(files)
    assert digest(_edited(FIRST, "minutes = 20", "minutes = 21")) != digest(files)


def test_a_program_toml_without_a_version_line_cannot_get_a_new_version() -> None:
    files = _edited("program.toml", 'version = "1.0"\n', "")
    with pytest.raises(CurriculumError, match="no version line to change"):
        with_version(files, "2.0")


def test_replacing_the_text_of_a_lesson_that_is_not_there_is_refused() -> None:
    with pytest.raises(LookupError):
        replace_lesson_body(mini_files(), "01-basics/09-gone.md", "text")


# --- model lookups --------------------------------------------------------------------------------


def test_lookups_find_what_the_program_holds_and_refuse_what_it_does_not() -> None:
    program = mini_program()
    assert program.module("safety").folder == "02-safety"
    assert program.source("fixture").citation == "A fictional source for tests."
    check = program.module("basics").check
    assert check is not None
    assert (
        check.question("b-1").auto_graded and not program.module("safety").check.question("s-2").auto_graded
    )  # type: ignore[union-attr]
    with pytest.raises(LookupError, match="mini 1.0 has no module 'nope'"):
        program.module("nope")
    with pytest.raises(LookupError, match="mini 1.0 has no lesson 'nope'"):
        program.lesson("nope")
    with pytest.raises(LookupError):
        program.source("nope")
    with pytest.raises(LookupError):
        check.question("nope")


# --- grading --------------------------------------------------------------------------------------


def _q(ident: str, kind: str, **extra: object) -> Question:
    return Question(id=ident, kind=kind, prompt="p", feedback="f", competency="c", topic="t", **extra)  # type: ignore[arg-type]


CHECK = Check(
    pass_mark=0.5, attempts_allowed=0, wait_minutes=0, draw=3,
    questions=(
        _q("m", "multiple", options=("a", "b", "c"), correct=frozenset({0, 2})),
        _q("t", "true_false", answer=False),
        _q("s", "short_answer", guidance="g"),
    ),
)  # fmt: skip


def test_multiple_choice_and_true_false_are_graded_at_once() -> None:
    result = grading.grade(CHECK, ("m", "t"), {"m": ["2", "0"], "t": ["false"]})
    assert [r.state for r in result.questions] == ["correct", "correct"]
    assert result.status == "passed" and result.percent == 100
    wrong = grading.grade(CHECK, ("m", "t"), {"m": ["0"], "t": ["true"]})
    assert wrong.earned == 0 and wrong.status == "failed"


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"t": ["yes"]}, "Answer true or false."),
        ({"t": ["true", "false"]}, "Answer true or false."),
        ({"m": ["3"]}, "'3' is not an option of this question."),
        ({"s": ["x" * (grading.MAX_TEXT + 1)]}, f"Keep the answer under {grading.MAX_TEXT} characters."),
    ],
)
def test_a_malformed_answer_is_refused_with_its_message(answers: dict[str, list[str]], message: str) -> None:
    with pytest.raises(grading.SubmissionRefused, match=message):
        grading.grade(CHECK, ("m", "t", "s"), answers)


@pytest.mark.parametrize("drawn", [(), ("m", "m"), ("m", "gone")])
def test_a_draw_that_does_not_match_the_check_is_refused(drawn: tuple[str, ...]) -> None:
    with pytest.raises(grading.SubmissionRefused, match="do not match the knowledge check"):
        grading.grade(CHECK, drawn, {})


def test_a_result_with_no_points_available_scores_zero() -> None:
    result = grading.Result((), (), 0, 0, 0, grading.pass_fraction(CHECK), "failed")
    assert result.score == 0 and result.percent == 0
