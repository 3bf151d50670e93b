"""Syllable counting at the edges: a token with no letters before its apostrophe (as a caller may
pass one) counts 0 syllables instead of inflating the grade, and an empty text is grade 0."""

from __future__ import annotations

import pytest

from kapstone.lib.readability import Reading, grade, reading, syllables


@pytest.mark.parametrize("word", ["", "'", "'twas", "’tis"])
def test_a_word_with_no_letters_before_its_apostrophe_has_no_syllables(word: str) -> None:
    assert syllables(word) == 0


def test_an_empty_text_reads_as_grade_0() -> None:
    assert reading("") == Reading(words=0, sentences=1, syllables=0)
    assert grade("   \n\n  ") == 0.0
