"""Property tests of the curriculum reader: any broken reference, wherever it is planted, is refused
naming the file and the very line that holds it; a valid program survives a round trip unchanged."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from training_support import mini_files, mini_program

from kapstone.training.curriculum import CurriculumError
from kapstone.training.curriculum.files import replace_lesson_body, with_version

FILES = mini_files()
# (file, a reference value it holds) for every reference the format has.
REFERENCES = [
    (path, value)
    for path, text in FILES.items()
    for value in (
        "co.drug_effects",
        "co.best_practices",
        "co.ethics",
        "co.screening",
        "co.health",
        "co.administration",
        "phelps.effects",
        "phelps.ethics",
        "kap.screening",
        "kap.monitoring",
        "phelps2017",
        "fixture",
        "01-basics",
        "02-safety",
        "01-first.md",
        "02-second.md",
        "01-third.md",
    )
    if f'"{value}"' in text
]
bad_ids = st.from_regex(r"\A[a-z]{3,8}\.[a-z]{3,8}\Z").filter(
    lambda s: not s.startswith(("co.", "phelps.", "kap."))
)


@given(st.sampled_from(REFERENCES), bad_ids, st.data())
@settings(max_examples=150, deadline=None)
def test_a_broken_reference_anywhere_is_refused_at_its_line(
    reference: tuple[str, str], bad: str, data: st.DataObject
) -> None:
    path, value = reference
    text = FILES[path]
    lines = text.split("\n")
    holding = [i for i, line in enumerate(lines) if f'"{value}"' in line]
    index = data.draw(st.sampled_from(holding))
    lines[index] = lines[index].replace(f'"{value}"', f'"{bad}"', 1)
    files = {**FILES, path: "\n".join(lines)}
    with pytest.raises(CurriculumError) as caught:
        mini_program(files)
    assert caught.value.source == f"mini/{path}"
    assert caught.value.line == index + 1
    assert bad in str(caught.value)


@given(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"), min_size=1
    ).filter(lambda t: t.strip() and "+++" not in t),
    st.from_regex(r"\A[0-9]{1,4}(\.[0-9]{1,3}){0,2}\Z"),
)
@settings(max_examples=100, deadline=None)
def test_any_lesson_text_and_version_survive_editing(body: str, version: str) -> None:
    files = with_version(replace_lesson_body(FILES, "02-safety/01-third.md", body), version)
    program = mini_program(files)
    assert program.version == version
    _, lesson = program.lesson("third")
    assert lesson.body.strip("\n") == body.replace("\r\n", "\n").strip("\n")
    assert [x.id for x in program.lessons] == ["first", "second", "third"]
