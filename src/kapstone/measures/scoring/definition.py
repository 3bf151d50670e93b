"""Instrument definitions: load a TOML file, validate it strictly and precompile it for scoring.

The seams: ``instrument.py`` holds the parsed definition (frozen dataclasses), ``parser.py`` reads
the sections, ``reader.py`` the references between them, ``precompile.py`` builds what the engine
uses on every call. Files are read with the shared data-file reader (``kapstone.lib.datafile``): a
definition's error is a ``DataFileError`` under its historical name, naming the file and the line
(syntax) or the field (meaning). The file format is documented in
``kapstone/measures/definitions/README.md``. Pure Python, no Django.
"""

from __future__ import annotations

from pathlib import Path

from kapstone.lib.datafile import DataFileError, read_toml

from .instrument import (
    ChangeSpec,
    CompiledFlag,
    Instrument,
    Item,
    Number,
    Option,
    ResponseOption,
    ResponseSet,
    Threshold,
    parse_number,
    render_message,
    version_key,
)
from .parser import FORMAT_VERSION, parse_definition

DefinitionError = DataFileError


def load_definition(path: Path | str) -> Instrument:
    """Read, validate and precompile one definition file. Raises ``DefinitionError``."""
    data, source = read_toml(path)
    return parse_definition(data, source)


__all__ = [
    "FORMAT_VERSION",
    "ChangeSpec",
    "CompiledFlag",
    "DefinitionError",
    "Instrument",
    "Item",
    "Number",
    "Option",
    "ResponseOption",
    "ResponseSet",
    "Threshold",
    "load_definition",
    "parse_definition",
    "parse_number",
    "render_message",
    "version_key",
]
