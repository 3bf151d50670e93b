"""Note templates as data: ``note_templates/*.toml`` (id, version, sections with labels and prompts).

Pure: no ORM, no settings. A note stores the template id and version it was written under, so an
old note keeps rendering with its own sections after a newer version of the template ships.
(The folder is not called ``templates/``: that name is Django's, for HTML.)
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).resolve().parent / "note_templates"
MAX_SECTION_CHARS = 20_000


class UnknownTemplateError(LookupError):
    pass


class TemplateFileError(ValueError):
    pass


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    prompt: str
    required: bool = True


@dataclass(frozen=True)
class NoteTemplate:
    id: str
    version: str
    name: str
    description: str
    sections: tuple[Section, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(section.key for section in self.sections)

    def clean(self, values: Mapping[str, object]) -> dict[str, str]:
        """Exactly this template's sections, as text (line endings normalised); others are dropped."""
        cleaned: dict[str, str] = {}
        for key in self.keys:
            raw = values.get(key, "")
            text = "" if raw is None else str(raw)
            cleaned[key] = text.replace("\r\n", "\n").replace("\r", "\n")
        return cleaned

    def missing(self, values: Mapping[str, str]) -> list[Section]:
        """Required sections left empty (a note with these cannot be signed)."""
        return [s for s in self.sections if s.required and not str(values.get(s.key, "")).strip()]

    def too_long(self, values: Mapping[str, str]) -> list[Section]:
        return [s for s in self.sections if len(str(values.get(s.key, ""))) > MAX_SECTION_CHARS]


def _parse(path: Path) -> NoteTemplate:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        sections = tuple(
            Section(
                key=str(s["key"]),
                label=str(s["label"]),
                prompt=str(s.get("prompt", "")),
                required=bool(s.get("required", True)),
            )
            for s in data["sections"]
        )
        template = NoteTemplate(
            id=str(data["id"]),
            version=str(data["version"]),
            name=str(data["name"]),
            description=str(data.get("description", "")),
            sections=sections,
        )
    except (KeyError, TypeError, tomllib.TOMLDecodeError) as exc:
        raise TemplateFileError(f"{path.name}: {exc}") from exc
    if not sections or len(set(template.keys)) != len(sections):
        raise TemplateFileError(f"{path.name}: sections must be present and their keys unique")
    return template


@lru_cache(maxsize=1)
def registry() -> dict[tuple[str, str], NoteTemplate]:
    found: dict[tuple[str, str], NoteTemplate] = {}
    for path in sorted(HERE.glob("*.toml")):
        template = _parse(path)
        key = (template.id, template.version)
        if key in found:
            raise TemplateFileError(f"{path.name}: template {key} is defined twice")
        found[key] = template
    return found


def _version_key(version: str) -> tuple[tuple[int, str], ...]:
    """Orders "1" < "2" < "10" and "1.2" < "1.10"; a non-numeric part sorts before numbers."""
    return tuple((int(part) if part.isdigit() else -1, part) for part in version.split("."))


def newest_templates() -> list[NoteTemplate]:
    newest: dict[str, NoteTemplate] = {}
    for template in registry().values():
        current = newest.get(template.id)
        if current is None or _version_key(template.version) > _version_key(current.version):
            newest[template.id] = template
    return sorted(newest.values(), key=lambda t: t.name)


def get_template(template_id: str, version: str | None = None) -> NoteTemplate:
    """The named version, or the newest when no version is given."""
    if version is not None:
        try:
            return registry()[(template_id, version)]
        except KeyError:
            raise UnknownTemplateError(f"{template_id} version {version}") from None
    for template in newest_templates():
        if template.id == template_id:
            return template
    raise UnknownTemplateError(template_id)
