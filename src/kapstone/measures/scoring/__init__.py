"""Pure measurement core: instrument definitions as data, scoring, change statistics.

No Django here (and none may be added): everything is plain Python over plain data, so it can be
tested exhaustively and reused by the web app, the API, the CLI and batch jobs alike.
"""

from .change import ChangeResult, Criterion, compare
from .definition import DefinitionError, Instrument, load_definition, parse_definition
from .engine import ScoreResult, resolve_options, score
from .registry import SHIPPED_DIR, Registry, UnknownInstrumentError, default_registry

__all__ = [
    "SHIPPED_DIR",
    "ChangeResult",
    "Criterion",
    "DefinitionError",
    "Instrument",
    "Registry",
    "ScoreResult",
    "UnknownInstrumentError",
    "compare",
    "default_registry",
    "load_definition",
    "parse_definition",
    "resolve_options",
    "score",
]
