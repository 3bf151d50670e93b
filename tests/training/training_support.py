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


ROLES = {"avery": "org_admin", "theo": "therapist", "tamsin": "therapist", "priya": "prescriber",
         "sam": "supervisor", "toby": "trainee", "olive": "therapist"}  # fmt: skip


def actor(world: object, name: str, role: str | None = None) -> object:
    from kapstone.core.actor import Actor

    org = world.org_b if name == "olive" else world.org_a  # type: ignore[attr-defined]
    users = world.users  # type: ignore[attr-defined]
    return Actor(user=users[name], organization=org, roles=frozenset({role or ROLES[name]}))


def published_cohort(world: object, files: dict[str, str] | None = None) -> tuple[object, object]:
    """Avery imports and publishes the mini program, opens a cohort, enrols Toby with Sam."""
    from kapstone.training import services

    lead = actor(world, "avery")
    version = services.program_import(lead, files=files or mini_files(), root="mini")
    version = services.version_publish(lead, version=version)
    cohort = services.cohort_create(lead, version=version, name="Winter test cohort")
    users = world.users  # type: ignore[attr-defined]
    enrollment = services.enroll(lead, cohort=cohort, trainee=users["toby"], supervisor=users["sam"])
    return cohort, enrollment
