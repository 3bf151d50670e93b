"""A program's files: reading one with its framework, listing it, editing a lesson's text into a new
draft, writing it back to a folder. Pure: no Django."""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kapstone.lib.datafile import DataFileError
from kapstone.training.curriculum.loader import (
    FRONT,
    CurriculumError,
    _line_of,
    parse_program,
    read_folder,
    split_front_matter,
)
from kapstone.training.curriculum.model import Program
from kapstone.training.frameworks import load_framework, topic_ids

CONTENT = Path(__file__).resolve().parent.parent / "content"


def load_program(files: Mapping[str, str], *, root: str) -> Program:
    """Parse ``files`` against the framework its program.toml names and the installed topic ids."""
    text = files.get("program.toml", "")
    try:
        head = tomllib.loads(text).get("program", {})
    except tomllib.TOMLDecodeError:
        head = {}  # parse_program reports the syntax error with its line
    framework_id = head.get("competency_framework") if isinstance(head, dict) else None
    competencies: frozenset[str] = frozenset()
    if isinstance(framework_id, str):
        try:
            competencies = load_framework(framework_id).ids
        except (LookupError, DataFileError) as exc:
            line = _line_of(text, "program.competency_framework", framework_id)
            detail = f"competency framework {framework_id!r} cannot be used: {exc}"
            field = "program.competency_framework"
            raise CurriculumError(f"{root}/program.toml", detail, line=line, field=field) from exc
    return parse_program(files, root=root, competencies=competencies, topics=topic_ids())


def installed() -> list[tuple[Program, dict[str, str]]]:
    """Every program folder shipped under ``training/content/`` that reads cleanly, by folder name."""
    found = []
    if CONTENT.is_dir():
        for folder in sorted(p for p in CONTENT.iterdir() if (p / "program.toml").is_file()):
            files = read_folder(folder)
            found.append((load_program(files, root=f"content/{folder.name}"), files))
    return found


def digest(files: Mapping[str, str]) -> str:
    """A content hash of a program version's files (stable across dict order)."""
    return hashlib.sha256(json.dumps(dict(sorted(files.items())), ensure_ascii=False).encode()).hexdigest()


_VERSION_LINE = re.compile(r'^(\s*version\s*=\s*)"[^"\n]*"', re.MULTILINE)


def with_version(files: Mapping[str, str], version: str) -> dict[str, str]:
    """The same files with program.toml's ``version`` set to ``version``."""
    text = files["program.toml"]
    start = text.find("[program]")
    head, tail = text[: max(start, 0)], text[max(start, 0) :]
    new_tail, count = _VERSION_LINE.subn(lambda m: f'{m.group(1)}"{version}"', tail, count=1)
    if not count:
        raise CurriculumError("program.toml", "no version line to change", field="program.version")
    return {**files, "program.toml": head + new_tail}


def replace_lesson_body(files: Mapping[str, str], path: str, body: str) -> dict[str, str]:
    """The same files with the text of the lesson at ``path`` replaced (its front matter kept)."""
    if path not in files:
        raise LookupError(path)
    front, _ = split_front_matter(files[path], path)
    text = body.replace("\r\n", "\n").strip("\n")
    return {**files, path: f"{FRONT}\n{front}\n{FRONT}\n\n{text}\n"}


def write_folder(files: Mapping[str, str], folder: Path | str) -> list[Path]:
    """Write the files under ``folder`` (made if missing); refuses a path that leaves the folder."""
    base = Path(folder).resolve()
    written = []
    for rel, text in sorted(files.items()):
        target = (base / rel).resolve()
        if base not in target.parents:
            raise ValueError(f"{rel!r} is outside the export folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, "utf-8")
        written.append(target)
    return written


def summary(program: Program) -> dict[str, Any]:
    """What ``kapstone curriculum list`` shows: per module its lessons, words, questions and sources."""
    modules = []
    for module in program.modules:
        keys = sorted({key for lesson in module.lessons for key in lesson.sources})
        modules.append({
            "id": module.id,
            "title": module.title,
            "lessons": [{"id": x.id, "title": x.title, "minutes": x.minutes, "words": x.words,
                         "last_reviewed": x.last_reviewed.isoformat()} for x in module.lessons],
            "words": sum(lesson.words for lesson in module.lessons),
            "minutes": module.minutes,
            "questions": len(module.check.questions) if module.check else 0,
            "sources": keys,
        })  # fmt: skip
    return {
        "id": program.id,
        "version": program.version,
        "title": program.title,
        "last_reviewed": program.last_reviewed.isoformat(),
        "competency_framework": program.competency_framework,
        "modules": modules,
        "sources": {s.key: s.citation for s in program.sources},
    }
