"""The suicide-risk levels file (measures/safety/levels.toml) is refused at load, naming the place
and the reason, whenever a clinic's copy would blur the follow-up: an uncited level, a rank below 1,
two levels of the same rank (which would be the more urgent?), a highest level that does not block
dosing, or one flag given two levels. Pure Python: no database needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from kapstone.lib.datafile import DataFileError
from kapstone.measures.scoring.safety_levels import LEVELS_FILE, load_safety_levels, triage

SHIPPED = LEVELS_FILE.read_text(encoding="utf-8")
DUPLICATE_FLAG = '\n[[flags]]\nflag = "cssrs_plan"\nlevel = "moderate"\nsources = ["G-triage"]\n'

# (why, text replaced once in the shipped file (or None to append), replacement, field, reason)
REFUSED: list[tuple[str, str | None, str, str | None, str]] = [
    (
        "a level citing no source",
        'sources = ["I-CSSRS-a", "I-CSSRS-e", "G-triage"]',
        "sources = []",
        "levels[0].sources",
        "cite at least one source",
    ),
    ("a rank of 0", "rank = 3", "rank = 0", "levels[0].rank", "a rank is 1 or more (higher is more urgent)"),
    ("two levels of rank 2", "rank = 1", "rank = 2", "levels", "two levels share a rank"),
    (
        "a highest level that lets dosing go on",
        "blocks_dosing = true",
        "blocks_dosing = false",
        "levels",
        "the highest level (high) must block dosing until a review",
    ),
    ("one flag listed twice", None, DUPLICATE_FLAG, None, "flag 'cssrs_plan' is listed twice"),
]


def _copy(tmp_path: Path, old: str | None, new: str) -> Path:
    if old is None:
        text = SHIPPED + new
    else:
        assert old in SHIPPED, old
        text = SHIPPED.replace(old, new, 1)
    path = tmp_path / "levels.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "field", "reason"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED]
)
def test_a_levels_file_that_would_blur_the_follow_up_is_refused(
    tmp_path: Path, old: str | None, new: str, field: str | None, reason: str
) -> None:
    path = _copy(tmp_path, old, new)
    with pytest.raises(DataFileError) as refused:
        load_safety_levels(path)
    assert refused.value.detail == reason
    assert refused.value.source == str(path)
    if field is not None:
        assert refused.value.field == field
    else:
        assert refused.value.field is not None and refused.value.field.startswith("flags[")


def test_an_unchanged_copy_loads_and_triages_like_the_shipped_file(tmp_path: Path) -> None:
    levels = load_safety_levels(_copy(tmp_path, None, ""))
    assert [(level.id, level.rank, level.blocks_dosing) for level in levels.levels] == [
        ("high", 3, True),
        ("moderate", 2, False),
        ("low", 1, False),
    ]
    finding = triage(
        levels, [{"id": "cssrs_wish_dead", "message": "wish"}, {"id": "cssrs_plan", "message": "plan"}]
    )
    assert finding is not None and (finding.level.id, finding.flag_id) == ("high", "cssrs_plan")
