"""The public beginner's guide at /guide/: ``guide/guide.md`` (front matter: title, last_reviewed,
[[sources]]) rendered safely, its ``[key]`` citations linked to the numbered source list. Served
without sign-in; printable and readable on a phone. A missing or broken file is a clear 503 page,
never a 500."""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET

from kapstone.access.decorators import public
from kapstone.training.curriculum.loader import CurriculumError, split_front_matter
from kapstone.training.render import drop_title, link_citations, render_markdown

GUIDE = Path(__file__).resolve().parent / "guide" / "guide.md"


@dataclass(frozen=True)
class Guide:
    title: str
    last_reviewed: dt.date | None
    sources: list[dict[str, str]]
    html: SafeString


def guide_path() -> Path:
    return Path(getattr(settings, "KAPSTONE_GUIDE_PATH", None) or GUIDE)


@lru_cache(maxsize=4)
def _load(path: str, mtime: float) -> Guide:
    text = Path(path).read_text("utf-8")
    front, body = split_front_matter(text, path)
    try:
        meta = tomllib.loads(front)
    except tomllib.TOMLDecodeError as exc:
        raise CurriculumError(path, f"front matter: {exc}") from exc
    sources = [
        {"key": str(s.get("key", "")), "citation": str(s.get("citation", "")), "url": str(s.get("url", ""))}
        for s in meta.get("sources", [])
        if isinstance(s, dict)
    ]
    sources = [s for s in sources if s["url"].startswith(("https://", "http://")) or not s["url"]]
    numbers = {s["key"]: i for i, s in enumerate(sources, 1)}
    reviewed = meta.get("last_reviewed")
    title = str(meta.get("title") or "A beginner's guide to ketamine-assisted psychotherapy")
    html = link_citations(render_markdown(drop_title(body, title)), numbers)
    return Guide(title, reviewed if isinstance(reviewed, dt.date) else None, sources, html)


@public
@require_GET
def guide(request: HttpRequest) -> HttpResponse:
    path = guide_path()
    try:
        page = _load(str(path), path.stat().st_mtime)
    except (OSError, UnicodeDecodeError, CurriculumError):
        return render(request, "training/guide_missing.html", status=503)
    return render(request, "training/guide.html", {"guide": page})
