"""The set of installed protocols: the shipped templates plus clinic folders."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

from kapstone.lib.registry import UnknownDefinitionError, VersionedRegistry

from .definition import Protocol, ProtocolError, load_protocol

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "protocols"


class UnknownProtocolError(UnknownDefinitionError):
    """No protocol with that id (and version) is installed."""


class Registry(VersionedRegistry[Protocol]):
    """Protocols by id and version. A later file may add a new id or a higher version of an existing
    id; the same id and version twice is an error (bump the version)."""

    kind = "protocol"

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

    def get(self, ident: str, version: str | None = None) -> Protocol:
        """The highest version of ``ident``, or exactly ``version``."""
        try:
            return super().get(ident, version)
        except UnknownDefinitionError as exc:
            raise UnknownProtocolError(str(exc)) from None


@functools.cache
def default_registry() -> Registry:
    """The shipped templates only (loaded once per process)."""
    return Registry.load()
