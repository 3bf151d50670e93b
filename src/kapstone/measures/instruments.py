"""The instrument registry as Django sees it: the shipped definitions plus the clinic's folders.

``settings.KAPSTONE_INSTRUMENT_DIRS`` names extra folders of definition files (a clinic-added
instrument, or a newer version of a shipped one). The registry is loaded once per process and per
value of that setting; a bad file is reported by the system check ``measures.E001`` at start-up.
Per-organization option values (``InstrumentSettings``) are merged here into the options given to
the pure scoring core.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from kapstone.measures.scoring import Instrument, Registry, UnknownInstrumentError

__all__ = ["Instrument", "UnknownInstrumentError", "get_instrument", "get_registry", "instrument_choices"]


@functools.lru_cache(maxsize=4)
def _load(dirs: tuple[str, ...]) -> Registry:
    return Registry.load([Path(d) for d in dirs])


def get_registry() -> Registry:
    """Shipped definitions plus ``KAPSTONE_INSTRUMENT_DIRS``, loaded once per process."""
    dirs = tuple(str(p) for p in getattr(settings, "KAPSTONE_INSTRUMENT_DIRS", []))
    return _load(dirs)


@receiver(setting_changed)
def _reset(*, setting: str, **kwargs: Any) -> None:  # tests override the folders
    if setting == "KAPSTONE_INSTRUMENT_DIRS":
        _load.cache_clear()


def get_instrument(instrument_id: str, version: str | None = None) -> Instrument:
    """The newest installed version, or exactly ``version``. Raises ``UnknownInstrumentError``."""
    return get_registry().get(instrument_id, version)


def get_instrument_or_newest(instrument_id: str, version: str | None) -> Instrument:
    """The given version if it is still installed, else the newest (for reading old records)."""
    registry = get_registry()
    if version:
        try:
            return registry.get(instrument_id, version)
        except UnknownInstrumentError:
            pass
    return registry.get(instrument_id)


def newest_instruments() -> list[Instrument]:
    """One entry per instrument id: its newest version, in id order."""
    registry = get_registry()
    return [registry.get(i) for i in registry.ids()]


def instrument_choices() -> list[tuple[str, str]]:
    return [(i.id, i.title) for i in newest_instruments()]


def scoring_method(instrument: Instrument, options: Mapping[str, object] | None = None) -> str:
    """sum / mean / highest_level, under the options in force (EBI's aggregation is an option)."""
    if instrument.scoring.method is not None:
        return instrument.scoring.method
    name = instrument.scoring.method_option or ""
    return str((options or {}).get(name) or instrument.runtime.default_options[name])


def total_range(instrument: Instrument, options: Mapping[str, object] | None = None) -> tuple[float, float]:
    """The possible total range under the options in force (EBI's aggregation changes it)."""
    low, high = instrument.total_range(scoring_method(instrument, options))
    return float(low), float(high)


def item_text(instrument: Instrument, item_id: str, overrides: Mapping[str, str] | None = None) -> str:
    """What to show for an item: the clinic's licensed wording if it supplied one, else the
    definition's text (or, when the definition may not ship the text, its descriptor)."""
    if overrides and overrides.get(item_id):
        return overrides[item_id]
    item = instrument.runtime.index[item_id]
    if instrument.item_text_supplied_by_clinic and item.descriptor:
        return item.descriptor
    return item.text
