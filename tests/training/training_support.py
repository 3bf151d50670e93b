"""Helpers shared by the training tests: the fictional fixture program, as files and parsed."""

from __future__ import annotations

from pathlib import Path

from kapstone.training.curriculum import Program, read_folder
from kapstone.training.curriculum.files import load_program

FIXTURES = Path(__file__).resolve().parent / "fixtures"
MINI = FIXTURES / "mini"


def mini_files() -> dict[str, str]:
    return read_folder(MINI)


def mini_program(files: dict[str, str] | None = None) -> Program:
    return load_program(files if files is not None else mini_files(), root="mini")
