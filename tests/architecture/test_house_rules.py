"""The house rules issue #10 made checkable: small modules, thin views, imports at the top.

Each rule holds for every new module and view. Where the tree did not yet keep a rule when it was
written down, the place is listed with its size that day: it may shrink, never grow, and an entry
that no longer needs listing fails, so the lists only get shorter.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

SRC = Path(__file__).resolve().parents[2] / "src" / "kapstone"
MAX_MODULE_LINES = 600
MAX_VIEW_LINES = 60

# Modules over the limit when the rule was written (lines then). Split them along their seams.
BIG_MODULES: dict[str, int] = {}

# Views over the limit then (lines then).
LONG_VIEWS: dict[str, int] = {}

# Function-level imports of our own modules without a comment saying why, per file, then.
# AppConfig.ready() is exempt: Django loads models before it runs, so that is where hooks register.
INNER_IMPORTS: dict[str, int] = {}


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "migrations" not in p.parts)


def _rel(path: Path) -> str:
    return str(path.relative_to(SRC))


def _ratchet(measured: dict[str, int], known: dict[str, int], limit: int, what: str) -> None:
    over = {k: v for k, v in measured.items() if v > limit}
    new = {k: v for k, v in over.items() if k not in known}
    grown = {k: (known[k], v) for k, v in over.items() if k in known and v > known[k]}
    settled = sorted(k for k in known if measured.get(k, 0) <= limit)
    assert not new, f"{what} over {limit}: {new}"
    assert not grown, f"{what} grew (then, now): {grown}"
    assert not settled, f"now within the rule, remove from the list: {settled}"


def test_no_module_over_600_lines_outside_migrations() -> None:
    sizes = {_rel(p): len(p.read_text().splitlines()) for p in _modules()}
    _ratchet(sizes, BIG_MODULES, MAX_MODULE_LINES, "modules")


def _views(resolver: URLResolver, prefix: str = "") -> dict[str, Any]:
    found: dict[str, Any] = {}
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            found.update(_views(entry, f"{prefix}{entry.namespace}:" if entry.namespace else prefix))
        elif isinstance(entry, URLPattern) and entry.name:
            found[f"{prefix}{entry.name}"] = inspect.unwrap(entry.callback)
    return found


def test_no_view_over_60_lines() -> None:
    lengths = {}
    for view in _views(get_resolver()).values():
        module = getattr(view, "__module__", "") or ""
        if not module.startswith("kapstone.") or not inspect.isfunction(view):
            continue  # class-based and library views (the API router, Django's own)
        lines, _ = inspect.getsourcelines(view)
        lengths[f"{module}.{view.__qualname__}"] = len(lines)
    assert len(lengths) > 100  # the walk found the project's views
    _ratchet(lengths, LONG_VIEWS, MAX_VIEW_LINES, "views")


def _inner_imports(path: Path) -> int:
    source = path.read_text()
    lines = source.splitlines()
    count = 0
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or node.name == "ready":
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.Import | ast.ImportFrom) and "#" not in lines[inner.lineno - 1]:
                from_module = isinstance(inner, ast.ImportFrom)
                names = [inner.module or ""] if from_module else [a.name for a in inner.names]
                if any(n.startswith("kapstone") for n in names) or (
                    isinstance(inner, ast.ImportFrom) and inner.level > 0
                ):
                    count += 1
    return count


def test_imports_at_the_top_unless_a_comment_says_why() -> None:
    counts = {_rel(p): n for p in _modules() if (n := _inner_imports(p))}
    _ratchet(counts, INNER_IMPORTS, 0, "function-level imports without a reason")
