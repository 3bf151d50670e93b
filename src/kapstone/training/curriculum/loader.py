"""Reading a program folder (the format of notes/curriculum_format.md) into a ``Program``.

Pure: no Django. The input is the folder's files as ``{relative path: text}``, so the same reader
checks a folder on disk, an uploaded set of files and a version stored in the database. Everything
is checked before anything is returned: a broken reference (a module folder, lesson file, source
key, competency or topic that does not exist) raises ``CurriculumError`` naming the file and line,
and there is no partial result to import.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kapstone.lib.datafile import DataFileError, Node, is_number, loads_toml
from kapstone.training.curriculum.model import (
    MEDIA_KINDS,
    QUESTION_KINDS,
    Check,
    Lesson,
    Link,
    Module,
    Program,
    Question,
    Source,
)

PROGRAM_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
ITEM_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
FOLDER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+-]{0,39}$")
URL = re.compile(r"^https?://[^\s<>\"']+$")
FRONT = "+++"


class CurriculumError(DataFileError):
    """A program's files cannot be used: ``source`` is the file, ``line`` the line where known."""


class _Ref(DataFileError):
    """An error of meaning about one value, so the line holding that value can be found."""

    def __init__(self, node: Node, key: str, value: object, detail: str) -> None:
        super().__init__(node.source, detail, field=node.path(key))
        self.value = value


_HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.\"-]+)\s*\]\]?\s*(#.*)?$")


def _line_of(text: str, field: str, value: object = None) -> int | None:
    """The 1-based line of ``field`` (``check.questions[2].topic``) in TOML ``text``, if it can be found."""
    lines = text.splitlines()
    start, end = 0, len(lines)
    match = re.match(r"^(.*?)\[(\d+)\](?:\.(.*))?$", field)
    if match:
        table, index, rest = match.group(1), int(match.group(2)), match.group(3) or ""
        headers = [i for i, line in enumerate(lines) if (h := _HEADER.match(line)) and h.group(1) == table]
        if index < len(headers):
            start = headers[index]
            later = [i for i in range(start + 1, len(lines)) if _HEADER.match(lines[i])]
            end = later[0] if later else len(lines)
        if not rest:
            return start + 1 if headers else None
        field = rest
    key = field.split(".")[-1]
    key = re.sub(r"\[\d+\]$", "", key)
    key_line = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=")
    any_key = re.compile(r"^\s*\"?[A-Za-z0-9_-]+\"?\s*=")
    for i in range(start, end):
        if not key_line.match(lines[i]):
            continue
        if value is None:
            return i + 1
        needle = f'"{value}"' if isinstance(value, str) else str(value).lower()
        for j in range(i, end):
            if j > i and (any_key.match(lines[j]) or _HEADER.match(lines[j])):
                break
            if needle in lines[j]:
                return j + 1
        return i + 1
    return None


def _fail(exc: DataFileError, text: str, offset: int = 0) -> CurriculumError:
    line = exc.line
    if line is None and exc.field:
        found = _line_of(text, exc.field, getattr(exc, "value", None))
        line = found + offset if found is not None else None
    elif line is not None:
        line += offset
    return CurriculumError(exc.source, exc.detail, line=line, field=exc.field)


def _date(node: Node, key: str) -> dt.date:
    value = node.get(key)
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise _Ref(node, key, None, "expected a date such as 2026-12-01")
    return value


def _id(node: Node, key: str, pattern: re.Pattern[str] = ITEM_ID) -> str:
    value: str = node.string(key)
    if not pattern.match(value):
        raise _Ref(node, key, value, f"{value!r} is not a valid id (lower-case letters, digits, - or _)")
    return value


def _url(node: Node, key: str) -> str:
    value: str = node.string(key)
    if not URL.match(value):
        raise _Ref(node, key, value, f"{value!r} is not an http(s) address")
    return value


def _members(node: Node, key: str, allowed: frozenset[str] | set[str], what: str) -> tuple[str, ...]:
    values: tuple[str, ...] = node.strings(key, ())
    for value in values:
        if value not in allowed:
            raise _Ref(node, key, value, f"{value!r} is not a known {what}")
    return values


def _program_head(node: Node, folders: set[str]) -> dict[str, Any]:
    head: dict[str, Any] = {
        "id": _id(node, "id", PROGRAM_ID),
        "version": node.string("version"),
        "title": node.string("title"),
        "summary": node.string("summary"),
        "audience": node.string("audience"),
        "last_reviewed": _date(node, "last_reviewed"),
        "competency_framework": node.string("competency_framework"),
    }
    if not VERSION.match(head["version"]):
        raise _Ref(node, "version", head["version"], f"{head['version']!r} is not a version such as 2026.12")
    modules = node.strings("modules")
    if not modules:
        raise node.fail("modules", "list at least one module folder")
    for folder in modules:
        if not FOLDER.match(folder) or folder not in folders:
            raise _Ref(node, "modules", folder, f"module folder {folder!r} has no module.toml")
    head["modules"] = modules
    sources = []
    for item in node.tables("sources"):
        url = _url(item, "url") if "url" in item.data else ""
        sources.append(Source(_id(item, "key"), item.string("citation"), url))
        item.finish()
    keys = [s.key for s in sources]
    for key in keys:
        if keys.count(key) > 1:
            raise _Ref(node, "sources", key, f"source key {key!r} is used twice")
    head["sources"] = tuple(sources)
    node.finish()
    return head


def _links(node: Node, key: str, media: bool) -> tuple[Link, ...]:
    links = []
    for item in node.tables(key):
        kind = item.choice("kind", MEDIA_KINDS) if media else ""
        links.append(Link(item.string("title"), _url(item, "url"), kind))
        item.finish()
    return tuple(links)


def split_front_matter(text: str, source: str) -> tuple[str, str]:
    """(front matter TOML, body) of a lesson file; the front matter sits between ``+++`` lines."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != FRONT:
        raise CurriculumError(source, "a lesson starts with a +++ line, then its TOML front matter", line=1)
    for i in range(1, len(lines)):
        if lines[i].strip() == FRONT:
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1 :]).strip("\n") + "\n"
    raise CurriculumError(source, "the front matter is not closed by a +++ line", line=len(lines))


def _lesson(text: str, path: str, ctx: _Context) -> Lesson:
    source = f"{ctx.root}/{path}"
    front, body = split_front_matter(text, source)
    try:
        node = Node(loads_toml(front, source), "", source)
        lesson = Lesson(
            id=_id(node, "id"),
            title=node.string("title"),
            minutes=_minutes(node),
            topics=_members(node, "topics", ctx.topics, "topic id"),
            competencies=_members(node, "competencies", ctx.competencies, "competency id"),
            last_reviewed=_date(node, "last_reviewed"),
            sources=_members(node, "sources", ctx.sources, "source key of program.toml"),
            body=body,
            readings=_links(node, "readings", media=False),
            media=_links(node, "media", media=True),
            path=path,
        )
        if not lesson.topics:
            raise node.fail("topics", "tag the lesson with at least one topic")
        if not body.strip():
            raise DataFileError(source, "the lesson has no text after its front matter")
        node.finish()
    except DataFileError as exc:
        raise _fail(exc, front, offset=1) from exc
    return lesson


def _minutes(node: Node) -> int:
    minutes: int = node.integer("minutes")
    if not 1 <= minutes <= 24 * 60:
        raise _Ref(node, "minutes", minutes, "minutes must be between 1 and 1440")
    return minutes


def _question(node: Node, ctx: _Context) -> Question:
    kind: str = node.choice("kind", QUESTION_KINDS)
    common: dict[str, Any] = {
        "id": _id(node, "id"),
        "kind": kind,
        "prompt": node.string("prompt"),
        "feedback": node.string("feedback"),
        "competency": node.string("competency"),
        "topic": node.string("topic"),
        "points": node.integer("points", 1),
    }
    if common["competency"] not in ctx.competencies:
        raise _Ref(
            node, "competency", common["competency"], f"{common['competency']!r} is not a known competency id"
        )
    if common["topic"] not in ctx.topics:
        raise _Ref(node, "topic", common["topic"], f"{common['topic']!r} is not a known topic id")
    if not 1 <= common["points"] <= 100:
        raise _Ref(node, "points", common["points"], "points must be between 1 and 100")
    allowed = {"single": {"options", "correct"}, "multiple": {"options", "correct"},
               "true_false": {"answer"}, "short_answer": {"guidance"}}[kind]  # fmt: skip
    for key in {"options", "correct", "answer", "guidance"} - allowed:
        if key in node.data:
            raise _Ref(node, key, None, f"a {kind} question has no {key!r}")
    if kind in ("single", "multiple"):
        options = node.strings("options")
        if len(options) < 2:
            raise node.fail("options", "give at least two options")
        correct = node.get("correct")
        if not isinstance(correct, list) or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in correct
        ):
            raise node.fail("correct", "expected an array of option indices (0 is the first option)")
        for index in correct:
            if not 0 <= index < len(options):
                raise _Ref(
                    node, "correct", index, f"option index {index} does not exist (0–{len(options) - 1})"
                )
        if len(set(correct)) != len(correct) or not correct or (kind == "single" and len(correct) != 1):
            raise node.fail("correct", "a single-choice question has exactly one correct option; "
                            "a multiple-choice one at least one, each once")  # fmt: skip
        common.update(options=options, correct=frozenset(correct))
    elif kind == "true_false":
        common["answer"] = node.boolean("answer")
    else:
        common["guidance"] = node.string("guidance")
    node.finish()
    return Question(**common)


def _check(node: Node, ctx: _Context) -> Check:
    pass_mark = node.number("pass_mark")
    if not 0 < pass_mark <= 1:
        raise _Ref(node, "pass_mark", pass_mark, "pass_mark is a fraction above 0 and at most 1")
    attempts: int = node.integer("attempts_allowed")
    wait: int = node.integer("wait_minutes")
    draw: int = node.integer("draw")
    if attempts < 0:
        raise _Ref(node, "attempts_allowed", attempts, "attempts_allowed cannot be negative (0 = unlimited)")
    if wait < 0:
        raise _Ref(node, "wait_minutes", wait, "wait_minutes cannot be negative")
    questions = tuple(_question(q, ctx) for q in node.tables("questions", required=True))
    ids = [q.id for q in questions]
    for i, ident in enumerate(ids):
        if ident in ids[:i]:
            raise _Ref(node.tables("questions")[i], "id", ident, f"question id {ident!r} is used twice")
    if not 1 <= draw <= len(questions):
        raise _Ref(node, "draw", draw, f"draw must be between 1 and the bank size ({len(questions)})")
    node.finish()
    assert is_number(pass_mark)
    return Check(float(pass_mark), attempts, wait, draw, questions)


class _Context:
    def __init__(
        self, root: str, sources: set[str], competencies: frozenset[str], topics: frozenset[str]
    ) -> None:
        self.root = root
        self.sources = sources
        self.competencies = competencies
        self.topics = topics


def _module(folder: str, files: Mapping[str, str], ctx: _Context) -> Module:
    path = f"{folder}/module.toml"
    text = files[path]
    source = f"{ctx.root}/{path}"
    try:
        root = Node(loads_toml(text, source), "", source)
        head = root.table("module", required=True)
        assert head is not None
        lesson_files = head.strings("lessons")
        if not lesson_files:
            raise head.fail("lessons", "list at least one lesson file")
        for name in lesson_files:
            if f"{folder}/{name}" not in files or not name.endswith(".md"):
                raise _Ref(head, "lessons", name, f"lesson file {name!r} is not in {folder}/")
        ident, title, summary = _id(head, "id"), head.string("title"), head.string("summary")
        head.finish()
        check_node = root.table("check")
        check = _check(check_node, ctx) if check_node is not None else None
        root.finish()
    except DataFileError as exc:
        raise _fail(exc, text) from exc
    lessons = tuple(_lesson(files[f"{folder}/{name}"], f"{folder}/{name}", ctx) for name in lesson_files)
    return Module(ident, folder, title, summary, lessons, check)


def parse_program(
    files: Mapping[str, str],
    *,
    root: str,
    competencies: frozenset[str],
    topics: frozenset[str],
    framework_id: str | None = None,
) -> Program:
    """The program in ``files`` ({"program.toml": …, "01-x/module.toml": …, "01-x/01-y.md": …}).

    ``competencies`` and ``topics`` are the ids a question or lesson may name (from the framework
    and the topic list); ``root`` names the folder in messages.
    """
    if "program.toml" not in files:
        raise CurriculumError(f"{root}/program.toml", "the program folder has no program.toml")
    text = files["program.toml"]
    source = f"{root}/program.toml"
    folders = {
        name.split("/", 1)[0] for name in files if name.endswith("/module.toml") and name.count("/") == 1
    }
    try:
        top = Node(loads_toml(text, source), "", source)
        node = top.table("program", required=True)
        assert node is not None
        head = _program_head(node, folders)
        if framework_id is not None and head["competency_framework"] != framework_id:
            raise _Ref(node, "competency_framework", head["competency_framework"],
                       f"competency framework {head['competency_framework']!r} is not installed")  # fmt: skip
        top.finish()
    except DataFileError as exc:
        raise _fail(exc, text) from exc
    ctx = _Context(root, {s.key for s in head["sources"]}, competencies, topics)
    modules = tuple(_module(folder, files, ctx) for folder in head.pop("modules"))
    _unique(modules, files, root)
    return Program(modules=modules, **head)


def _unique(modules: tuple[Module, ...], files: Mapping[str, str], root: str) -> None:
    seen_modules: dict[str, str] = {}
    seen_lessons: dict[str, str] = {}
    for module in modules:
        path = f"{module.folder}/module.toml"
        if module.id in seen_modules:
            line = _line_of(files[path], "module.id", module.id)
            raise CurriculumError(f"{root}/{path}", f"module id {module.id!r} is also used by "
                                  f"{seen_modules[module.id]}", line=line, field="module.id")  # fmt: skip
        seen_modules[module.id] = path
        for lesson in module.lessons:
            if lesson.id in seen_lessons:
                line = _line_of(split_front_matter(files[lesson.path], lesson.path)[0], "id", lesson.id)
                detail = f"lesson id {lesson.id!r} is also used by {seen_lessons[lesson.id]}"
                where = f"{root}/{lesson.path}"
                raise CurriculumError(where, detail, line=(line or 0) + 1, field="id")
            seen_lessons[lesson.id] = lesson.path


def read_folder(path: Path | str) -> dict[str, str]:
    """The program folder's .toml and .md files as ``{relative path: text}``."""
    base = Path(path)
    if not (base / "program.toml").is_file():
        raise CurriculumError(str(base / "program.toml"), "the program folder has no program.toml")
    files: dict[str, str] = {}
    for file in sorted(base.rglob("*")):
        if file.is_file() and file.suffix in (".toml", ".md"):
            rel = file.relative_to(base).as_posix()
            try:
                files[rel] = file.read_text("utf-8")
            except UnicodeDecodeError as exc:
                raise CurriculumError(str(file), "the file is not UTF-8 text") from exc
    return files
