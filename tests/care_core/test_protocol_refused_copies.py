"""A clinic's copy of a protocol or of a shared data file is refused at load, naming the field and
why, when it would weaken a safety rule: a decimal-slip guard that stops nothing, a per-session cap
below the per-dose cap, a safety floor or current-state question that cites no source. A stored copy
held as text is read exactly like a file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from care_core_helpers import IDS, raw, write

from kapstone.care.protocol_core import SHIPPED_DIR, ProtocolError, parse_protocol
from kapstone.care.protocol_core.definition import parse_protocol_text
from kapstone.care.protocol_core.shared import load_current_state, load_safety_floors

SHARED = SHIPPED_DIR / "shared"


@pytest.mark.parametrize("protocol_id", IDS)
@pytest.mark.parametrize("fold", [1, 0.5])
def test_a_decimal_slip_guard_at_or_below_one_fold_is_refused(protocol_id: str, fold: float) -> None:
    data = raw(protocol_id)
    data["ceiling"]["max_fold_of_previous_dose"]["value"] = fold
    with pytest.raises(ProtocolError) as refused:
        parse_protocol(data, "clinic.toml")
    assert refused.value.field == "ceiling.max_fold_of_previous_dose"
    assert str(refused.value) == "clinic.toml: ceiling.max_fold_of_previous_dose: must be greater than 1"


@pytest.mark.parametrize("protocol_id", IDS)
@pytest.mark.parametrize(
    ("per_dose", "per_session"),
    [("max_mg", "per_session_max_mg"), ("max_mg_per_kg", "per_session_max_mg_per_kg")],
)
def test_a_per_session_ceiling_below_the_per_dose_ceiling_is_refused(
    protocol_id: str, per_dose: str, per_session: str
) -> None:
    data = raw(protocol_id)
    ceiling = data["ceiling"]
    ceiling[per_session]["value"] = ceiling[per_dose]["value"] * 0.9
    with pytest.raises(ProtocolError) as refused:
        parse_protocol(data, "clinic.toml")
    assert refused.value.field == f"ceiling.{per_session}"
    assert refused.value.detail == f"must not be below ceiling.{per_dose}"


@pytest.mark.parametrize("protocol_id", IDS)
def test_a_stored_copy_held_as_text_reads_like_the_shipped_file(protocol_id: str) -> None:
    path = SHIPPED_DIR / f"{protocol_id}.toml"
    protocol = parse_protocol_text(path.read_text(encoding="utf-8"), f"stored copy of {protocol_id}")
    assert (protocol.id, protocol.path) == (protocol_id, f"stored copy of {protocol_id}")
    assert protocol.ceiling is not None


def test_a_stored_copy_with_broken_toml_names_its_line() -> None:
    text = (SHIPPED_DIR / "im_kap.toml").read_text(encoding="utf-8").replace("[ceiling]", "[ceiling", 1)
    line = text.splitlines().index("[ceiling") + 1
    with pytest.raises(ProtocolError) as refused:
        parse_protocol_text(text, "stored copy")
    assert refused.value.line == line and str(refused.value).startswith(f"stored copy, line {line}: ")


def _uncited(name: str, table: str) -> str:
    text = (SHARED / name).read_text(encoding="utf-8")
    first = text.index(f"[[{table}]]")
    head, rest = text[:first], text[first:]
    return head + re.sub(r"^sources = \[.*\]$", "sources = []", rest, count=1, flags=re.MULTILINE)


def test_a_safety_floor_citing_no_source_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "safety_floors.toml", _uncited("safety_floors.toml", "floors"))
    with pytest.raises(ProtocolError) as refused:
        load_safety_floors(path)
    assert refused.value.field == "floors[0].sources"
    assert refused.value.detail == "cite at least one source"


def test_a_current_state_question_citing_no_source_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "current_state.toml", _uncited("current_state.toml", "questions"))
    with pytest.raises(ProtocolError) as refused:
        load_current_state(path)
    assert refused.value.field == "questions[0].sources"
    assert refused.value.detail == "cite at least one source"


def test_the_shipped_shared_files_load_with_their_sources() -> None:
    floors = load_safety_floors()
    assert {(f.vital, f.at_or_above) for f in floors.floors} == {("systolic", 180), ("diastolic", 120)}
    assert all(f.sources for f in floors.floors)
    questions = load_current_state().questions
    assert {(q.id, q.if_yes) for q in questions} == {
        ("current_psychotic_symptoms", "no_go"),
        ("current_manic_symptoms", "needs_justification"),
    }
