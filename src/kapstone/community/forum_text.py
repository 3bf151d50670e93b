"""Post text: Markdown with raw HTML disabled, then sanitised by nh3; and links found in the source.

Two layers on purpose: markdown-it with ``html=False`` never passes a tag through (it escapes it),
and nh3 keeps only the tags and attributes listed here, so a renderer change cannot open a hole.
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")

TAGS = {"p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a", "h3", "h4", "hr"}
ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}
# Anything a reader could follow: a scheme URL, a bare www. address, or a Markdown link target.
LINK_RE = re.compile(r"(?i)\b(?:https?://|www\.)\S+|\]\(\s*[^)\s]+|<[a-z][a-z0-9+.-]*:[^>\s]+>")


def render(body: str) -> str:
    html = _md.render(body)
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener noreferrer ugc",
    )


def has_link(body: str) -> bool:
    return bool(LINK_RE.search(body))
