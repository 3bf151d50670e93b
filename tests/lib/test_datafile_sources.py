"""``read_sources``, the one reader of a data file's ``[[sources]]`` list that protocols, instruments
and screening rule sets share: entries by id in the file's order; a missing or empty list, a
repeated id, an id of the wrong form or a grade outside P, S, G refused naming the place in the
file, in the same words whichever file the clinic author is editing."""

from __future__ import annotations

import re
from typing import Any

import pytest

from kapstone.lib.datafile import DataFileError, Node, Source, loads_toml, read_sources

ENTRIES = """
[[sources]]
id = "L1"
citation = "Fictional label, 2026"
grade = "P"

[[sources]]
id = "K2"
citation = "Fictional review"
url = "https://example.org/k2"
note = "read for the ceiling"
"""


def _root(text: str) -> Node:
    return Node(loads_toml(text, "demo.toml"), "", "demo.toml")


def _refusal(text: str, **kwargs: Any) -> tuple[str | None, str]:
    with pytest.raises(DataFileError) as refused:
        read_sources(_root(text), Source, **kwargs)
    return refused.value.field, refused.value.detail


def test_entries_are_read_by_id_in_the_files_order() -> None:
    sources = read_sources(_root(ENTRIES), Source)
    assert list(sources) == ["L1", "K2"]
    assert sources["L1"] == Source("L1", "Fictional label, 2026", "P", None, None)
    assert sources["K2"] == Source(
        "K2", "Fictional review", None, "https://example.org/k2", "read for the ceiling"
    )


@pytest.mark.parametrize(
    ("text", "field", "detail"),
    [
        ("", "sources", "list at least one [[sources]] entry"),
        ("sources = []", "sources", "list at least one [[sources]] entry"),
        (ENTRIES.replace('"K2"', '"L1"'), "sources[1].id", "source 'L1' is listed twice"),
        (ENTRIES.replace('"P"', '"A"'), "sources[0].grade", "'A' is not one of P, S, G"),
        (
            ENTRIES.replace('citation = "Fictional review"\n', ""),
            "sources[1].citation",
            "required key is missing",
        ),
        (ENTRIES + "colour = 1\n", "sources[1]", "unknown key(s): colour"),
    ],
)
def test_a_list_that_cannot_be_cited_from_is_refused_naming_the_place(
    text: str, field: str, detail: str
) -> None:
    assert _refusal(text) == (field, detail)


def test_a_file_may_name_its_ids_otherwise_and_give_them_a_form() -> None:
    keyed = ENTRIES.replace("id = ", "key = ")
    made = read_sources(_root(keyed), lambda *entry: entry, key="key", pattern=re.compile(r"^[A-Z]\d$"))
    assert made["K2"][:3] == ("K2", "Fictional review", None)
    wrong = keyed.replace('"K2"', '"K 2"')
    pattern = re.compile(r"^[A-Z]\d$")
    assert _refusal(wrong, key="key", pattern=pattern, pattern_means="a key such as K2") == (
        "sources[1].key",
        "'K 2' is not a key such as K2",
    )
