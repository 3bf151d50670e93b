"""The pure de-identification engine (no Django): known values, structured rules, free-text detectors.

``deidentify(text, known, today=...)`` returns a ``Result``: the redacted text, every span (class,
start, end, why, suggested replacement, confidence, source) and the flags that hold the text until a
person resolves them. Nothing here publishes anything: the consultation app shows every proposal to
the author, who decides.
"""

from kapstone.deid.engine import deidentify, version
from kapstone.deid.types import CLASSES, Flag, Known, KnownPerson, Result, Span, apply

__all__ = ["CLASSES", "Flag", "Known", "KnownPerson", "Result", "Span", "apply", "deidentify", "version"]
