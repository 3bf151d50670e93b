"""The default curriculum and the public guide, checked as plain files.

These tests read the shipped content with `tomllib` only, so they hold the content to the
fixed file format (see the curriculum format note) whether or not the training app's loader
exists yet: every file parses, every id is unique, every citation resolves, every question can
be graded, every lesson is real teaching text, and the lessons together cover all fourteen
Colorado topic areas.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

TRAINING = Path(__file__).resolve().parents[2] / "src" / "kapstone" / "training"
PROGRAM_DIR = TRAINING / "content" / "kap-foundations"
GUIDE = TRAINING / "guide" / "guide.md"

COLORADO_TOPICS = frozenset(
    {
        "co.ethics",
        "co.health",
        "co.touch",
        "co.trauma",
        "co.cultural_equity",
        "co.preparation",
        "co.administration",
        "co.integration",
        "co.group",
        "co.self_care",
        "co.best_practices",
        "co.drug_effects",
        "co.suicide",
        "co.screening",
    }
)
COMPETENCIES = frozenset(
    {
        "phelps.presence",
        "phelps.trust",
        "phelps.spiritual",
        "phelps.effects",
        "phelps.ethics",
        "phelps.techniques",
        "kap.screening",
        "kap.monitoring",
        "kap.adverse_events",
        "kap.consent_touch",
    }
)
KINDS = frozenset({"single", "multiple", "true_false", "short_answer"})
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
MIN_LESSON_WORDS = 400
# Raw HTML in Markdown is rendered inert; shipped content should not rely on it at all.
RAW_HTML = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")


def split_front_matter(text: str, path: Path) -> tuple[dict[str, Any], str]:
    """Split `+++`-fenced TOML front matter from the Markdown body."""
    lines = text.split("\n")
    assert lines[0] == "+++", f"{path}: front matter must open with a '+++' line"
    try:
        end = lines.index("+++", 1)
    except ValueError:
        pytest.fail(f"{path}: front matter is never closed with a '+++' line")
    meta = tomllib.loads("\n".join(lines[1:end]))
    return meta, "\n".join(lines[end + 1 :])


def word_count(markdown: str) -> int:
    return len(re.findall(r"[A-Za-z0-9’'-]+", markdown))


@dataclass
class Lesson:
    path: Path
    meta: dict[str, Any]
    body: str


@dataclass
class Module:
    folder: Path
    data: dict[str, Any]
    lessons: list[Lesson] = field(default_factory=list)

    @property
    def check(self) -> dict[str, Any]:
        return self.data["check"]

    @property
    def questions(self) -> list[dict[str, Any]]:
        return self.data["check"]["questions"]


@dataclass
class Program:
    data: dict[str, Any]
    modules: list[Module]

    @property
    def source_keys(self) -> set[str]:
        return {s["key"] for s in self.data["program"]["sources"]}

    @property
    def lessons(self) -> list[Lesson]:
        return [lesson for module in self.modules for lesson in module.lessons]


def load_program(directory: Path) -> Program:
    with (directory / "program.toml").open("rb") as f:
        data = tomllib.load(f)
    modules = []
    for folder_name in data["program"]["modules"]:
        folder = directory / folder_name
        with (folder / "module.toml").open("rb") as f:
            module = Module(folder=folder, data=tomllib.load(f))
        for lesson_file in module.data["module"]["lessons"]:
            path = folder / lesson_file
            meta, body = split_front_matter(path.read_text(encoding="utf-8"), path)
            module.lessons.append(Lesson(path=path, meta=meta, body=body))
        modules.append(module)
    return Program(data=data, modules=modules)


@pytest.fixture(scope="module")
def program() -> Program:
    return load_program(PROGRAM_DIR)


def test_program_header_is_complete(program: Program) -> None:
    header = program.data["program"]
    assert header["id"] == "kap-foundations"
    assert ID_PATTERN.match(header["id"])
    for key in ("version", "title", "summary", "audience", "competency_framework"):
        assert isinstance(header[key], str) and header[key].strip(), key
    assert isinstance(header["last_reviewed"], dt.date)


def test_at_least_twelve_modules_each_with_lessons_and_a_check(program: Program) -> None:
    assert len(program.modules) >= 12
    for module in program.modules:
        assert 2 <= len(module.lessons) <= 3, module.folder.name
        assert module.data["module"]["title"].strip()
        assert module.data["module"]["summary"].strip()


def test_every_file_in_a_module_folder_is_listed(program: Program) -> None:
    listed_folders = set(program.data["program"]["modules"])
    on_disk = {p.name for p in PROGRAM_DIR.iterdir() if p.is_dir()}
    assert on_disk == listed_folders
    for module in program.modules:
        files = {p.name for p in module.folder.glob("*.md")}
        assert files == set(module.data["module"]["lessons"]), module.folder.name


def test_ids_are_unique_and_well_formed(program: Program) -> None:
    module_ids = [m.data["module"]["id"] for m in program.modules]
    lesson_ids = [lesson.meta["id"] for lesson in program.lessons]
    source_keys = [s["key"] for s in program.data["program"]["sources"]]
    for ids in (module_ids, lesson_ids, source_keys):
        assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
        assert all(ID_PATTERN.match(i) for i in ids), ids
    for module in program.modules:
        question_ids = [q["id"] for q in module.questions]
        assert len(question_ids) == len(set(question_ids)), module.folder.name
        assert all(ID_PATTERN.match(i) for i in question_ids), question_ids


def test_every_lesson_has_complete_front_matter(program: Program) -> None:
    for lesson in program.lessons:
        meta = lesson.meta
        where = lesson.path.relative_to(PROGRAM_DIR)
        assert meta["title"].strip(), where
        assert isinstance(meta["minutes"], int) and 10 <= meta["minutes"] <= 90, where
        assert isinstance(meta["last_reviewed"], dt.date), where
        assert meta["topics"] and set(meta["topics"]) <= COLORADO_TOPICS, where
        assert meta["competencies"] and set(meta["competencies"]) <= COMPETENCIES, where
        assert meta["sources"], where
        assert meta.get("readings"), f"{where}: no further reading"
        for reading in meta["readings"]:
            assert reading["title"].strip(), where
            assert reading["url"].startswith("https://"), where


def test_every_cited_source_resolves_and_every_source_is_cited(program: Program) -> None:
    keys = program.source_keys
    cited: set[str] = set()
    for lesson in program.lessons:
        unknown = set(lesson.meta["sources"]) - keys
        assert not unknown, f"{lesson.path.name} cites unknown sources {sorted(unknown)}"
        cited.update(lesson.meta["sources"])
    assert keys - cited == set(), f"sources cited by no lesson: {sorted(keys - cited)}"
    for source in program.data["program"]["sources"]:
        assert source["citation"].strip()
        if "url" in source:
            assert source["url"].startswith("https://"), source["key"]


def test_lessons_are_real_teaching_text(program: Program) -> None:
    for lesson in program.lessons:
        words = word_count(lesson.body)
        assert words >= MIN_LESSON_WORDS, f"{lesson.path.name}: {words} words"
        assert lesson.body.lstrip().startswith("# "), f"{lesson.path.name}: no title heading"
        assert not RAW_HTML.search(lesson.body), f"{lesson.path.name}: raw HTML"
        assert "TODO" not in lesson.body and "lorem" not in lesson.body.lower()


def test_dosing_is_left_to_the_prescriber(program: Program) -> None:
    dosing = next(m for m in program.modules if m.data["module"]["id"] == "dosing-monitoring")
    text = " ".join(lesson.body for lesson in dosing.lessons).lower()
    assert "prescriber" in text and "protocol" in text


def test_all_fourteen_colorado_topics_are_covered_with_minutes(program: Program) -> None:
    minutes: dict[str, int] = dict.fromkeys(COLORADO_TOPICS, 0)
    for lesson in program.lessons:
        for topic in lesson.meta["topics"]:
            minutes[topic] += lesson.meta["minutes"]
    uncovered = sorted(topic for topic, m in minutes.items() if m == 0)
    assert not uncovered, f"topics no lesson carries: {uncovered}"


def test_every_knowledge_check_can_be_drawn_and_graded(program: Program) -> None:
    for module in program.modules:
        check = module.check
        name = module.folder.name
        bank = module.questions
        assert 6 <= len(bank) <= 8, name
        assert 0 < check["pass_mark"] <= 1, name
        assert isinstance(check["attempts_allowed"], int) and check["attempts_allowed"] >= 0
        assert isinstance(check["wait_minutes"], int) and check["wait_minutes"] >= 0
        assert 1 <= check["draw"] <= len(bank), name
        for q in bank:
            where = f"{name}:{q['id']}"
            assert q["kind"] in KINDS, where
            assert q["prompt"].strip() and q["feedback"].strip(), where
            assert q["competency"] in COMPETENCIES, where
            assert q["topic"] in COLORADO_TOPICS, where
            assert q.get("points", 1) >= 1, where
            if q["kind"] in ("single", "multiple"):
                options = q["options"]
                correct = q["correct"]
                assert len(options) >= 2 and len(set(options)) == len(options), where
                assert correct and len(set(correct)) == len(correct), where
                assert all(0 <= i < len(options) for i in correct), where
                if q["kind"] == "single":
                    assert len(correct) == 1, where
                assert "answer" not in q and "guidance" not in q, where
            elif q["kind"] == "true_false":
                assert isinstance(q["answer"], bool), where
                assert "options" not in q and "correct" not in q, where
            else:
                assert q["guidance"].strip(), where
                assert "options" not in q and "correct" not in q, where


def test_the_bank_mixes_question_kinds(program: Program) -> None:
    kinds = [q["kind"] for module in program.modules for q in module.questions]
    assert {"single", "multiple", "true_false", "short_answer"} <= set(kinds)
    for module in program.modules:
        assert len({q["kind"] for q in module.questions}) >= 2, module.folder.name


# ---- The public beginner's guide --------------------------------------------------------------

CITATION = re.compile(r"\[([a-z0-9][a-z0-9-]*)\]")


@pytest.fixture(scope="module")
def guide() -> tuple[dict[str, Any], str]:
    return split_front_matter(GUIDE.read_text(encoding="utf-8"), GUIDE)


def test_guide_has_title_review_date_and_sources(guide: tuple[dict[str, Any], str]) -> None:
    meta, body = guide
    assert meta["title"].strip()
    assert isinstance(meta["last_reviewed"], dt.date)
    keys = [s["key"] for s in meta["sources"]]
    assert len(keys) == len(set(keys))
    for source in meta["sources"]:
        assert ID_PATTERN.match(source["key"]) and source["citation"].strip()
        if "url" in source:
            assert source["url"].startswith("https://"), source["key"]
    assert body.lstrip().startswith("# ")


def test_every_guide_citation_resolves_and_every_source_is_cited(
    guide: tuple[dict[str, Any], str],
) -> None:
    meta, body = guide
    keys = {s["key"] for s in meta["sources"]}
    cited = set(CITATION.findall(body))
    assert cited - keys == set(), f"citations with no source: {sorted(cited - keys)}"
    assert keys - cited == set(), f"sources the text never cites: {sorted(keys - cited)}"


def test_guide_is_a_full_introduction(guide: tuple[dict[str, Any], str]) -> None:
    _, body = guide
    assert 2000 <= word_count(body) <= 3500
    assert not RAW_HTML.search(body)
    headings = [line[3:].lower() for line in body.splitlines() if line.startswith("## ")]
    for needed in ("what kap is", "evidence", "safety", "training", "reputable", "verify"):
        assert any(needed in h for h in headings), needed
    assert "Open Badges 3.0" in body
