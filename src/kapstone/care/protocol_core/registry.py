"""The set of installed protocols: the shipped templates plus clinic folders."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from pathlib import Path

from .definition import Protocol, ProtocolError, load_protocol

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "protocols"


class UnknownProtocolError(LookupError):
    """No protocol with that id (and version) is installed."""


class Registry:
    """Protocols by id and version. A later file may add a new id or a higher version of an existing
    id; the same id and version twice is an error (bump the version)."""

    def __init__(self, protocols: Iterable[Protocol] = ()) -> None:
        self._by_id: dict[str, dict[str, Protocol]] = {}
        for protocol in protocols:
            versions = self._by_id.setdefault(protocol.id, {})
            previous = versions.get(protocol.version)
            if previous is not None:
                raise ProtocolError(
                    protocol.path,
                    f"{protocol.id} version {protocol.version} is already defined "
                    f"in {previous.path}; give the new file a higher version",
                    field="version",
                )
            versions[protocol.version] = protocol

    @classmethod
    def load(cls, dirs: Sequence[Path | str] = (), *, include_shipped: bool = True) -> Registry:
        """Load the shipped templates (unless ``include_shipped`` is false), then every ``*.toml`` file
        of each folder in ``dirs``, in order (files in name order; sub-folders are not read)."""
        folders = [SHIPPED_DIR] if include_shipped else []
        for folder in map(Path, dirs):
            if folder.resolve() not in [f.resolve() for f in folders]:
                folders.append(folder)
        protocols: list[Protocol] = []
        for folder in folders:
            if not folder.is_dir():
                raise ProtocolError(str(folder), "not a directory of protocol files")
            protocols.extend(load_protocol(path) for path in sorted(folder.glob("*.toml")))
        return cls(protocols)

    def get(self, protocol_id: str, version: str | None = None) -> Protocol:
        """The highest version of ``protocol_id``, or exactly ``version``."""
        versions = self._by_id.get(protocol_id)
        if not versions:
            raise UnknownProtocolError(f"no protocol {protocol_id!r} is installed")
        if version is None:
            return max(versions.values(), key=lambda p: p.version_key)
        found = versions.get(version)
        if found is None:
            have = ", ".join(sorted(versions, key=lambda v: versions[v].version_key))
            raise UnknownProtocolError(f"{protocol_id} has no version {version!r} (installed: {have})")
        return found

    def all(self) -> list[Protocol]:
        """Every installed protocol, every version, sorted by id then version."""
        return sorted(
            (p for v in self._by_id.values() for p in v.values()), key=lambda p: (p.id, p.version_key)
        )

    def ids(self) -> list[str]:
        return sorted(self._by_id)

    def __contains__(self, protocol_id: object) -> bool:
        return protocol_id in self._by_id

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_id.values())


@functools.cache
def default_registry() -> Registry:
    """The shipped templates only (loaded once per process)."""
    return Registry.load()
