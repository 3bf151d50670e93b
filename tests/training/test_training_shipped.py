"""The default curriculum, as the app reads it: the content writer's files pass the app's strict
reader, every module has a knowledge check, and the program imports and publishes as a whole."""

from __future__ import annotations

from typing import Any

import pytest

from kapstone.training.curriculum.files import CONTENT, installed


def _foundations() -> Any:
    found = {program.id: (program, files) for program, files in installed()}
    if "kap-foundations" not in found:
        pytest.fail(f"the default program is missing from {CONTENT}")
    return found["kap-foundations"]


def test_the_default_program_reads_with_the_apps_reader_and_every_module_has_a_check() -> None:
    program, _ = _foundations()
    assert len(program.modules) >= 12
    for module in program.modules:
        assert module.check is not None and len(module.check.questions) >= module.check.draw
        for lesson in module.lessons:
            assert lesson.sources and lesson.topics and lesson.words > 200, lesson.id


@pytest.mark.django_db
def test_the_default_program_imports_and_publishes(world: Any) -> None:
    from training_support import actor

    from kapstone.training import services

    _, files = _foundations()
    lead = actor(world, "avery")
    version = services.version_publish(lead, version=services.program_import(lead, files=files))
    cohort = services.cohort_create(lead, version=version, name="Default program cohort")
    enrollment = services.enroll(
        lead, cohort=cohort, trainee=world.users["toby"], supervisor=world.users["sam"]
    )
    from kapstone.training.selectors import progress

    assert progress(enrollment).next_step is not None
