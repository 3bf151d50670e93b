"""The set of installed instrument definitions: the shipped folder plus clinic folders."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from pathlib import Path

from .definition import DefinitionError, Instrument, load_definition

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "definitions"


class UnknownInstrumentError(LookupError):
    """No definition with that id (and version) is installed."""


class Registry:
    """Instrument definitions by id and version. A later definition may add a new id or a newer
    version of an existing id; the same id and version twice is an error (bump the version)."""

    def __init__(self, instruments: Iterable[Instrument] = ()) -> None:
        self._by_id: dict[str, dict[str, Instrument]] = {}
        for instrument in instruments:
            versions = self._by_id.setdefault(instrument.id, {})
            previous = versions.get(instrument.version)
            if previous is not None:
                raise DefinitionError(
                    instrument.path,
                    f"{instrument.id} version {instrument.version} is already defined in "
                    f"{previous.path}; give the new definition a higher version",
                )
            versions[instrument.version] = instrument

    @classmethod
    def load(cls, dirs: Sequence[Path | str] = (), *, include_shipped: bool = True) -> Registry:
        """Load the shipped definitions (unless ``include_shipped`` is false), then every
        ``*.toml`` file in each of ``dirs``, in order."""
        folders = [SHIPPED_DIR] if include_shipped else []
        for folder in map(Path, dirs):
            if folder.resolve() not in [f.resolve() for f in folders]:
                folders.append(folder)
        instruments: list[Instrument] = []
        for folder in folders:
            if not folder.is_dir():
                raise DefinitionError(str(folder), "not a directory of instrument definitions")
            instruments.extend(load_definition(path) for path in sorted(folder.glob("*.toml")))
        return cls(instruments)

    def get(self, instrument_id: str, version: str | None = None) -> Instrument:
        """The newest version of ``instrument_id``, or exactly ``version``."""
        versions = self._by_id.get(instrument_id)
        if not versions:
            raise UnknownInstrumentError(f"no instrument {instrument_id!r} is installed")
        if version is None:
            return max(versions.values(), key=lambda i: i.version_key)
        found = versions.get(version)
        if found is None:
            have = ", ".join(sorted(versions, key=lambda v: versions[v].version_key))
            raise UnknownInstrumentError(f"{instrument_id} has no version {version!r} (installed: {have})")
        return found

    def all(self) -> list[Instrument]:
        """Every installed definition, every version, sorted by id then version."""
        return sorted(
            (i for v in self._by_id.values() for i in v.values()), key=lambda i: (i.id, i.version_key)
        )

    def ids(self) -> list[str]:
        return sorted(self._by_id)

    def __contains__(self, instrument_id: object) -> bool:
        return instrument_id in self._by_id

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_id.values())


@functools.cache
def default_registry() -> Registry:
    """The shipped definitions only (loaded once per process)."""
    return Registry.load()
