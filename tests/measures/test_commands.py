"""`kapstone score` / `kapstone instruments` (the pure CLI with the Django registry) and the registry."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

from kapstone.measures import checks
from kapstone.measures.instruments import get_instrument, get_registry
from kapstone.measures.scoring.registry import SHIPPED_DIR

KAPSTONE = str(Path(sys.executable).parent / "kapstone")


def _clinic_definition(folder: Path, new_id: str = "clinic_anx") -> Path:
    """A clinic-added instrument: the GAD-7 file under another id."""
    folder.mkdir(exist_ok=True)
    text = (SHIPPED_DIR / "gad7.toml").read_text()
    assert text.count('\nid = "gad7"\n') == 1
    path = folder / f"{new_id}.toml"
    path.write_text(text.replace('\nid = "gad7"\n', f'\nid = "{new_id}"\n'))
    return path


def run(tmp_path: Path, *args: str, dirs: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAPSTONE_", "DJANGO_"))}
    env |= {"KAPSTONE_ENV": "test", "KAPSTONE_VAR_DIR": str(tmp_path / "var")}
    if dirs:
        env["KAPSTONE_INSTRUMENT_DIRS"] = dirs
    return subprocess.run(
        [KAPSTONE, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


GAD7_ALL_3 = json.dumps({f"gad7_{i}": 3 for i in range(1, 8)})
SCORES = [
    # (arguments after `score`, exit code, total, band)
    (["phq9", "--answers", "1,1,1,1,1,1,1,1,0"], 0, 8, "Mild depression"),
    (["gad7", "--answers-json", GAD7_ALL_3], 0, 21, "Severe anxiety"),
    (["phq9", "--answers", "1,1"], 2, None, None),
    (["phq9", "--answers", "1,1,1,1,1,1,1,1,9"], 2, None, None),
    (["nosuch", "--answers", "1"], 2, None, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "code", "total", "band"), SCORES, ids=["phq9", "gad7-json", "too-few", "out-of-range", "unknown"]
)
def test_score_prints_only_json_and_exits_with_the_pure_code(tmp_path, args, code, total, band):
    result = run(tmp_path, "score", *args)
    assert result.returncode == code, result.stderr
    document = json.loads(result.stdout)  # the whole of stdout is one JSON document
    assert document["complete"] is (code == 0)
    assert document["total"] == total and document["band"] == band
    if code:
        assert document["errors"]


def test_instruments_lists_shipped_and_clinic_definitions(tmp_path):
    _clinic_definition(tmp_path / "clinic")
    result = run(tmp_path, "instruments", "--json", dirs=str(tmp_path / "clinic"))
    assert result.returncode == 0, result.stderr
    ids = [entry["id"] for entry in json.loads(result.stdout)]
    assert {"phq9", "gad7", "pcl5", "cssrs_screener", "meq30", "ebi", "who5", "clinic_anx"} <= set(ids)
    scored = run(tmp_path, "score", "clinic_anx", "--answers", "1,1,1,1,1,1,1", dirs=str(tmp_path / "clinic"))
    assert scored.returncode == 0 and json.loads(scored.stdout)["instrument"] == "clinic_anx"


def test_a_broken_clinic_definition_is_named_and_exits_2(tmp_path):
    (tmp_path / "clinic").mkdir()
    (tmp_path / "clinic" / "broken.toml").write_text("format = 1\n")
    result = run(tmp_path, "score", "phq9", "--answers", "0,0,0,0,0,0,0,0,0", dirs=str(tmp_path / "clinic"))
    assert result.returncode == 2 and result.stdout == ""
    assert "broken.toml" in result.stderr


# --- the registry inside Django -------------------------------------------------------------------


def test_the_django_registry_adds_clinic_folders_and_is_cached(tmp_path):
    _clinic_definition(tmp_path / "clinic")
    assert "clinic_anx" not in get_registry()
    with override_settings(KAPSTONE_INSTRUMENT_DIRS=[tmp_path / "clinic"]):
        assert get_instrument("clinic_anx").short_title == "GAD-7"
        assert get_registry() is get_registry()
    assert "clinic_anx" not in get_registry()


def test_the_system_check_reports_a_broken_definition(tmp_path):
    (tmp_path / "clinic").mkdir()
    (tmp_path / "clinic" / "broken.toml").write_text("format = 1\n")
    assert checks.instrument_definitions_load() == []
    with override_settings(KAPSTONE_INSTRUMENT_DIRS=[tmp_path / "clinic"]):
        (error,) = checks.instrument_definitions_load()
    assert error.id == "measures.E001" and "broken.toml" in error.msg


def test_score_through_call_command_raises_with_the_exit_code(capsys):
    call_command("score", "phq9", "--answers", "0,0,0,0,0,0,0,0,0")
    assert json.loads(capsys.readouterr().out)["total"] == 0
    with pytest.raises(Exception) as caught:  # noqa: B017 - CommandError(returncode=2)
        call_command("score", "phq9", "--answers", "0")
    assert getattr(caught.value, "returncode", None) == 2
