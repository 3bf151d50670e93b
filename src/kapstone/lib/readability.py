"""Reading level of plain English: the Flesch–Kincaid grade (Kincaid et al., 1975).

grade = 0.39 × (words / sentences) + 11.8 × (syllables / words) − 15.59

Syllables are counted by the usual heuristic (groups of vowels, a silent final "e", at least one
per word); it is close enough to compare drafts of the same page, not to certify a document.
Pure Python, no Django.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*")
_SENTENCE_END = re.compile(r"[.!?:;]+(?:\s|$)|\n\s*\n")
_VOWELS = re.compile(r"[aeiouy]+")


def syllables(word: str) -> int:
    word = word.lower().replace("’", "'").split("'")[0]
    if not word:
        return 0
    count = len(_VOWELS.findall(word))
    if word.endswith("e") and not word.endswith(("le", "ee", "ye")) and count > 1:
        count -= 1  # a silent final e: "make", "time"
    if word.endswith("ed") and not word.endswith(("ted", "ded")) and count > 1:
        count -= 1  # "signed", "asked"
    return max(1, count)


@dataclass(frozen=True)
class Reading:
    words: int
    sentences: int
    syllables: int

    @property
    def grade(self) -> float:
        if not self.words:
            return 0.0
        return round(0.39 * self.words / self.sentences + 11.8 * self.syllables / self.words - 15.59, 1)


def reading(text: str) -> Reading:
    words = _WORD.findall(text)
    pieces = [p for p in _SENTENCE_END.split(text) if _WORD.search(p)]
    return Reading(len(words), max(1, len(pieces)), sum(syllables(w) for w in words))


def grade(text: str) -> float:
    return reading(text).grade
