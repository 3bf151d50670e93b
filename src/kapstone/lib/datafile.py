"""Reading data files strictly, for every pure core: one error type naming the file, and the line
(syntax) or the field (meaning); typed getters that refuse what they do not expect; unknown keys
refused; the ``[[sources]]`` list every clinical data file cites from. Pure Python, no Django: the
protocol, instrument, rule-set, curriculum and requirement-set readers all stand on it."""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

ID = re.compile(r"^[a-z][a-z0-9_]*$")
SOURCE_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")
VERSION = re.compile(r"^\d+(\.\d+){0,2}$")
GRADES = ("P", "S", "G")  # the grades a cited source may carry (screening/rulesets/README.md)


class DataFileError(ValueError):
    """A data file cannot be used.

    ``source`` names the file; ``line`` is set for TOML syntax errors; ``field`` is the dotted place
    in the file (``dose.max_mg``, ``alerts[2].op``) for errors of meaning.
    """

    def __init__(
        self, source: str, detail: str, *, line: int | None = None, field: str | None = None
    ) -> None:
        self.source = source
        self.detail = detail
        self.line = line
        self.field = field
        where = source if line is None else f"{source}, line {line}"
        if field:
            where = f"{where}: {field}"
        super().__init__(f"{where}: {detail}")


def read_toml(path: Path | str) -> tuple[dict[str, Any], str]:
    """Parse one UTF-8 TOML file. Returns (document, source name)."""
    path = Path(path)
    source = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataFileError(source, f"cannot read the file ({exc.strerror})") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataFileError(source, "the file is not UTF-8 text") from exc
    return loads_toml(text, source), source


def loads_toml(text: str, source: str) -> dict[str, Any]:
    """Parse TOML text; a syntax error becomes a ``DataFileError`` naming ``source`` and the line."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"at line (\d+)", str(exc))
        line = int(match.group(1)) if match else None
        raise DataFileError(source, f"TOML syntax error: {exc}", line=line) from exc


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class DeclaredNumber(Protocol):
    """A numeric option or setting a data file declares: its type (``integer`` = whole numbers),
    its bounds, and a safety floor a clinic may tighten, never loosen past."""

    @property
    def type(self) -> str: ...
    @property
    def min(self) -> float | None: ...
    @property
    def max(self) -> float | None: ...
    @property
    def floor_max(self) -> float | None: ...
    @property
    def floor_note(self) -> str | None: ...


def number_problem(value: object, declared: DeclaredNumber) -> str | None:
    """Why ``value`` is not acceptable for ``declared``, or ``None``: a number (a whole one for an
    integer), finite, not past the safety floor, and within the declared minimum and maximum."""
    whole = declared.type == "integer"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "expected a whole number" if whole else "expected a number"
    if whole and not isinstance(value, int):
        return "expected a whole number"
    if not math.isfinite(value):
        return "expected a finite number"
    floor_max, low, high = declared.floor_max, declared.min, declared.max
    if floor_max is not None and value > floor_max:
        return f"refused by the safety floor: at most {_number_text(floor_max)} ({declared.floor_note})"
    if low is not None and value < low:
        return f"expected at least {_number_text(low)}"
    if high is not None and value > high:
        return f"expected at most {_number_text(high)}"
    return None


def _number_text(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


_MISSING: Any = object()


class Node:
    """A TOML table being read: typed getters, and a check that no unknown key is left."""

    def __init__(self, data: Any, where: str, source: str) -> None:
        if not isinstance(data, dict):
            raise DataFileError(source, "expected a table", field=where or "(top level)")
        self.data: dict[str, Any] = data
        self.where = where
        self.source = source
        self.used: set[str] = set()

    def path(self, key: str | None) -> str:
        if key is None:
            return self.where or "(top level)"
        return f"{self.where}.{key}" if self.where else key

    def fail(self, key: str | None, message: str) -> DataFileError:
        return DataFileError(self.source, message, field=self.path(key))

    def get(self, key: str, default: Any = _MISSING) -> Any:
        self.used.add(key)
        if key in self.data:
            return self.data[key]
        if default is _MISSING:
            raise self.fail(key, "required key is missing")
        return default

    def string(self, key: str, default: Any = _MISSING) -> Any:
        value = self.get(key, default)
        if value is not default and not (isinstance(value, str) and value.strip()):
            raise self.fail(key, "expected a non-empty string")
        return value

    def ident(self, key: str) -> str:
        value: str = self.string(key)
        if not ID.match(value):
            raise self.fail(
                key, f"{value!r} is not a valid id (a lower-case letter, then letters, digits or _)"
            )
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: Any = _MISSING) -> Any:
        value = self.string(key, default)
        if value is not default and value not in choices:
            raise self.fail(key, f"{value!r} is not one of {', '.join(choices)}")
        return value

    def boolean(self, key: str, default: Any = _MISSING) -> Any:
        value = self.get(key, default)
        if value is not default and not isinstance(value, bool):
            raise self.fail(key, "expected true or false")
        return value

    def number(self, key: str, default: Any = _MISSING) -> Any:
        value = self.get(key, default)
        if value is not default and not is_number(value):
            raise self.fail(key, "expected a number")
        return value

    def integer(self, key: str, default: Any = _MISSING) -> Any:
        value = self.get(key, default)
        if value is not default and (isinstance(value, bool) or not isinstance(value, int)):
            raise self.fail(key, "expected a whole number")
        return value

    def strings(self, key: str, default: Any = _MISSING) -> Any:
        value = self.get(key, default)
        if value is default:
            return value
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(key, "expected an array of non-empty strings")
        if len(set(value)) != len(value):
            raise self.fail(key, "contains a repeated entry")
        return tuple(value)

    def table(self, key: str, required: bool = False) -> Node | None:
        value = self.get(key, _MISSING if required else None)
        if value is None:
            return None
        return type(self)(value, self.path(key), self.source)

    def tables(self, key: str, required: bool = False) -> list[Node]:
        value = self.get(key, _MISSING if required else [])
        if not isinstance(value, list):
            raise self.fail(key, "expected an array of tables")
        if required and not value:
            raise self.fail(key, "list at least one entry")
        return [type(self)(v, f"{self.path(key)}[{i}]", self.source) for i, v in enumerate(value)]

    def finish(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise self.fail(None, f"unknown key(s): {', '.join(unknown)}")


def unique_ids(node: Node, key: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for ident in ids:
        if ident in seen:
            raise node.fail(key, f"id {ident!r} is used twice")
        seen.add(ident)


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def header(root: Node, kind: str) -> tuple[str, str]:
    """Check ``format``/``kind`` and return (id, version)."""
    fmt = root.integer("format")
    if fmt != 1:
        raise root.fail("format", f"unsupported format {fmt} (this engine reads 1)")
    found = root.string("kind")
    if found != kind:
        raise root.fail("kind", f"expected {kind!r}, found {found!r}")
    ident = root.ident("id")
    version: str = root.string("version")
    if not VERSION.match(version):
        raise root.fail("version", f"{version!r} is not a dotted version such as 1.0.0")
    return ident, version


def open_data_file(path: Path | str, kind: str) -> tuple[Node, str, str, str]:
    """Read a versioned data file of ``kind`` and check its header (format, kind, id, version).

    Returns ``(root, id, version, source)``; the caller reads its own sections from ``root`` and
    ends with ``root.finish()`` so that no unknown key passes."""
    data, source = read_toml(path)
    root = Node(data, "", source)
    ident, version = header(root, kind)
    return root, ident, version, source


def cited(
    node: Node,
    key: str = "sources",
    *,
    listed: Collection[str] | None = None,
    at_least_one: bool = True,
    optional: bool = False,
) -> tuple[str, ...]:
    """A section's citations: the source ids under ``key``, at least one unless ``at_least_one``
    is false (no rule stands uncited), each among ``listed`` (the file's ``[[sources]]``) when
    given. The key itself must be there unless ``optional`` (left out: no citations)."""
    refs: tuple[str, ...] = node.strings(key, () if optional else _MISSING)
    if at_least_one and not refs:
        raise node.fail(key, "cite at least one source")
    if listed is not None:
        for ref in refs:
            if ref not in listed:
                raise node.fail(key, f"source {ref!r} is not listed in [[sources]]")
    return refs


@dataclass(frozen=True, slots=True)
class Source:
    """One ``[[sources]]`` entry: the evidence a data file's numbers and rules cite."""

    id: str
    citation: str
    grade: str | None
    url: str | None
    note: str | None


_S = TypeVar("_S")


def read_sources(
    root: Node,
    make: Callable[[str, str, str | None, str | None, str | None], _S],
    *,
    key: str = "id",
    pattern: re.Pattern[str] | None = None,
    pattern_means: str = "a valid source id",
) -> dict[str, _S]:
    """Read the file's ``[[sources]]`` entries, by id, in the file's order: at least one; each with
    its id under ``key`` (matching ``pattern`` when given, else refused as not ``pattern_means``),
    listed once; a ``citation``; optionally a ``grade`` among ``GRADES``, a ``url`` and a ``note``;
    nothing else. ``make(id, citation, grade, url, note)`` builds each entry."""
    nodes = root.tables("sources")
    if not nodes:
        raise root.fail("sources", "list at least one [[sources]] entry")
    found: dict[str, _S] = {}
    for node in nodes:
        sid: str = node.string(key)
        if pattern is not None and not pattern.match(sid):
            raise node.fail(key, f"{sid!r} is not {pattern_means}")
        if sid in found:
            raise node.fail(key, f"source {sid!r} is listed twice")
        grade: str | None = node.choice("grade", GRADES, None)
        found[sid] = make(
            sid, node.string("citation"), grade, node.string("url", None), node.string("note", None)
        )
        node.finish()
    return found
