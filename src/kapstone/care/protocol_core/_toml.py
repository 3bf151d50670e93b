"""Protocol files are read with the shared data-file reader (``kapstone.lib.datafile``); a protocol
file's error is a ``DataFileError`` under its historical name."""

from __future__ import annotations

from kapstone.lib.datafile import (
    GRADES,
    ID,
    SOURCE_ID,
    VERSION,
    DataFileError,
    Node,
    header,
    is_number,
    loads_toml,
    read_toml,
    unique_ids,
    version_key,
)

ProtocolError = DataFileError

__all__ = [
    "GRADES",
    "ID",
    "SOURCE_ID",
    "VERSION",
    "Node",
    "ProtocolError",
    "header",
    "is_number",
    "loads_toml",
    "read_toml",
    "unique_ids",
    "version_key",
]
