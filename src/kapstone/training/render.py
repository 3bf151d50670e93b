"""Markdown written by people (lessons, journal entries, the guide) made safe to show.

markdown-it-py renders CommonMark with raw HTML disabled (typed HTML comes out as text) and refuses
``javascript:`` and other unsafe link targets; nh3 (Ammonia) then keeps only an allow-list of tags,
attributes and URL schemes, so nothing typed into a lesson or an entry can run in a reader's browser.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import nh3
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_MD = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
TAGS = {
    "a",
    "abbr",
    "blockquote",
    "br",
    "code",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"align"}, "td": {"align"}}
SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str, *, shift_headings: int = 0) -> SafeString:
    """Safe HTML for ``text``. ``shift_headings`` moves # headings down (a lesson's # becomes h2)."""
    html = _MD.render(text or "")
    if shift_headings:
        html = re.sub(
            r"<(/?)h([1-6])>", lambda m: f"<{m.group(1)}h{min(int(m.group(2)) + shift_headings, 6)}>", html
        )
    clean = nh3.clean(
        html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=SCHEMES, link_rel="noopener noreferrer nofollow"
    )
    return mark_safe(clean)  # noqa: S308 (sanitised by nh3's allow-list just above)


def link_citations(html: str, numbers: Mapping[str, int]) -> SafeString:
    """Turn ``[key]`` markers of known source keys into links to the source list (``#source-key``)."""

    def link(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in numbers:
            return match.group(0)
        return f'<a class="cite" href="#source-{escape(key)}">[{numbers[key]}]</a>'

    return mark_safe(re.sub(r"\[([A-Za-z0-9_.-]{1,40})\]", link, html))  # noqa: S308 (keys are [A-Za-z0-9_.-])


def drop_title(text: str, title: str) -> str:
    """The text without a first ``# heading`` that repeats the page's own title (shown as its h1)."""
    lines = text.lstrip("\n").split("\n")
    if lines and lines[0].startswith("# ") and lines[0][2:].strip() == title.strip():
        return "\n".join(lines[1:])
    return text
