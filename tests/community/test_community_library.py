"""The resource library: uploads checked by content and size, visibility, full-text search.

The search runs on the database's own engine (SQLite FTS5 here; PostgreSQL tsvector when the suite
runs with DATABASE_URL), so running this file on both databases tests both.
"""

from __future__ import annotations

from typing import Any

import pytest
from community_helpers import actor
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from tests.conftest import signed_in_client

from kapstone.community import library as svc
from kapstone.community.models import Resource
from kapstone.core.contract import NotYours, Refused

PDF = b"%PDF-1.4\n% fictional\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _share(world: Any, name: str = "theo", **extra: Any) -> Resource:
    values: dict[str, Any] = {
        "title": "Integration after ketamine",
        "evidence_level": "systematic_review",
        "visibility": "organization",
        "description": "Review of integration practices.",
        "tags": ["integration", "ketamine"],
        "url": "https://example.org/review",
    }
    values.update(extra)
    return svc.resource_share(actor(world, name), **values)


def test_full_text_search_finds_by_stem_tag_and_description_on_this_database(world: Any) -> None:
    _share(world)
    _share(
        world,
        title="Somatic grounding handout",
        description="Breathing exercises for dosing days",
        tags=["somatic"],
        evidence_level="educational",
        url="https://example.org/handout",
    )
    found = [r.title for r in svc.library_search(actor(world, "tamsin"), q="integrating")]
    assert found == ["Integration after ketamine"], connection.vendor  # stemming on both engines
    assert [r.title for r in svc.library_search(actor(world, "tamsin"), q="breathing exercise")] == [
        "Somatic grounding handout"
    ]
    assert svc.library_search(actor(world, "tamsin"), q='" OR * NEAR(') == []  # no query syntax from users
    assert [r.title for r in svc.library_search(actor(world, "tamsin"), tag="somatic")] == [
        "Somatic grounding handout"
    ]
    assert svc.library_search(actor(world, "tamsin"), q="integration", evidence="rct") == []


def test_an_edited_resource_is_found_by_its_new_words(world: Any) -> None:
    resource = _share(world)
    Resource.objects.filter(pk=resource.pk).update(title="Psilocybin comparison")
    assert [r.pk for r in svc.library_search(actor(world, "theo"), q="psilocybin")] == [resource.pk]


def test_organization_resources_are_private_and_public_ones_are_shared(world: Any) -> None:
    private = _share(world)
    public = _share(
        world,
        title="Public consensus statement",
        visibility="public",
        evidence_level="guideline",
        description="Safety monitoring.",
        tags=["safety"],
    )
    olive = actor(world, "olive")
    assert [r.pk for r in svc.library_search(olive, q="statement")] == [public.pk]
    assert svc.library_search(olive, q="integration") == []
    with pytest.raises(NotYours):
        svc.resource_get(olive, private.pk)
    page = signed_in_client(world.users["olive"]).get(reverse("community:resource", args=[private.pk]))
    assert page.status_code == 404


def test_a_pdf_upload_is_stored_and_downloaded_as_its_content_type(world: Any) -> None:
    resource = _share(world, url="", filename="Study.PDF", data=PDF)
    assert (resource.kind, resource.content_type, resource.size) == ("document", "application/pdf", len(PDF))
    download = signed_in_client(world.users["tamsin"]).get(
        reverse("community:resource_download", args=[resource.pk])
    )
    assert download.content == PDF and download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("notes.pdf", b"MZ\x90\x00 an executable", "checked by content"),
        ("photo.pdf", PNG, "content is PNG"),
        ("study.png", PDF, "content is PDF"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_mislabelled_or_unknown_uploads_are_refused_with_the_reason(
    world: Any, name: str, data: bytes, reason: str
) -> None:
    with pytest.raises(Refused, match=reason):
        _share(world, url="", filename=name, data=data)
    assert not Resource.objects.exists()


def test_an_oversized_upload_is_refused_and_the_form_keeps_the_typed_text(world: Any, settings: Any) -> None:
    settings.KAPSTONE_LIBRARY_MAX_BYTES = 1024
    http = signed_in_client(world.users["theo"])
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * 2048, content_type="application/pdf")
    page = http.post(
        reverse("community:resource_new"),
        {"title": "Keep this title", "evidence_level": "rct", "visibility": "organization", "file": big},
    )
    body = page.content.decode()
    assert page.status_code == 400 and "the limit is" in body and 'value="Keep this title"' in body
    assert not Resource.objects.exists()


def test_a_link_must_be_http_and_only_one_of_file_or_link(world: Any) -> None:
    with pytest.raises(Refused, match="http"):
        _share(world, url="javascript:alert(1)")
    with pytest.raises(Refused, match="either a file or a link"):
        _share(world, filename="a.pdf", data=PDF)
