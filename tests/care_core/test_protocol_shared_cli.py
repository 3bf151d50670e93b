"""Shared data files (vital bounds, AE categories) and the `kapstone protocols` CLI function."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from care_core_helpers import IDS, write

from kapstone.care.protocol_core import (
    SHIPPED_DIR,
    ProtocolError,
    Registry,
    default_ae_categories,
    default_vital_bounds,
    load_ae_categories,
    load_vital_bounds,
)
from kapstone.care.protocol_core.cli import protocols_main

SHARED = SHIPPED_DIR / "shared"
BOUNDS_TEXT = (SHARED / "vital_bounds.toml").read_text(encoding="utf-8")
AE_TEXT = (SHARED / "ae_categories.toml").read_text(encoding="utf-8")


# --- vital bounds -----------------------------------------------------------------------------


def test_shipped_bounds() -> None:
    bounds = default_vital_bounds()
    got = {name: (b.min, b.max) for name, b in bounds.vitals.items()}
    assert got == {
        "systolic": (0, 300),
        "diastolic": (0, 300),
        "heart_rate": (20, 250),
        "spo2": (50, 100),
        "respiratory_rate": (4, 60),
        "moaas": (0, 5),
    }
    assert bounds.vitals["diastolic"].below == "systolic" and bounds.vitals["moaas"].integer
    assert (bounds.weight.min, bounds.weight.max) == (2, 400)
    assert load_vital_bounds(SHARED / "vital_bounds.toml") == bounds


@pytest.mark.parametrize(
    ("old", "new", "field", "words"),
    [
        ("min = 20\nmax = 250", "min = 250\nmax = 20", "vitals.heart_rate.max", "greater than min"),
        ('below = "systolic"', 'below = "mean"', "vitals.diastolic.below", "not one of"),
        ("[vitals.moaas]", "[vitals.moas]", "vitals.moaas", "missing"),
        ('kind = "vital_bounds"', 'kind = "protocol"', "kind", "expected 'vital_bounds'"),
        ("[weight]", "[weights]", "weight", "missing"),
    ],
)
def test_bounds_file_errors(tmp_path: Path, old: str, new: str, field: str, words: str) -> None:
    assert old in BOUNDS_TEXT
    path = write(tmp_path, "b.toml", BOUNDS_TEXT.replace(old, new, 1))
    with pytest.raises(ProtocolError) as caught:
        load_vital_bounds(path)
    assert caught.value.field == field and words in caught.value.detail


# --- AE categories ----------------------------------------------------------------------------


def test_shipped_ae_categories() -> None:
    catalog = default_ae_categories()
    assert [c.id for c in catalog.categories] == [
        "cardiovascular",
        "respiratory",
        "psychological",
        "neurological",
        "gastrointestinal",
        "genitourinary",
        "ophthalmic",
        "allergic",
        "injection_site",
        "abuse_misuse",
        "suicidality",
    ]
    assert catalog.record_fields == (
        "severity",
        "seriousness",
        "intervention",
        "outcome",
        "relatedness",
        "rems_report",
    )
    cardiovascular = catalog.category_of("tachycardia")
    assert cardiovascular is not None and cardiovascular.id == "cardiovascular"
    assert catalog.category_of("unknown") is None
    assert "UNCONFIRMED" in (catalog.note or "") and "1-855-382-6022" in (catalog.record_note or "")
    assert set(catalog.sources) == {"K1", "L1", "L8"}
    assert load_ae_categories(SHARED / "ae_categories.toml") == catalog


@pytest.mark.parametrize(
    ("old", "new", "field", "words"),
    [
        ('id = "K1"', 'id = "L1"', "sources[1].id", "not a new, valid source id"),
        ('sources = ["K1", "L1"]', 'sources = ["K9"]', "categories[0].sources", "not listed"),
        (
            '{ id = "tachycardia", label = "Tachycardia" }',
            '{ id = "hypertension", label = "Tachycardia" }',
            "categories",
            "used twice",
        ),
        (
            'fields = ["severity", "seriousness", "intervention", "outcome", "relatedness", "rems_report"]',
            "fields = []",
            "record.fields",
            "at least one field",
        ),
        ('kind = "ae_categories"', 'kind = "ae"', "kind", "expected 'ae_categories'"),
    ],
)
def test_ae_file_errors(tmp_path: Path, old: str, new: str, field: str, words: str) -> None:
    assert old in AE_TEXT
    path = write(tmp_path, "ae.toml", AE_TEXT.replace(old, new, 1))
    with pytest.raises(ProtocolError) as caught:
        load_ae_categories(path)
    assert caught.value.field == field and words in caught.value.detail


# --- CLI ----------------------------------------------------------------------------------------


def test_table(registry: Registry, capsys: pytest.CaptureFixture[str]) -> None:
    assert protocols_main([], registry) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:5] == ["ID", "VERSION", "ROUTE", "ORIGIN", "SOURCES"]
    assert [line.split()[0] for line in lines[1:]] == sorted(IDS)
    spravato = next(line for line in lines if line.startswith("esketamine_spravato"))
    assert "1.0.0" in spravato and "intranasal" in spravato and "shipped" in spravato and "L10" in spravato
    assert "Esketamine nasal spray (SPRAVATO)" in spravato


def test_json(registry: Registry, capsys: pytest.CaptureFixture[str]) -> None:
    assert protocols_main(["--json"], registry) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in rows] == sorted(IDS)
    iv = rows[sorted(IDS).index("iv_induction_series")]
    assert iv["route"] == "iv" and iv["version"] == "1.0.0" and iv["origin"] == "shipped"
    assert iv["product"] == "racemic_ketamine" and "D5" in iv["sources"] and iv["title"].startswith("Racemic")


def test_clinic_origin(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (
        (SHIPPED_DIR / "im_kap.toml")
        .read_text(encoding="utf-8")
        .replace('version = "1.0.0"', 'version = "2"')
    )
    write(tmp_path, "im.toml", text)
    assert protocols_main(["--json"], Registry.load([tmp_path], include_shipped=False)) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["origin"] == str(tmp_path.resolve()) and row["version"] == "2"


def test_empty_registry(capsys: pytest.CaptureFixture[str]) -> None:
    assert protocols_main([], Registry()) == 0
    assert "(no protocols installed)" in capsys.readouterr().out


def test_usage(registry: Registry, capsys: pytest.CaptureFixture[str]) -> None:
    assert protocols_main(["--help"], registry) == 0
    assert "List installed dosing-protocol templates" in capsys.readouterr().out
    assert protocols_main(["--bogus"], registry) == 2
    assert "kapstone protocols: unrecognized arguments: --bogus" in capsys.readouterr().err
