"""The care records' clinical words come from a data file with a source per entry (issue #10 item 4):
the shipped file reads, every entry cites a source that resolves in the clinical reference, what the
reference leaves unconfirmed is marked so, and a bad file is refused naming the field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kapstone.care import forms, services, vocabulary
from kapstone.care.vocabulary import VOCABULARY, VOCABULARY_FILE, load_vocabulary
from kapstone.lib.datafile import DataFileError

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "clinical.md"


def _every_entry() -> list[tuple[str, tuple[str, ...], str]]:
    entries: list[tuple[str, tuple[str, ...], str]] = [
        (s.id, s.sources, s.unconfirmed) for s in VOCABULARY.dissociation_scales
    ]
    for terms in (VOCABULARY.emotional_states, VOCABULARY.modalities, VOCABULARY.psychoeducation):
        entries += [(t.id, t.sources, t.unconfirmed) for t in terms]
    return entries


def test_the_shipped_file_gives_the_words_the_forms_and_services_offer() -> None:
    assert services.DISSOCIATION_SCALES == {"cadss6": ("CADSS-6", 0, 24), "cadss": ("CADSS", 0, 92)}
    assert [key for key, _ in services.PSYCHOEDUCATION] == [
        "effects", "risks", "set_setting", "session_flow", "after", "withdraw",
    ]  # fmt: skip
    assert ("withdrawn", "Withdrawn / shut down") in services.EMOTIONAL_STATES
    assert ("ifs", "Internal Family Systems (IFS)") in services.MODALITIES
    assert forms.PSYCHOEDUCATION is vocabulary.PSYCHOEDUCATION  # read once, shared
    assert VOCABULARY.touch.covered == ("therapist", "prescriber")
    assert VOCABULARY.touch.not_covered == ("trainee",)


def test_every_entry_cites_a_source_and_the_unconfirmed_ones_say_so() -> None:
    entries = _every_entry()
    assert len(entries) == 2 + 9 + 10 + 6
    assert all(sources for _, sources, _ in entries)
    unconfirmed = {ident for ident, _, why in entries if why}
    # clinical.md §4.5: CADSS item scoring and the total range are UNCONFIRMED; it lists no modalities.
    assert {"cadss6", "cadss", "ifs", "emdr", "cbt"} <= unconfirmed
    assert "UNCONFIRMED" in next(s.unconfirmed for s in VOCABULARY.dissociation_scales if s.id == "cadss")


@pytest.mark.skipif(not REFERENCE.exists(), reason="the shared clinical reference is not beside the repo")
def test_every_cited_source_resolves_in_the_clinical_reference() -> None:
    text = REFERENCE.read_text()
    cited = {source for _, sources, _ in _every_entry() for source in sources} | set(VOCABULARY.touch.sources)
    missing = sorted(source for source in cited if not re.search(rf"\[{re.escape(source)}\]", text))
    assert missing == []


def test_a_bad_file_is_refused_naming_the_field(tmp_path: Path) -> None:
    good = VOCABULARY_FILE.read_text()
    cases = {
        'high = 24\nsources = ["I-CADSS-d"]': ("high = 24\nsources = []", "dissociation_scales[0].sources"),
        'id = "cadss6"\nlabel = "CADSS-6"\nlow = 0\nhigh = 24': (
            'id = "cadss6"\nlabel = "CADSS-6"\nlow = 24\nhigh = 0',
            "dissociation_scales[0].high",
        ),
        'covered = ["therapist", "prescriber"]': ('covered = ["therapist", "trainee"]', "touch.covered"),
        'id = "tearful"': ('id = "calm"', "emotional_states"),
        'label = "EMDR"': ('label = "EMDR"\ncolour = "blue"', "modalities[3]"),
    }
    for before, (after, field) in cases.items():
        assert before in good
        path = tmp_path / "vocabulary.toml"
        path.write_text(good.replace(before, after, 1))
        with pytest.raises(DataFileError) as refused:
            load_vocabulary(path)
        assert refused.value.field == field, (after, refused.value)
        assert str(path) in str(refused.value)
