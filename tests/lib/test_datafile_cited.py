"""The one reader of cited data-file sections the protocol's shared files and the suicide-risk
levels both stand on: the header is checked before any section is read, and a section without a
citation, or citing a source the file does not list, is refused naming its place in the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from kapstone.lib.datafile import DataFileError, Node, cited, open_data_file

HEADER = 'format = 1\nkind = "floors"\nid = "demo_floors"\nversion = "1.2.0"\n'


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "floors.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_file_opens_with_its_header_read_and_its_sections_left_to_the_caller(tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER + '[[floors]]\nsources = ["X1"]\n')
    root, ident, version, source = open_data_file(path, "floors")
    assert (ident, version, source) == ("demo_floors", "1.2.0", str(path))
    [floor] = root.tables("floors")
    assert cited(floor) == ("X1",)
    floor.finish()
    root.finish()


def test_a_file_of_another_kind_is_refused_before_its_sections(tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER)
    with pytest.raises(DataFileError) as refused:
        open_data_file(path, "safety_levels")
    assert refused.value.field == "kind"
    assert refused.value.source == str(path)


def test_an_uncited_section_is_refused_naming_its_place() -> None:
    node = Node({"sources": []}, "floors[2]", "floors.toml")
    with pytest.raises(DataFileError) as refused:
        cited(node)
    assert (refused.value.field, refused.value.detail) == ("floors[2].sources", "cite at least one source")


def test_a_section_may_be_left_uncited_only_when_the_reader_says_so() -> None:
    node = Node({"sources": []}, "categories[0]", "ae.toml")
    assert cited(node, listed={"A1"}, at_least_one=False) == ()


def test_a_citation_must_name_a_listed_source() -> None:
    node = Node({"refs": ["A1", "Z9"]}, "record", "ae.toml")
    assert cited(Node({"refs": ["A1"]}, "record", "ae.toml"), "refs", listed={"A1"}) == ("A1",)
    with pytest.raises(DataFileError) as refused:
        cited(node, "refs", listed={"A1"})
    assert refused.value.field == "record.refs"
    assert refused.value.detail == "source 'Z9' is not listed in [[sources]]"


def test_a_citation_key_left_out_is_refused_unless_the_reader_makes_it_optional() -> None:
    with pytest.raises(DataFileError) as refused:
        cited(Node({}, "options.dose", "phq9.toml"), listed={"A1"}, at_least_one=False)
    assert (refused.value.field, refused.value.detail) == ("options.dose.sources", "required key is missing")
    assert (
        cited(Node({}, "options.dose", "phq9.toml"), listed={"A1"}, at_least_one=False, optional=True) == ()
    )
    with pytest.raises(DataFileError) as unlisted:
        cited(Node({"sources": ["Z9"]}, "options.dose", "phq9.toml"), listed={"A1"}, optional=True)
    assert unlisted.value.detail == "source 'Z9' is not listed in [[sources]]"
