"""What a person reads on a page: its visible text (no markup, scripts, styles or attribute values),
and the internal keys found in it (kapstone.core.labels.internal_keys)."""

from __future__ import annotations

from html.parser import HTMLParser

from kapstone.core.labels import internal_keys

_SKIP = {"script", "style", "template", "code"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skipping += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def keys_on(html: str) -> list[str]:
    return internal_keys(visible_text(html))
