"""``kapstone check-dose`` called in-process through ``check_dose_main(argv)``: --help exits 0
without checking anything, and a negative "hours since the previous dose" is refused with exit 2
and the reason, never turned into a dose time in the future."""

from __future__ import annotations

import json

import pytest
from care_core_helpers import T0

from kapstone.care.protocol_core import default_registry
from kapstone.care.protocol_core.cli import check_dose_main

SPRAVATO_SECOND = [
    "esketamine_spravato",
    "--route",
    "intranasal",
    "--mg",
    "56",
    "--dose-number",
    "2",
    "--previous-mg",
    "56",
]


def test_help_exits_0_and_checks_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_dose_main(["--help"], default_registry(), now=T0) == 0
    captured = capsys.readouterr()
    assert "status" not in captured.out and captured.err == ""


@pytest.mark.parametrize("hours", ["-1", "-0.5", "-84"])
def test_a_negative_time_since_the_previous_dose_is_refused(
    hours: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = check_dose_main([*SPRAVATO_SECOND, "--hours-since-previous", hours], default_registry(), now=T0)
    captured = capsys.readouterr()
    assert code == 2
    assert json.loads(captured.out) == {
        "status": None,
        "errors": ["--hours-since-previous must not be negative"],
    }
    assert captured.err == "kapstone check-dose: --hours-since-previous must not be negative\n"


@pytest.mark.parametrize(("hours", "status"), [("0", "needs_justification"), ("84", "ok")])
def test_zero_hours_is_checked_not_refused(
    hours: str, status: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = check_dose_main([*SPRAVATO_SECOND, "--hours-since-previous", hours], default_registry(), now=T0)
    assert code == 0
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["status"] == status
    assert (status == "ok") == (not any("interval" in reason for reason in verdict["reasons"]))
