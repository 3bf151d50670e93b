"""A registry of versioned definitions (protocols, instruments, rule sets, curricula, requirement
sets): by id and version, the highest version by default, and a clear error for a duplicate."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, Protocol, TypeVar

from kapstone.lib.datafile import DataFileError, version_key


class Definition(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def path(self) -> str: ...


D = TypeVar("D", bound=Definition)


class UnknownDefinitionError(LookupError):
    """No definition with that id (and version) is installed."""


class VersionedRegistry(Generic[D]):
    """Definitions by id and version. The same id and version twice is an error (bump the version)."""

    kind = "definition"

    def __init__(self, definitions: Iterable[D] = ()) -> None:
        self._by_id: dict[str, dict[str, D]] = {}
        for definition in definitions:
            versions = self._by_id.setdefault(definition.id, {})
            previous = versions.get(definition.version)
            if previous is not None:
                raise DataFileError(
                    definition.path,
                    f"{definition.id} version {definition.version} is already defined "
                    f"in {previous.path}; give the new file a higher version",
                    field="version",
                )
            versions[definition.version] = definition

    def get(self, ident: str, version: str | None = None) -> D:
        """The highest version of ``ident``, or exactly ``version``."""
        versions = self._by_id.get(ident)
        if not versions:
            raise UnknownDefinitionError(f"no {self.kind} {ident!r} is installed")
        if version is None:
            return max(versions.values(), key=lambda d: version_key(d.version))
        found = versions.get(version)
        if found is None:
            have = ", ".join(sorted(versions, key=version_key))
            raise UnknownDefinitionError(f"{ident} has no version {version!r} (installed: {have})")
        return found

    def all(self) -> list[D]:
        """Every installed definition, every version, sorted by id then version."""
        return sorted(
            (d for v in self._by_id.values() for d in v.values()),
            key=lambda d: (d.id, version_key(d.version)),
        )

    def ids(self) -> list[str]:
        return sorted(self._by_id)

    def __contains__(self, ident: object) -> bool:
        return ident in self._by_id

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_id.values())
