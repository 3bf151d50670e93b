"""The API's errors: one body for every 4xx, each status declared by the operation that answers it,
If-Match declared where it is required, and the FHIR import URL's GET in the schema."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client as HttpClient
from tests.conftest import World, signed_in_client

from kapstone.notes.models import ProgressNote

pytestmark = pytest.mark.django_db

SECTIONS = {"data": "Fictional data.", "assessment": "Fictional assessment.", "plan": "Fictional plan."}


def _post(http: HttpClient, url: str, body: object, **headers: str) -> Any:
    return http.post(url, data=json.dumps(body), content_type="application/json", headers=headers)


def _put(http: HttpClient, url: str, body: object, **headers: str) -> Any:
    return http.put(url, data=json.dumps(body), content_type="application/json", headers=headers)


def _schema(world: World) -> dict[str, Any]:
    return dict(signed_in_client(world.users["theo"]).get("/api/openapi.json").json())


def _assert_one_body(reply: Any) -> dict[str, Any]:
    assert reply["Content-Type"].startswith("application/json"), reply["Content-Type"]
    body = dict(reply.json())
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["errors"], list)
    for error in body["errors"]:
        assert set(error) == {"field", "reason", "code"} and all(isinstance(v, str) for v in error.values())
    return body


def test_every_4xx_is_one_body_and_declared_by_its_operation(world: World) -> None:
    theo = signed_in_client(world.users["theo"])
    rowan = world.clients["rowan"].pk  # type: ignore[attr-defined]
    note = _post(theo, f"/api/clients/{rowan}/notes", {"template": "dap", "sections": SECTIONS}).json()
    signed = _post(theo, f"/api/clients/{rowan}/notes", {"template": "dap", "sections": SECTIONS}).json()
    assert _post(theo, f"/api/notes/{signed['id']}/sign", {}, if_match='"1"').status_code == 200
    csrf_checked = HttpClient(enforce_csrf_checks=True)
    csrf_checked.cookies = signed_in_client(world.users["theo"]).cookies
    replies = {
        ("get", "/api/instruments", 401): HttpClient().get("/api/instruments"),
        ("post", "/api/clients/{client_id}/notes", 403): _post(
            csrf_checked, f"/api/clients/{rowan}/notes", {"template": "dap"}
        ),
        ("get", "/api/clients/{client_id}/notes", 404): theo.get("/api/clients/999999/notes"),
        ("get", "/api/clients/{client_id}/notes", 422): theo.get("/api/clients/not-a-number/notes"),
        ("post", "/api/clients/{client_id}/responses", 400): theo.post(
            f"/api/clients/{rowan}/responses", data="not json", content_type="text/plain"
        ),
        ("post", "/api/clients/{client_id}/responses", 422): _post(
            theo, f"/api/clients/{rowan}/responses", {"instrument": "phq9", "answers": {"phq9_1": 1}}
        ),
        ("put", "/api/notes/{note_id}", 428): _put(theo, f"/api/notes/{note['id']}", {"sections": SECTIONS}),
        ("put", "/api/notes/{note_id}", 412): _put(
            theo, f"/api/notes/{note['id']}", {"sections": SECTIONS}, if_match='"7"'
        ),
        ("put", "/api/notes/{note_id}", 409): _put(
            theo, f"/api/notes/{signed['id']}", {"sections": SECTIONS}, if_match='"2"'
        ),
        ("post", "/api/notes/{note_id}/addenda", 409): _post(
            theo, f"/api/notes/{note['id']}/addenda", {"text": "x"}
        ),
    }
    paths = _schema(world)["paths"]
    for (method, path, status), reply in replies.items():
        assert reply.status_code == status, (method, path, reply.status_code, reply.content)
        _assert_one_body(reply)
        assert str(status) in paths[f"{path}"][method]["responses"], (method, path, status)


def test_a_refusal_names_each_field_and_its_reason(world: World) -> None:
    theo = signed_in_client(world.users["theo"])
    rowan = world.clients["rowan"].pk  # type: ignore[attr-defined]
    parse = _assert_one_body(theo.get("/api/clients/not-a-number/notes"))
    assert [e["field"] for e in parse["errors"]] == ["client_id"]
    assert "client_id" in parse["detail"]
    unknown_field = _assert_one_body(
        _post(theo, f"/api/clients/{rowan}/notes", {"template": "dap", "author": 1})
    )
    assert [e["field"] for e in unknown_field["errors"]] == ["author"]
    note = _post(theo, f"/api/clients/{rowan}/notes", {"template": "dap"}).json()
    sign = _post(theo, f"/api/notes/{note['id']}/sign", {}, if_match='"1"')
    assert sign.status_code == 422
    fields = {e["field"] for e in _assert_one_body(sign)["errors"]}
    assert {"data", "assessment", "plan"} <= fields  # each section still empty, by name
    assert ProgressNote.objects.get(pk=note["id"]).status == "draft"  # nothing was signed


def test_a_stale_if_match_is_a_412_carrying_the_saved_note_and_the_refused_text(world: World) -> None:
    theo = signed_in_client(world.users["theo"])
    rowan = world.clients["rowan"].pk  # type: ignore[attr-defined]
    note = _post(theo, f"/api/clients/{rowan}/notes", {"template": "dap", "sections": SECTIONS}).json()
    saved = _put(theo, f"/api/notes/{note['id']}", {"sections": {"data": "First."}}, if_match='"1"')
    assert saved.status_code == 200 and saved["ETag"] == '"2"'
    late = _put(theo, f"/api/notes/{note['id']}", {"sections": {"data": "Second."}}, if_match='"1"')
    body = _assert_one_body(late)
    assert late.status_code == 412
    assert (body["current"]["version"], body["current"]["sections"]["data"]) == (2, "First.")
    assert body["yours"]["data"] == "Second."
    assert ProgressNote.objects.get(pk=note["id"]).sections["data"] == "First."


def test_if_match_is_declared_required_where_a_write_needs_it(world: World) -> None:
    paths = _schema(world)["paths"]
    for method, path in (("put", "/api/notes/{note_id}"), ("post", "/api/notes/{note_id}/sign")):
        operation = paths[path][method]
        headers = {p["name"]: p for p in operation["parameters"] if p["in"] == "header"}
        assert headers["If-Match"]["required"] is True
        assert {"412", "428"} <= set(operation["responses"])
    for path, operations in paths.items():
        for method, operation in operations.items():
            if (method, path) not in {("put", "/api/notes/{note_id}"), ("post", "/api/notes/{note_id}/sign")}:
                assert "If-Match" not in {p["name"] for p in operation.get("parameters", [])}


def test_the_get_on_the_fhir_import_url_is_in_the_schema_and_answers_405(world: World) -> None:
    operation = _schema(world)["paths"]["/api/fhir/QuestionnaireResponse"]["get"]
    assert set(operation["responses"]) == {"401", "405"}
    reply = signed_in_client(world.users["theo"]).get("/api/fhir/QuestionnaireResponse")
    assert reply.status_code == 405 and reply["Allow"] == "POST"
    assert reply["Content-Type"] == "application/fhir+json"
    assert reply.json()["resourceType"] == "OperationOutcome"


def test_where_no_operation_answers_under_api_the_answer_is_still_the_one_body(world: World) -> None:
    theo = signed_in_client(world.users["theo"])
    for http, url in ((theo, "/api/nope"), (theo, "/api/notes/1/nope"), (HttpClient(), "/api/nope")):
        reply = http.get(url)
        assert reply.status_code == 404
        assert _assert_one_body(reply) == {"detail": "Not found.", "errors": []}
    rowan = world.clients["rowan"].pk  # type: ignore[attr-defined]
    note = _post(theo, f"/api/clients/{rowan}/notes", {"template": "dap"}).json()
    deleted = theo.delete(f"/api/notes/{note['id']}")  # there is no DELETE: nothing is ever deleted
    assert deleted.status_code == 405 and set(deleted["Allow"].split(", ")) == {"GET", "PUT"}
    _assert_one_body(deleted)
    assert ProgressNote.objects.filter(pk=note["id"]).exists()
    page = theo.get("/clients/999999/")  # pages keep their HTML 404
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")
