"""The curriculum core (pure, no Django): the file format read into plain data, and written back."""

from kapstone.training.curriculum.loader import CurriculumError, parse_program, read_folder
from kapstone.training.curriculum.model import Check, Lesson, Link, Module, Program, Question, Source

__all__ = [
    "Check",
    "CurriculumError",
    "Lesson",
    "Link",
    "Module",
    "Program",
    "Question",
    "Source",
    "parse_program",
    "read_folder",
]
