"""The resource library: uploads checked by content, links, visibility, and full-text search.

Search runs on the database's own full-text engine: SQLite FTS5 (migration 0006) or PostgreSQL
``tsvector`` with a GIN index on the same expression used here.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet

from kapstone.access.scoping import scoped_get
from kapstone.audit.services import record
from kapstone.community.common import member_ids
from kapstone.community.models import Resource, ResourceFile
from kapstone.community.models.library import EVIDENCE_LEVELS
from kapstone.community.vocab import encode_set
from kapstone.core.actor import Actor
from kapstone.core.contract import Refused

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
PG_DOCUMENT = "to_tsvector('english', title || ' ' || description || ' ' || replace(tags, '|', ' '))"
# Built from constants only; the person's words are always query parameters.
PG_SEARCH = (
    f"SELECT id FROM community_resource WHERE {PG_DOCUMENT} @@ plainto_tsquery('english', %s) "  # noqa: S608
    f"ORDER BY ts_rank({PG_DOCUMENT}, plainto_tsquery('english', %s)) DESC, id LIMIT %s"
)


@dataclass(frozen=True)
class Kind:
    content_type: str
    extensions: tuple[str, ...]


KINDS = {
    "pdf": Kind("application/pdf", (".pdf",)),
    "png": Kind("image/png", (".png",)),
    "jpeg": Kind("image/jpeg", (".jpg", ".jpeg")),
    "gif": Kind("image/gif", (".gif",)),
    "webp": Kind("image/webp", (".webp",)),
}


def sniff(head: bytes) -> str | None:
    """What the bytes are, from their signature; None for anything we do not accept."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def max_bytes() -> int:
    return int(getattr(settings, "KAPSTONE_LIBRARY_MAX_BYTES", DEFAULT_MAX_BYTES))


def check_upload(name: str, data: bytes) -> Kind:
    """Refuse an oversized file, a type we do not accept, and a name that claims another type."""
    limit = max_bytes()
    if len(data) > limit:
        raise Refused(
            f"The file is {len(data) / 1_048_576:.1f} MB; the limit is {limit / 1_048_576:.0f} MB.",
            field="file",
        )
    if not data:
        raise Refused("The file is empty.", field="file")
    found = sniff(data[:16])
    if found is None:
        raise Refused(
            "Only PDF documents and PNG, JPEG, GIF or WebP images can be shared (checked by content).",
            field="file",
        )
    kind = KINDS[found]
    extension = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if extension not in kind.extensions:
        raise Refused(
            f"The file's name says “{extension or 'no type'}” but its content is {found.upper()}; "
            "rename it or check it is the file you meant.",
            field="file",
        )
    return kind


def _tags(tags: Iterable[str]) -> str:
    cleaned = [re.sub(r"[^a-z0-9\- ]", "", t.strip().lower())[:40] for t in tags]
    return encode_set([t for t in cleaned if t])


def resource_share(
    actor: Actor,
    *,
    title: str,
    evidence_level: str,
    visibility: str,
    description: str = "",
    tags: Iterable[str] = (),
    url: str = "",
    filename: str = "",
    data: bytes | None = None,
) -> Resource:
    """Share a document (``data`` + ``filename``) or a link (``url``), never both."""
    user_id, org_id = member_ids(actor)
    if not title.strip():
        raise Refused("Give the resource a title.", field="title")
    if evidence_level not in dict(EVIDENCE_LEVELS):
        raise Refused("Choose the level of evidence.", field="evidence_level")
    if visibility not in Resource.Visibility.values:
        raise Refused("Choose who can see it.", field="visibility")
    if bool(url) == (data is not None):
        raise Refused("Share either a file or a link.", field="url")
    kind = None
    if data is not None:
        kind = check_upload(filename, data)
    elif urlsplit(url).scheme not in ("http", "https"):
        raise Refused("A link must start with http:// or https://.", field="url")
    with transaction.atomic():
        resource = Resource.objects.create(
            organization_id=org_id,
            shared_by_id=user_id,
            title=title.strip(),
            description=description.strip(),
            tags=_tags(tags),
            evidence_level=evidence_level,
            visibility=visibility,
            url=url,
            kind=Resource.Kind.DOCUMENT if kind else Resource.Kind.LINK,
            content_type=kind.content_type if kind else "",
            size=len(data or b""),
            sha256=hashlib.sha256(data).hexdigest() if data is not None else "",
            filename=_safe_name(title, kind) if kind else "",
        )
        if data is not None:
            ResourceFile.objects.create(resource=resource, data=data)
        record(
            actor,
            "library.share",
            object_type="resource",
            object_id=resource.pk,
            detail={"kind": resource.kind, "visibility": visibility, "size": resource.size},
        )
    return resource


def _safe_name(title: str, kind: Kind) -> str:
    stem = re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-")[:60] or "resource"
    return stem + kind.extensions[0]


def resources_visible(actor: Actor) -> QuerySet[Resource]:
    _, org_id = member_ids(actor)
    return Resource.objects.filter(Q(organization_id=org_id) | Q(visibility=Resource.Visibility.PUBLIC))


def resource_get(actor: Actor, pk: object) -> Resource:
    return scoped_get(
        actor, resources_visible(actor), pk, action="library.view", object_type="resource", audit_read=False
    )


def _fts_ids(query: str, limit: int) -> list[int]:
    words = re.findall(r"\w+", query.lower())[:10]
    if not words:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            match = " ".join(f'"{w}"' for w in words)  # each word quoted: no FTS5 syntax from the user
            cursor.execute(
                "SELECT rowid FROM community_resource_fts WHERE community_resource_fts MATCH %s "
                "ORDER BY rank LIMIT %s",
                [match, limit],
            )
        elif connection.vendor == "postgresql":
            cursor.execute(PG_SEARCH, [" ".join(words), " ".join(words), limit])
        else:  # pragma: no cover - only the two supported databases
            return []
        return [row[0] for row in cursor.fetchall()]


def library_search(
    actor: Actor, *, q: str = "", tag: str = "", evidence: str = "", limit: int = 50
) -> list[Resource]:
    qs = resources_visible(actor).select_related("organization")
    if tag:
        qs = qs.filter(tags__contains=f"|{tag.strip().lower()}|")
    if evidence:
        qs = qs.filter(evidence_level=evidence)
    if not q.strip():
        return list(qs.order_by("-created_at", "-pk")[:limit])
    ids = _fts_ids(q, 1000)
    found = {r.pk: r for r in qs.filter(pk__in=ids)}
    return [found[i] for i in ids if i in found][:limit]
