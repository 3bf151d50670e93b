"""System check: every instrument definition (shipped and clinic-added) loads."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, register

from kapstone.measures.instruments import get_registry
from kapstone.measures.scoring import DefinitionError


@register()
def instrument_definitions_load(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:

    try:
        get_registry()
    except DefinitionError as exc:
        return [
            Error(
                f"An instrument definition cannot be used: {exc}",
                hint="Fix the file or remove it from KAPSTONE_INSTRUMENT_DIRS.",
                id="measures.E001",
            )
        ]
    return []
