"""A program version as plain data: program → modules → lessons, and each module's knowledge check.

Frozen dataclasses with no Django, read by the loader (``loader.py``), graded by ``grading.py`` and
stored as the files they came from by the app (so a published version is exactly its files).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

QUESTION_KINDS = ("single", "multiple", "true_false", "short_answer")
MEDIA_KINDS = ("video", "audio", "image", "page")


@dataclass(frozen=True)
class Source:
    key: str
    citation: str
    url: str = ""


@dataclass(frozen=True)
class Link:
    title: str
    url: str
    kind: str = ""  # media only: video | audio | image | page


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    minutes: int
    topics: tuple[str, ...]
    competencies: tuple[str, ...]
    last_reviewed: dt.date
    sources: tuple[str, ...]
    body: str  # CommonMark; rendered safely by the app, never trusted
    readings: tuple[Link, ...] = ()
    media: tuple[Link, ...] = ()
    path: str = ""  # the file it came from, relative to the program folder

    @property
    def words(self) -> int:
        return len(self.body.split())


@dataclass(frozen=True)
class Question:
    id: str
    kind: str
    prompt: str
    feedback: str
    competency: str
    topic: str
    points: int = 1
    options: tuple[str, ...] = ()
    correct: frozenset[int] = frozenset()  # single / multiple
    answer: bool | None = None  # true_false
    guidance: str = ""  # short_answer: what a good answer covers, for the supervisor

    @property
    def auto_graded(self) -> bool:
        return self.kind != "short_answer"


@dataclass(frozen=True)
class Check:
    pass_mark: float  # fraction of the drawn questions' points
    attempts_allowed: int  # 0 = unlimited
    wait_minutes: int
    draw: int
    questions: tuple[Question, ...]

    def question(self, ident: str) -> Question:
        for question in self.questions:
            if question.id == ident:
                return question
        raise LookupError(ident)


@dataclass(frozen=True)
class Module:
    id: str
    folder: str
    title: str
    summary: str
    lessons: tuple[Lesson, ...]
    check: Check | None = None

    @property
    def minutes(self) -> int:
        return sum(lesson.minutes for lesson in self.lessons)


@dataclass(frozen=True)
class Program:
    id: str
    version: str
    title: str
    summary: str
    audience: str
    last_reviewed: dt.date
    competency_framework: str
    modules: tuple[Module, ...]
    sources: tuple[Source, ...] = field(default=())

    @property
    def lessons(self) -> tuple[Lesson, ...]:
        return tuple(lesson for module in self.modules for lesson in module.lessons)

    def module(self, ident: str) -> Module:
        for module in self.modules:
            if module.id == ident:
                return module
        raise LookupError(f"{self.id} {self.version} has no module {ident!r}")

    def lesson(self, ident: str) -> tuple[Module, Lesson]:
        for module in self.modules:
            for lesson in module.lessons:
                if lesson.id == ident:
                    return module, lesson
        raise LookupError(f"{self.id} {self.version} has no lesson {ident!r}")

    def source(self, key: str) -> Source:
        for source in self.sources:
            if source.key == key:
                return source
        raise LookupError(key)

    @property
    def minutes(self) -> int:
        return sum(module.minutes for module in self.modules)
